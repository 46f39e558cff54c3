"""Reads one patient's data from a FHIR R4 server (the CDS client's `fhirServer`).

Used when `prefetch` lacks something: the same queries as the services' prefetch
templates, with `fhirAuthorization`'s bearer token. Pages of a search Bundle are
followed through their `next` links (bounded).
"""

from __future__ import annotations

from typing import Any

import httpx

__all__ = ["FhirServerError", "fetch", "search_resources"]

MAX_PAGES = 20
TIMEOUT_S = 15.0


class FhirServerError(RuntimeError):
    """The FHIR server could not be reached or answered with an error."""


def _get(client: httpx.Client, url: str) -> dict[str, Any]:
    try:
        answer = client.get(url)
    except httpx.HTTPError as error:
        raise FhirServerError(f"{url}: {type(error).__name__}: {error}") from None
    if answer.status_code != 200:
        raise FhirServerError(f"{url}: HTTP {answer.status_code}")
    try:
        body = answer.json()
    except ValueError:
        raise FhirServerError(f"{url}: the answer is not JSON") from None
    if not isinstance(body, dict):
        raise FhirServerError(f"{url}: the answer is not a FHIR resource")
    return body


def search_resources(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    """The resources of a Bundle's entries (search results or a prefetch Bundle)."""
    out = []
    entries = bundle.get("entry")
    for entry in entries if isinstance(entries, list) else []:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict):
            out.append(resource)
    return out


def fetch(base_url: str, token: str | None, query: str) -> dict[str, Any] | list[dict[str, Any]]:
    """A read (`Patient/1`: the resource) or a search (`Observation?...`: all pages' resources)."""
    headers = {"Accept": "application/fhir+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    url = f"{base_url.rstrip('/')}/{query.lstrip('/')}"
    with httpx.Client(headers=headers, timeout=TIMEOUT_S) as client:
        body = _get(client, url)
        if body.get("resourceType") != "Bundle":
            return body
        resources = search_resources(body)
        for _ in range(MAX_PAGES):
            links = {link.get("relation"): link.get("url") for link in body.get("link") or []}
            if not links.get("next"):
                break
            body = _get(client, str(links["next"]))
            resources += search_resources(body)
        return resources
