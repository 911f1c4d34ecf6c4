"""The at-least-once bridge from Redis Streams to functions over HTTP CloudEvents (DESIGN.md §3)."""
