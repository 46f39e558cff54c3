"""The pages, one module per resource; each module has a `router` (see `web.router`)."""
