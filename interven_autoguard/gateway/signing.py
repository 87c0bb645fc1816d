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


def replay_key(presented: str) -> str:
    """What the replay cache remembers: the decoded MAC, not its spelling.

    base64 ignores the spare bits of the last character, so one MAC has several valid spellings;
    keying on the text would let each signed body be replayed once per spelling.
    """
    try:
        digest = base64.b64decode(presented.strip(), validate=True)
    except (binascii.Error, ValueError):
        digest = presented.encode("utf-8", "surrogatepass")
    return hashlib.sha256(digest).hexdigest()
