"""Standard Webhooks signatures (https://www.standardwebhooks.com), made by our own code.

The signed content is `{webhook-id}.{webhook-timestamp}.{body}`; the signature is the base64 of
its HMAC-SHA256 under the secret's key (the base64 after `whsec_`), sent as `v1,<signature>`.
During a rotation every live secret signs, space-separated in one header, and the receiver
accepts any of them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence

PREFIX = "whsec_"
_KEY_BYTES = 32


def new_secret() -> str:
    """A fresh signing secret, `whsec_` and 32 random bytes in base64."""
    return PREFIX + base64.b64encode(secrets.token_bytes(_KEY_BYTES)).decode("ascii")


def signature(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,<base64>` signature of a message under `secret`."""
    key = base64.b64decode(secret.removeprefix(PREFIX))
    content = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def headers(
    live_secrets: Sequence[str], webhook_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The three headers of a signed message, signed under every live secret."""
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            signature(secret, webhook_id, timestamp, body) for secret in live_secrets
        ),
        "content-type": "application/json",
    }
