"""CDS Hooks 2.0 endpoints: discovery, services, feedback."""

from inocds.entrypoints.cds_hooks.router import cds_hooks_router

__all__ = ["cds_hooks_router"]
