"""Probing a webhook receiver's defences: deliveries it must refuse (forged, stale, unsigned) and
deliveries it must take (a valid one, one signed during a key rotation), each sent once through the
outbox and judged by the receiver's answer: a 4xx "defended", a 2xx "accepted", anything else (a
5xx, a redirect, no answer) "inconclusive".

Each provider states its own probe kinds (its package's probes.py): a list of ProbeSpec, plain
data. The Standard Webhooks kinds are here, since the scheme is the engine's (signing.py): a
provider that signs that way lists ``standard_webhooks_probes``. A kind either signs with other
secrets (``secrets``) or names a forgery of the headers (``forge``, FORGERIES), applied by the
outbox when it signs (the timestamp is the wall clock's at that moment, as for every delivery).

Probe payloads name no number of the receiver's world: ids of zeros, a fictional phone number and
the code PROBE_CODE, so a receiver that wrongly accepts one does no harm."""
from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from mockserver.engine.signing import SecretError, secret_key, standard_webhooks_headers

DEFENDED, ACCEPTED, INCONCLUSIVE = "defended", "accepted", "inconclusive"
VERDICTS = (DEFENDED, ACCEPTED, INCONCLUSIVE)
PROBE_CODE = "000000"              # the code every probe payload carries
PROBE_NUMBER = "+12025550100"      # 555-01xx: reserved for fiction in the North American plan
SKEW_S = 600                       # how far off the stale and future kinds' timestamps are


@dataclass(frozen=True)
class ProbeSpec:
    kind: str
    expect: str                    # DEFENDED or ACCEPTED
    what: str                      # one line for people
    event: str
    url: str
    body: bytes
    secrets: tuple[str, ...] = ()  # signed with each (none: unsigned)
    forge: str | None = None       # a forgery of FORGERIES, applied when signing


def _tampered(body: bytes) -> bytes:
    """Another body: the one the signature of kind "other-body" is made over."""
    code = PROBE_CODE.encode()
    return body.replace(code, b"999999", 1) if code in body else body + b" "


def _skewed(seconds: int):
    def forge(secrets, message_id, timestamp, body):
        return standard_webhooks_headers(secrets, message_id, timestamp + seconds, body)
    return forge


def _without(header: str):
    def forge(secrets, message_id, timestamp, body):
        headers = standard_webhooks_headers(secrets, message_id, timestamp, body)
        del headers[header]
        return headers
    return forge


def _equals_sign(secrets, message_id, timestamp, body):
    headers = standard_webhooks_headers(secrets, message_id, timestamp, body)
    headers["webhook-signature"] = headers["webhook-signature"].replace("v1,", "v1=")
    return headers


# name -> (secrets, message id, timestamp, body) -> the headers sent (the body sent is unchanged)
FORGERIES = {
    "other-body": lambda secrets, message_id, timestamp, body: standard_webhooks_headers(
        secrets, message_id, timestamp, _tampered(body)),
    "stale": _skewed(-SKEW_S),
    "future": _skewed(SKEW_S),
    "no-signature": _without("webhook-signature"),
    "no-id": _without("webhook-id"),
    "no-timestamp": _without("webhook-timestamp"),
    "v1-equals": _equals_sign,
}


def signed_headers(secrets: tuple[str, ...], message_id: str, timestamp: int, body: bytes,
                   forge: str | None = None) -> dict:
    """A message's Standard Webhooks headers, forged if it is a probe of a forging kind."""
    if forge is not None:
        return FORGERIES[forge](secrets, message_id, timestamp, body)
    return standard_webhooks_headers(secrets, message_id, timestamp, body)


def wrong_secret(secret: str) -> str:
    """A secret that is not the account's: derived from it, so the same on every run."""
    try:
        key = secret_key(secret)
    except SecretError:
        key = secret.encode()
    return "whsec_" + base64.b64encode(hashlib.sha256(b"mockserver probe:" + key).digest()[:24]).decode()


def standard_webhooks_probes(url: str, event: str, body: bytes, secret: str) -> list[ProbeSpec]:
    """The Standard Webhooks kinds, in the order sent: the forged ones, then the two it must take."""
    wrong = wrong_secret(secret)

    def refuse(kind: str, what: str, secrets=(secret,), forge: str | None = None) -> ProbeSpec:
        return ProbeSpec(kind, DEFENDED, what, event, url, body, secrets, forge)

    return [
        refuse("wrong-secret", "signed with a secret that is not the account's", secrets=(wrong,)),
        refuse("other-body", "a valid signature, made over a different body", forge="other-body"),
        refuse("stale", f"webhook-timestamp {SKEW_S // 60} minutes old (a replay)", forge="stale"),
        refuse("future", f"webhook-timestamp {SKEW_S // 60} minutes ahead", forge="future"),
        refuse("no-signature", "no webhook-signature header", forge="no-signature"),
        refuse("no-id", "no webhook-id header", forge="no-id"),
        refuse("no-timestamp", "no webhook-timestamp header", forge="no-timestamp"),
        refuse("v1-equals", "the signature written v1=... instead of v1,...", forge="v1-equals"),
        ProbeSpec("rotated", ACCEPTED, "two signatures, only the second valid (a key rotation)", event, url, body,
                  (wrong, secret)),
        ProbeSpec("valid", ACCEPTED, "a genuine delivery", event, url, body, (secret,)),
    ]


def verdict(status: int | None) -> str:
    if status is not None and 200 <= status < 300:
        return ACCEPTED
    if status is not None and 400 <= status < 500:
        return DEFENDED
    return INCONCLUSIVE
