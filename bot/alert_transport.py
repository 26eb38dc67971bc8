"""Sending one alert: an e-mail through the SMTP server (standard library smtplib) or a
signed JSON POST to the webhook. Each raises `DeliveryError` with a reason fit for the
log (never a password); retrying is the queue's business (bot/alerts.py).

The webhook request carries `X-Policybot-Signature: t=<unix time>,v1=<hex>`, where hex
is the HMAC-SHA256 of `<unix time>.<body>` under the webhook signing key
(`policybot alerts webhook-key` prints it; it is derived from the server's secret key,
which itself never leaves the server). A receiver recomputes it and refuses a request
whose time is more than five minutes off.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from email.message import EmailMessage
from typing import Any

from bot.alert_config import SmtpTarget
from infra.keys import derive

TIMEOUT = 15.0  # seconds for one SMTP conversation or one webhook request
SIGNATURE_HEADER = "X-Policybot-Signature"
WEBHOOK_PURPOSE = "alert-webhook"


class DeliveryError(Exception):
    """The alert was not delivered this time; the message says why."""


def send_email(target: SmtpTarget, message: EmailMessage, timeout: float = TIMEOUT) -> None:
    context = ssl.create_default_context()
    try:
        if target.tls:
            client = smtplib.SMTP_SSL(target.host, target.port, timeout=timeout,
                                      context=context)
        else:
            client = smtplib.SMTP(target.host, target.port, timeout=timeout)
        with client:
            if target.starttls:
                client.starttls(context=context)
            if target.username:
                client.login(target.username, target.password or "")
            refused = client.send_message(message)
    except (OSError, smtplib.SMTPException) as e:
        raise DeliveryError(f"SMTP {target.host}:{target.port}: "
                            f"{type(e).__name__}: {e}") from e
    if refused:
        raise DeliveryError(f"SMTP {target.host}:{target.port} refused "
                            f"{', '.join(sorted(refused))}")


def webhook_key(secret: bytes) -> bytes:
    return derive(secret, WEBHOOK_PURPOSE)


def signature(key: bytes, body: bytes, timestamp: int) -> str:
    mac = hmac.new(key, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def post_webhook(url: str, payload: dict[str, Any], key: bytes,
                 timeout: float = TIMEOUT) -> None:
    body = json.dumps(payload, sort_keys=True).encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": "policybot-alerts",
        SIGNATURE_HEADER: signature(key, body, int(time.time()))})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) only, checked at start
            status = response.status
    except urllib.error.HTTPError as e:
        raise DeliveryError(f"webhook answered {e.code} {e.reason}") from e
    except (OSError, ValueError) as e:
        raise DeliveryError(f"webhook: {type(e).__name__}: {e}") from e
    if not 200 <= status < 300:
        raise DeliveryError(f"webhook answered {status}")
