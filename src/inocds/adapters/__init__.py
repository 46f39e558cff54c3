"""Adapters to the outside world: the database (and later FHIR, reports)."""
