"""Test and benchmark support that is not a fixture: servers standing in for outside services."""
