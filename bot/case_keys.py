"""Anonymous case keys: Crockford base32, grouped, case-insensitive, with a check symbol.

A key is 29 random symbols (145 bits) plus Crockford's mod-37 check symbol, shown as six
groups of five: ``7KQ2M-0D4XH-…``. People can read it back: there is no I, L, O or U,
lower case and I/L/O typed for 1/1/0 are accepted, spaces and hyphens are ignored, and a
mistyped symbol is caught by the check symbol instead of opening nobody's case. Keys are
drawn so that the check symbol is a letter or digit (never * ~ $ = U, which chat formatting
mangles); that leaves 144.8 bits, at least the 144 of the keys made before.

Only a hash is stored. Keys made before this format (24 characters of A-Z a-z 0-9 _ -) are
hashed as typed, as they always were, so they keep working.
"""

from __future__ import annotations

import hashlib
import re
import secrets

import base32_crockford

DATA_SYMBOLS = 29
GROUP = 5
BITS = DATA_SYMBOLS * 5
LEGACY_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,64}")


def new_key() -> str:
    """A fresh key, grouped for reading: 30 symbols in six groups of five."""
    while True:
        number = secrets.randbits(BITS)
        encoded = base32_crockford.encode(number, checksum=True)
        if encoded[-1] in base32_crockford.symbols:
            break
    body = encoded[:-1].rjust(DATA_SYMBOLS, "0") + encoded[-1]
    return "-".join(body[i:i + GROUP] for i in range(0, len(body), GROUP))


def canonical(typed: str) -> str | None:
    """The key as stored (upper case, no separators, I/L -> 1, O -> 0), or None when it is
    not a key of this format or its check symbol does not match (a typo)."""
    compact = re.sub(r"[\s-]", "", typed or "")
    if len(compact) != DATA_SYMBOLS + 1:
        return None
    try:
        base32_crockford.decode(compact, checksum=True)
        return base32_crockford.normalize(compact)
    except (ValueError, KeyError):
        return None


def looks_like_key(typed: str) -> bool:
    """True for what may be a key, so that a typo gets "no report matches" rather than being
    read as a question: a key of the old format as it was, or letters and digits (with at
    least one digit) in about the new format's length, in any grouping."""
    typed = typed.strip()
    if LEGACY_SHAPE.fullmatch(typed):
        return True
    compact = re.sub(r"[\s-]", "", typed)
    return (abs(len(compact) - (DATA_SYMBOLS + 1)) <= 4 and compact.isascii()
            and compact.isalnum() and any(c.isdigit() for c in compact))


def key_hashes(typed: str) -> list[str]:
    """The stored hashes `typed` may match: the canonical form's for a valid key of this
    format, and the hash of the text as typed for a key of the old format."""
    hashes = []
    key = canonical(typed)
    if key is not None:
        hashes.append(hash_text(key))
    if LEGACY_SHAPE.fullmatch(typed.strip()):
        hashes.append(hash_text(typed.strip()))
    return hashes


def hash_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def hash_new_key(key: str) -> str:
    """The hash stored for a key made by `new_key`."""
    stored = canonical(key)
    if stored is None:
        raise ValueError("not a case key")
    return hash_text(stored)
