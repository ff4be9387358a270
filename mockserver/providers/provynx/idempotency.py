"""Provynx's Idempotency-Key on purchases, a guard of those routes in the request pipeline.

The same key with the same body replays the first answer (header Idempotent-Replayed: true); the
same key with another body is refused; a repeat while the first is still under way is told to
retry. The first answer is kept when it is worth repeating: not a 5xx (a fault: the retry should
run), not a body refused before the purchase began or a refusal of its input by the backend (an
error with ``refuses_input``: the corrected retry is no repeat), and not one that never came (a
dropped connection, a crash), which frees the key instead.

What is kept is bounded (settings.py): a key is at most ``max_idempotency_key_chars`` long (400
past it), a tenant keeps at most ``idempotency_keys_per_tenant`` keys and the sandbox
``idempotency_keys`` (the oldest go first), and a refusal's body is kept only when it is at most
``idempotency_answer_bytes`` as JSON and can be encoded at all (a body echoing a lone surrogate
cannot): otherwise the key keeps only the hash of its request, and a repeat runs the request again
(a refusal changed nothing, so it refuses again) while another body is still refused. A
purchase's own answer is always kept, so a retry never buys twice."""
from __future__ import annotations

import hashlib
import json

from mockserver.engine.idempotency import Outcome
from mockserver.providers.contract import Call
from mockserver.providers.provynx.backend import Caller, Provynx
from mockserver.providers.provynx.errors import (
    IdempotencyInFlight,
    IdempotencyKeyTooLong,
    IdempotencyMismatch,
)
from mockserver.settings import Limits

HEADER = "Idempotency-Key"
ProvynxCall = Call[Provynx, Caller]


class IdempotencyKeyGuard:
    parameters: tuple[dict[str, object], ...] = (
        {"in": "header", "name": HEADER, "required": False, "schema": {"type": "string"},
         "description": "Replays the first answer for a repeat with the same body"},)

    def before(self, call: ProvynxCall) -> tuple[int, object, dict[str, str]] | None:
        key = call.request.headers.get(HEADER)
        if not key:
            return None
        limits = call.sandbox.limits
        if len(key) > limits.max_idempotency_key_chars:
            raise IdempotencyKeyTooLong(limits.max_idempotency_key_chars)
        scope = call.caller.scope
        begun = call.backend.idempotency.begin(scope, key, self._fingerprint(call), call.now_ms,
                                               owner=call.caller.tenant, per_owner=limits.idempotency_keys_per_tenant,
                                               total=limits.idempotency_keys)
        if begun.outcome is Outcome.REPLAY:
            stored = begun.stored
            # the store answers REPLAY only with the key's finished entry (a status, not in flight)
            assert stored is not None and stored.status is not None
            return stored.status, stored.body, {"Idempotent-Replayed": "true"}
        if begun.outcome is Outcome.MISMATCH:
            raise IdempotencyMismatch()
        if begun.outcome is Outcome.IN_FLIGHT:
            raise IdempotencyInFlight()
        call.held["idempotency"] = (scope, key)
        return None

    def after(self, call: ProvynxCall, status: int, body: object, refused_input: bool) -> None:
        held: tuple[str, str] | None = call.held.pop("idempotency", None)
        if held is None:
            return
        scope, key = held
        if status < 500 and not refused_input:
            keep_body = 200 <= status < 300 or _keepable(body, call.sandbox.limits)
            call.backend.idempotency.finish(scope, key, status, body, keep_body=keep_body)
        else:
            call.backend.idempotency.release(scope, key)

    def abandon(self, call: ProvynxCall) -> None:
        held: tuple[str, str] | None = call.held.pop("idempotency", None)
        if held is not None:
            call.backend.idempotency.release(*held)

    @staticmethod
    def _fingerprint(call: ProvynxCall) -> str:
        """A hash of the path and the body as JSON with sorted keys (as the pipeline parsed it), so
        spacing or key order does not make a repeat differ; a body that is not JSON, as sent. Only
        the hash is kept: a key is remembered for a day, and a body may be large."""
        exchange = call.exchange
        canonical = exchange.body
        if exchange.body_is_json:
            canonical = json.dumps(exchange.body_json, sort_keys=True, separators=(",", ":")).encode()
        return hashlib.sha256(call.request.path.encode() + b"\0" + canonical).hexdigest()


def _keepable(body: object, limits: Limits) -> bool:
    """Whether a refusal's body is small enough to keep for a day, and can be encoded to send again."""
    try:
        encoded = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except (TypeError, ValueError):        # UnicodeEncodeError (a lone surrogate) is a ValueError
        return False
    return len(encoded) <= limits.idempotency_answer_bytes


IDEMPOTENCY_KEY = IdempotencyKeyGuard()
