"""Thin shells: the command line and the HTTP API."""
