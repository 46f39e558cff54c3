"""The FHIR R4 API at /fhir."""

from inocds.entrypoints.fhir.router import fhir_router

__all__ = ["fhir_router"]
