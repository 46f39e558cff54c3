"""Use cases: what the CLI and the HTTP API call."""
