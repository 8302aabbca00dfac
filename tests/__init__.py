"""Incident Desk's tests: unit/ for pure modules, flows/ end to end; fakes/ and support.py."""
