"""The audit trail's HMAC key: kept outside the database, so a database writer cannot forge.

Where it comes from, first found:

1. `INOCDS_AUDIT_KEY` (any string of at least 32 characters; e.g. `openssl rand -hex 32`),
   best kept in a secret store and handed to the service's environment;
2. a key file `inocds-audit.key` in `INOCDS_AUDIT_KEY_DIR`;
3. else beside the SQLite file (the same directory), or for PostgreSQL in
   `$XDG_CONFIG_HOME/inocds` (default `~/.config/inocds`).

A missing key file is created with 32 random bytes (hex) and permissions 0600, its
directory 0700 when created. Whoever can read the key can forge entries: keep the file
out of the database's backups and out of reach of the database's accounts.
"""

from __future__ import annotations

import functools
import os
import secrets
from pathlib import Path

from sqlalchemy.engine import make_url

__all__ = ["KEY_FILE_NAME", "MIN_KEY_LENGTH", "audit_key", "key_file_path"]

KEY_FILE_NAME = "inocds-audit.key"
MIN_KEY_LENGTH = 32


def key_file_path(database_url: str, key_dir: str | None = None) -> Path:
    """Where the key file of `database_url` lives (see the module docstring)."""
    if key_dir:
        return Path(key_dir) / KEY_FILE_NAME
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(str(url.database)).resolve().parent / KEY_FILE_NAME
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "inocds" / KEY_FILE_NAME


def _read_or_create(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first: read theirs
        else:
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_hex(32) + "\n")
    key = path.read_text(encoding="utf-8").strip()
    if len(key) < MIN_KEY_LENGTH:
        raise RuntimeError(f"the audit key in {path} is shorter than {MIN_KEY_LENGTH} characters")
    return key.encode("utf-8")


@functools.cache
def audit_key(database_url: str, env_key: str | None, key_dir: str | None) -> bytes:
    """The HMAC key for the audit trail of `database_url` (cached per arguments)."""
    if env_key:
        if len(env_key) < MIN_KEY_LENGTH:
            raise RuntimeError(f"INOCDS_AUDIT_KEY must have at least {MIN_KEY_LENGTH} characters")
        return env_key.encode("utf-8")
    return _read_or_create(key_file_path(database_url, key_dir))
