"""Security headers, cookie flags and the Origin check, as one ASGI middleware.

Every answer gets a strict Content-Security-Policy (scripts and styles only from this
origin, no inline script, `frame-ancestors 'none'`), `X-Frame-Options: DENY`,
`X-Content-Type-Options: nosniff` and `Referrer-Policy: same-origin`; every answer but
static files gets `Cache-Control: no-store` (pages and API answers carry patient data).
Over https (the request's scheme, which uvicorn takes from `X-Forwarded-Proto` when the
proxy's address is in `FORWARDED_ALLOW_IPS`) it adds `Strict-Transport-Security`.

The session cookie is made `Secure` when `Settings.secure_cookies` says so (by default:
over https, and whenever the host is not localhost, 127.0.0.1 or ::1).

An unsafe request (POST, PUT, PATCH, DELETE) without an `Authorization` header — a
cookie-authenticated write, or a login — whose `Origin` (or, without one, `Referer`) is
neither the request's own host nor one of `Settings.allowed_origins` is refused with
403 before it reaches the application. A request with neither header (not a browser) is
let through: the cookie is SameSite=Strict and writes need the CSRF token anyway.

`style_hashes` admits fixed inline style sheets by their SHA-256 (the patient handout is
a self-contained printable page with one). The interactive API documentation (/docs,
/redoc) loads its scripts from a CDN and has one inline script: its policy admits the
CDN and that script by its SHA-256, not 'unsafe-inline'.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Any
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from inocds.settings import Settings

__all__ = [
    "BASE_HEADERS",
    "CONTENT_SECURITY_POLICY",
    "SecurityMiddleware",
    "added_headers",
    "content_security_policy",
]

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
_DOCS_PATHS = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})
_DOCS_CDN = "https://cdn.jsdelivr.net"
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_HSTS = "max-age=31536000; includeSubDomains"
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)
BASE_HEADERS = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),  # not no-referrer: browsers would send Origin: null
    (b"cross-origin-opener-policy", b"same-origin"),
)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _origin_of(scope: Scope) -> str | None:
    """The request's claimed origin: `Origin`, else the scheme and host of `Referer`."""
    origin = _header(scope, b"origin")
    if origin is not None:
        return origin.strip().rstrip("/")
    referer = _header(scope, b"referer")
    if referer is None:
        return None
    parts = urlsplit(referer.strip())
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else "null"


def _host_name(host: str) -> str:
    """The name in a Host header, without port or IPv6 brackets."""
    return urlsplit("//" + host).hostname or ""


def content_security_policy(style_hashes: tuple[str, ...] = ()) -> str:
    """The policy of every answer but the API docs: `CONTENT_SECURITY_POLICY` with the
    hashes of the inline styles the app serves (the handout's)."""
    styles = " ".join(("'self'", *style_hashes))
    return CONTENT_SECURITY_POLICY.replace("style-src 'self'", f"style-src {styles}")


def _extra_headers(scope: Scope, path: str) -> list[tuple[bytes, bytes]]:
    extra = list(BASE_HEADERS)
    if scope.get("scheme") == "https":
        extra.append((b"strict-transport-security", _HSTS.encode()))
    if not path.startswith("/static/"):
        extra.append((b"cache-control", b"no-store"))
    return extra


def added_headers(scope: Scope, policy: str) -> list[tuple[bytes, bytes]]:
    """What `SecurityMiddleware` appends to an answer of `scope` that sets no cookie and no
    cache-control of its own: the policy, the base headers, HSTS over https, no-store. For
    a layer that answers in front of the middleware (`stored_assess_asgi`)."""
    return [(b"content-security-policy", policy.encode()), *_extra_headers(scope, scope["path"])]


def _docs_policy(body: bytes) -> str:
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(m.group(1)).digest()).decode() + "'"
        for m in _INLINE_SCRIPT.finditer(body)
    )
    return (
        f"default-src 'self'; script-src 'self' {_DOCS_CDN} {hashes}; "
        f"style-src 'self' {_DOCS_CDN}; img-src 'self' data: https://fastapi.tiangolo.com; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    )


class SecurityMiddleware:
    """Adds the security headers, flags the session cookie, refuses cross-site writes."""

    def __init__(
        self,
        app: ASGIApp,
        settings: Settings,
        session_cookie: str,
        style_hashes: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.settings = settings
        self.policy = content_security_policy(style_hashes)
        self.allowed = frozenset(settings.allowed_origins)
        self.cookie_prefix = f"{session_cookie}=".encode()

    def _cross_site(self, scope: Scope) -> str | None:
        """The foreign origin of an unsafe request without a bearer token (None: allowed)."""
        if scope["method"] not in _UNSAFE or _header(scope, b"authorization") is not None:
            return None
        origin = _origin_of(scope)
        if origin is None or origin in self.allowed:
            return None
        host = _header(scope, b"host") or ""
        if origin != "null" and urlsplit(origin).netloc.lower() == host.lower():
            return None
        return origin

    def _secure_cookie(self, scope: Scope) -> bool:
        if self.settings.secure_cookies is not None:
            return self.settings.secure_cookies
        host = _host_name((_header(scope, b"host") or "localhost").lower())
        return scope.get("scheme") == "https" or host not in _LOCAL_HOSTS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        foreign = self._cross_site(scope)
        if foreign is not None:
            await _refuse_cross_site(scope, send, foreign)
            return
        path: str = scope["path"]
        if path in _DOCS_PATHS:
            await self._docs(scope, receive, send)
            return
        extra = _extra_headers(scope, path)
        secure = self._secure_cookie(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self._headers(message, extra, secure, self.policy)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _headers(
        self, message: Message, extra: list[tuple[bytes, bytes]], secure: bool, policy: str
    ) -> list[tuple[bytes, bytes]]:
        headers: list[tuple[bytes, bytes]] = []
        for key, value in message.get("headers", ()):
            if key == b"set-cookie" and value.startswith(self.cookie_prefix):
                value = _cookie_flag(value, secure)
            if key == b"cache-control" and any(k == b"cache-control" for k, _ in extra):
                continue  # patient data is never stored by a cache, whatever a route said
            headers.append((key, value))
        headers.append((b"content-security-policy", policy.encode()))
        return headers + extra

    async def _docs(self, scope: Scope, receive: Receive, send: Send) -> None:
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        body = b"".join(chunks)
        extra = _extra_headers(scope, scope["path"])
        start["headers"] = [
            (k, v)
            for k, v in self._headers(start, extra, True, _docs_policy(body))
            if k != b"content-length"
        ] + [(b"content-length", str(len(body)).encode())]
        await send(start)
        await send({"type": "http.response.body", "body": body})


def _cookie_flag(value: bytes, secure: bool) -> bytes:
    """The Set-Cookie value with `Secure` present exactly when `secure`."""
    attributes = [a for a in value.split(b";") if a.strip().lower() != b"secure"]
    if secure:
        attributes.append(b" Secure")
    return b";".join(attributes)


async def _refuse_cross_site(scope: Scope, send: Send, origin: str) -> None:
    message = (
        f"cross-site request refused: origin {origin!r} is not this site "
        "(add it to INOCDS_ALLOWED_ORIGINS if it should be)"
    )
    body = json.dumps({"errors": [{"field": "Origin", "message": message}]}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
        (b"cache-control", b"no-store"),
        *BASE_HEADERS,
    ]
    await send({"type": "http.response.start", "status": 403, "headers": headers})
    await send({"type": "http.response.body", "body": body})
