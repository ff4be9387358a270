"""Standard Webhooks signatures (https://www.standardwebhooks.com): HMAC-SHA256 over
"{id}.{timestamp}.{body}" with the key inside a whsec_ secret."""
from __future__ import annotations

import base64
import hashlib
import hmac


def standard_webhooks_headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    signature = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp), "webhook-signature": f"v1,{signature}"}
