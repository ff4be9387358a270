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


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The base64 HMAC-SHA256 of "{id}.{timestamp}.{body}" under the secret's key."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    return base64.b64encode(hmac.new(secret_key(secret), signed, hashlib.sha256).digest()).decode()


def standard_webhooks_headers(secrets: str | tuple[str, ...], message_id: str, timestamp: int, body: bytes) -> dict:
    """The three headers, signed with each secret in turn: during a key rotation, one ``v1,``
    signature per secret, space-separated, as the specification allows (a receiver accepts the
    delivery if any one of them verifies)."""
    if isinstance(secrets, str):
        secrets = (secrets,)
    signatures = " ".join(f"v1,{signature(secret, message_id, timestamp, body)}" for secret in secrets)
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp), "webhook-signature": signatures}
