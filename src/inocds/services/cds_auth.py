"""CDS Hooks client authentication: the client's signed JWT, checked against configured keys.

Per the CDS Hooks 2.0 specification (Trusting CDS Clients): the EHR sends
`Authorization: Bearer <JWT>` signed with its private key (ES384 or RS384). The
service checks the signature against the public keys configured for the token's
`iss`, and `aud` (this service's URL), `exp` (no later than the lifetime in
protocol/interop.toml after `iat`), and `jti` (never seen before: no replay).

Configuration (`INOCDS_CDS_CLIENTS`, a JSON file):
`{"clients": [{"iss": "https://ehr.example.org", "jwks": {"keys": [...]}}]}`, or
`"public_key_pem"` instead of `jwks`. `INOCDS_CDS_AUTH`: `on`, `off`, or `auto`
(default: required unless the request comes from the loopback interface).
"""

from __future__ import annotations

import ipaddress
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt

from inocds.protocol.interop import load_interop

__all__ = ["ALGORITHMS", "ClientKeys", "JwtRejected", "ReplayGuard", "auth_required", "verify"]

ALGORITHMS = ["ES384", "RS384"]


class JwtRejected(Exception):
    """The client's JWT is missing or not acceptable (401)."""


@dataclass(frozen=True)
class ClientKeys:
    """The public keys of each trusted CDS client, by issuer."""

    by_issuer: dict[str, list[tuple[str | None, Any]]] = field(default_factory=dict)

    @classmethod
    def from_file(cls, path: str | None) -> ClientKeys:
        """Keys from the JSON configuration file (none when no path is given)."""
        if not path:
            return cls()
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls.from_document(document)

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> ClientKeys:
        """Keys from a parsed configuration document."""
        by_issuer: dict[str, list[tuple[str | None, Any]]] = {}
        for client in document.get("clients", []):
            keys = by_issuer.setdefault(str(client["iss"]), [])
            for jwk in (client.get("jwks") or {}).get("keys", []):
                keys.append((jwk.get("kid"), jwt.PyJWK(jwk).key))
            if client.get("public_key_pem"):
                pem = client["public_key_pem"].encode()
                from cryptography.hazmat.primitives.serialization import load_pem_public_key

                keys.append((client.get("kid"), load_pem_public_key(pem)))
        return cls(by_issuer)


class ReplayGuard:
    """The `jti` values seen, kept until their token expires."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def first_use(self, jti: str, expires_at: float) -> bool:
        """Records `jti`; False when it was already used by an unexpired token."""
        now = time.time()
        with self._lock:
            self._seen = {k: v for k, v in self._seen.items() if v >= now}
            if jti in self._seen:
                return False
            self._seen[jti] = expires_at
            return True


def auth_required(mode: str, client_host: str | None) -> bool:
    """Whether this request must carry a client JWT (`auto`: unless from loopback)."""
    if mode == "on":
        return True
    if mode == "off":
        return False
    try:
        return not (client_host is not None and ipaddress.ip_address(client_host).is_loopback)
    except ValueError:
        return client_host != "localhost"


def verify(
    authorization: str | None, keys: ClientKeys, audiences: list[str], replay: ReplayGuard
) -> dict[str, Any]:
    """The verified claims of the request's client JWT; JwtRejected with the reason otherwise."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise JwtRejected("a CDS client JWT is required: 'Authorization: Bearer <JWT>'")
    try:
        header = jwt.get_unverified_header(token)
        issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
    except jwt.PyJWTError as error:
        raise JwtRejected(f"not a JWT: {error}") from None
    candidates = keys.by_issuer.get(str(issuer), [])
    candidates = [k for kid, k in candidates if header.get("kid") in (None, kid)] or [
        k for _, k in candidates
    ]
    if not candidates:
        raise JwtRejected(f"issuer {issuer!r} is not a trusted CDS client")
    claims = _decode(token, candidates, str(issuer), audiences)
    lifetime = float(claims["exp"]) - float(claims["iat"])
    if lifetime > load_interop().jwt_max_lifetime_s:
        raise JwtRejected("exp is more than the allowed lifetime after iat")
    if not replay.first_use(str(claims["jti"]), float(claims["exp"])):
        raise JwtRejected("this jti was already used (replay)")
    return claims


def _decode(token: str, keys: list[Any], issuer: str, audiences: list[str]) -> dict[str, Any]:
    last = "no key"
    for key in keys:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                audience=audiences,
                issuer=issuer,
                options={"require": ["iss", "aud", "exp", "iat", "jti"]},
            )
            return claims
        except jwt.InvalidSignatureError as error:
            last = str(error)
        except (TypeError, ValueError, jwt.InvalidKeyError) as error:
            last = f"the token's algorithm does not fit this key ({error})"
        except jwt.PyJWTError as error:
            raise JwtRejected(str(error)) from None
    raise JwtRejected(f"signature not verified by the issuer's keys: {last}")
