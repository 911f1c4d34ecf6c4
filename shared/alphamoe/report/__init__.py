"""What people look at after a run: the day report, the end-of-day report, their renderings and store."""
