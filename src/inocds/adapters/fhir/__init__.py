"""FHIR R4 resources in and out: units (UCUM), reading prefetch and Bundles, building resources."""
