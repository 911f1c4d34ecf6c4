"""What people look at after a run: the day report as JSON, rich tables and HTML."""
