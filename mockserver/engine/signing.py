"""Standard Webhooks signatures (https://www.standardwebhooks.com): HMAC-SHA256 over
"{id}.{timestamp}.{body}" with the key inside a whsec_ secret."""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac


class SecretError(ValueError):
    """A signing secret whose key does not decode: nothing can be signed with it."""


def secret_key(secret: str) -> bytes:
    """The HMAC key inside a whsec_ secret: its base64 text, strictly decoded. SecretError for
    one that does not decode (e.g. "whsec_a")."""
    try:
        return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except binascii.Error as exc:
        raise SecretError(f"the signing secret is not whsec_ followed by base64 ({exc})") from None


def standard_webhooks_headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict:
    key = secret_key(secret)
    signed = f"{message_id}.{timestamp}.".encode() + body
    signature = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp), "webhook-signature": f"v1,{signature}"}
