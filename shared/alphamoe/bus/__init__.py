"""Event buses behind one interface: in-memory (embedded mode); Redis Streams come with the event fabric."""
