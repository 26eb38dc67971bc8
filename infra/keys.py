"""The server's secret key, kept outside the database, and the keyed hashes made with it.

The key is `POLICYBOT_SECRET_KEY` when set (required when `serve` listens beyond
loopback), otherwise a random key in a file beside the database (`policybot.db.key`,
mode 0600), created on first use. It is never written into the database, so a copy of
the database alone can neither forge a console cookie nor turn a stored hash back into
the platform id it stands for (a plain SHA-256 of a Teams or Slack id can be reversed by
anyone who holds the directory: hash every id and compare).

Everything derived from it is named by purpose: `derive(secret, "web-session")` signs
cookies, `keyed_hash(secret, value)` stands in for platform ids (conversation ids,
personal chats, de-duplication keys). docs/security.md says how to rotate it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

KEY_FILE_SUFFIX = ".key"
HASH_PREFIX = "k1:"  # the key and hash scheme; a new one will read "k2:"


def key_file(db_path: str) -> Path:
    return Path(db_path + KEY_FILE_SUFFIX)


def load_secret(db_path: str, configured: str | None = None) -> bytes:
    """`configured` (POLICYBOT_SECRET_KEY), else the key file beside `db_path` (made once,
    readable by its owner only); an in-memory database gets a key of its own."""
    if configured:
        return configured.encode()
    if db_path == ":memory:":
        return secrets.token_bytes(32)
    path = key_file(db_path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip().encode()
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32) + "\n")
    return path.read_text().strip().encode()


def derive(secret: bytes, purpose: str) -> bytes:
    """A sub-key for one purpose, so no two uses of the secret can be played off each other."""
    return hmac.new(secret, f"policybot/{purpose}".encode(), hashlib.sha256).digest()


def keyed_hash(secret: bytes, value: str, purpose: str = "id") -> str:
    """A stand-in for a platform id: the same id gives the same value, and without the
    secret it cannot be computed or reversed."""
    mac = hmac.new(derive(secret, purpose), value.encode(), hashlib.sha256).hexdigest()
    return HASH_PREFIX + mac[:40]
