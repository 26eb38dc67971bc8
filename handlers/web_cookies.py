"""Signed cookies for the browser pages (the chat's and the admin console's sessions)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from aiohttp import web

SECRET = web.AppKey("web.secret", dict)  # {"key": cookie-signing key}, filled lazily


def sign(data: dict[str, Any], secret: str) -> str:
    body = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()
    mac = hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    return f"{body}.{mac}"


def unsign(value: str | None, secret: str, max_age: float | None = None) -> dict[str, Any] | None:
    """The data of a cookie made by `sign`, or None (tampered, malformed or too old:
    `max_age` seconds after its "iat")."""
    if not value or "." not in value:
        return None
    body, mac = value.rsplit(".", 1)
    expected = hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(mac, expected):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(body.encode()))
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    if max_age is not None and time.time() - float(data.get("iat", 0)) > max_age:
        return None
    return data


def is_secure(request: web.Request) -> bool:
    return request.secure or request.headers.get("X-Forwarded-Proto", "") == "https"


def set_cookie(request: web.Request, response: web.StreamResponse, name: str, value: str,
               max_age: int | None = None, path: str = "/") -> None:
    response.set_cookie(name, value, max_age=max_age, path=path, httponly=True,
                        samesite="Strict", secure=is_secure(request))
