"""Several broker accounts behind one scan and route (issue 20 item 3)."""
