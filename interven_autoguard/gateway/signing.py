"""HMAC-SHA256 request signing of the legacy flow: base64 of the MAC over the exact body bytes."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac


def sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


def verify(body: bytes, presented: str | None, secret: str) -> bool:
    """Constant-time check of a presented ``X-AIF-Signature`` value."""
    if not presented:
        return False
    try:
        given = base64.b64decode(presented.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return hmac.compare_digest(given, expected)
