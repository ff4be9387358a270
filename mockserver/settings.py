"""The sandbox's bounds on what it accepts: every limit on size, depth, count and time that is not
scenario data, each a named field with its default here and nowhere else.

``Limits.from_environ()`` reads an override for each field from ``MOCKSERVER_<FIELD NAME>`` (e.g.
``MOCKSERVER_MAX_BODY_BYTES=1048576``); `mockserver run` and the Docker image build their limits
that way, tests pass a ``Limits`` of their own.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields, replace

ENV_PREFIX = "MOCKSERVER_"
# The one path whose bodies may be up to max_snapshot_bytes (the control API's snapshot route).
SNAPSHOT_PATH = "/_mock/snapshot"
WEBHOOK_TARGETS = ("any", "private", "loopback")


class SettingError(ValueError):
    """An environment variable holds a value its setting cannot take; the message names both."""


@dataclass(frozen=True)
class Limits:
    # -- requests ------------------------------------------------------------------------
    # A provider API request body; larger ones get 413 in the provider's error shape. 100 KiB is
    # the default of Express's body parser, which PVADeals' API answers like.
    max_body_bytes: int = 100 * 1024
    # A scenario sent to PUT /_mock/scenario, and a scenario or fixture file read for one.
    max_scenario_bytes: int = 1024 * 1024
    # A snapshot sent to PUT /_mock/snapshot (and a --state file read at start). A snapshot of
    # 1,000 numbers with their webhook log and journal is about 1.5 MB.
    max_snapshot_bytes: int = 32 * 1024 * 1024
    # Arrays and objects inside one another in a JSON body (deeper: 400, before parsing).
    max_json_depth: int = 32
    # Characters in one JSON number (longer: 400); real clients send prices, counts and server ids.
    max_json_number_chars: int = 32
    # Requests the journal keeps, the oldest going first (mockserver run --journal-size).
    journal_size: int = 1000
    # Path and query as the request journal keeps them (characters; the rest is cut).
    max_journal_text: int = 2048

    # Timeline events one move of the clock (POST /_mock/clock) runs while it holds the state lock;
    # past it the move stops at the instant it reached, and says so. An auto-renewing rental moved
    # a thousand years is over a hundred thousand renewals; every request waits while they run.
    max_events_per_move: int = 10_000

    # -- the client report (GET /_mock/report) -------------------------------------------------
    # Evidence (requests, webhook attempts) kept per finding of a rule; the count goes on past it.
    report_evidence_per_rule: int = 20
    # Numbers per tenant whose polls the report follows (intervals, polls after the code); past
    # it, the one first polled longest ago is forgotten.
    report_numbers_per_tenant: int = 1000

    # -- scenario files --------------------------------------------------------------------
    # Values in one YAML document once its aliases are expanded, and how deep they nest: a
    # few hundred bytes of anchors and aliases can otherwise stand for billions of values.
    max_yaml_nodes: int = 100_000
    max_yaml_depth: int = 32
    # Characters in one YAML number (an int or a float, as written): checked before it is
    # converted, since base-60 ints (1:2:3, YAML 1.1) cost quadratic time and ints past 4,300
    # digits cannot be shown as JSON.
    max_yaml_number_chars: int = 64
    # Amounts (credits, balances, prices): at most this much, with at most this many decimal
    # places, so balance arithmetic stays exact and quick and every answer is a finite number.
    max_money: int = 1_000_000_000
    max_money_places: int = 6
    # SMS templates: the width or precision of a placeholder ({code:>8}), and the longest text
    # a template can render to with the longest service name, code and number it may get.
    max_template_width: int = 160
    max_sms_chars: int = 1600

    # -- tenants -----------------------------------------------------------------------------
    # Renewals a PVADeals long-term rental lists, the newest (older ones are only counted), so an
    # auto-renewing rental taken over years of virtual time holds no more.
    rental_renewals_kept: int = 100
    # Accounts one provider creates from a scenario's key patterns; past it, new keys get 401.
    max_tenants: int = 1000

    # -- webhook delivery --------------------------------------------------------------------
    # What is read of a receiver's answer; the rest is discarded and the connection closed.
    webhook_answer_bytes: int = 64 * 1024
    # Deliveries under way at once across all receivers, and at most this many per tenant, so
    # one tenant's dead receivers cannot hold up another tenant's webhooks.
    webhook_workers: int = 32
    webhook_workers_per_tenant: int = 4
    # Where webhooks may go: any address, private (loopback and private ranges), or loopback.
    webhook_targets: str = "any"
    # Host name lookups of webhook receivers under way at once; each runs on a thread of its own
    # (an attempt's deadline covers its lookup), so a DNS server that never answers holds at most
    # this many threads. Past it, a lookup waits for a free one until its attempt's deadline.
    webhook_dns_lookups: int = 64
    # The webhook probe (POST /_mock/webhooks/probe): probes under way at once (past it, 429 at
    # once), so probes of receivers that hang take at most this many of the server's threads; and
    # how long one waits for its answers in all, those still unanswered then judged inconclusive.
    webhook_probes: int = 2
    webhook_probe_timeout_s: int = 30

    # -- idempotency keys (Provynx purchases) --------------------------------------------------
    # Characters in an Idempotency-Key header (longer: 400). Stripe's limit.
    max_idempotency_key_chars: int = 255
    # Keys remembered per tenant, and across all tenants; past either, the oldest goes first.
    idempotency_keys_per_tenant: int = 1000
    idempotency_keys: int = 10_000
    # A refusal's answer is kept for replay only up to this size as JSON; past it, the key keeps
    # only its request's hash and a repeat runs again (a purchase's own answer is always kept).
    idempotency_answer_bytes: int = 4096

    # -- the server (granian) ------------------------------------------------------------------
    # How long a request body may take to arrive, from the end of its headers; a body still
    # incomplete then is answered 408 in the API's error shape. Reading happens before a worker
    # thread is taken, so slow bodies hold none; real clients send theirs at once.
    body_read_timeout_s: int = 10
    # Client connections served at once, idle keep-alive ones and ones still sending included;
    # the next ones wait in the OS's queue of this length.
    max_connections: int = 1000
    # A connection that sends no complete request head for this long is closed: an idle
    # keep-alive one, or one whose headers trickle in.
    idle_connection_timeout_s: int = 30
    # How long a stopping server lets requests under way finish.
    stop_grace_s: int = 5

    # -- the HTTPS proxy (mockserver run --proxy-port) -----------------------------------------
    # A CONNECT request's line and headers; a longer one is refused (431). It must arrive within
    # body_read_timeout_s; tunnels count against max_connections and close after
    # idle_connection_timeout_s without a byte either way.
    max_proxy_head_bytes: int = 8192

    def __post_init__(self) -> None:
        for field in fields(self):
            problem = _problem(field, getattr(self, field.name))
            if problem:
                raise SettingError(f"{field.name}: {problem}")

    @classmethod
    def from_environ(cls, environ=None) -> Limits:
        """The defaults, with each ``MOCKSERVER_<NAME>`` set in the environment applied."""
        environ = os.environ if environ is None else environ
        changes = {}
        for field in fields(cls):
            name = ENV_PREFIX + field.name.upper()
            text = (environ.get(name) or "").strip()
            if not text:
                continue
            value = (int(text) if re.fullmatch(r"-?\d+", text) else text) if field.type == "int" else text.lower()
            problem = _problem(field, value)
            if problem:
                raise SettingError(f"{name}={text!r}: {problem}")
            changes[field.name] = value
        return replace(cls(), **changes)

    @staticmethod
    def environment_names() -> list[str]:
        return [ENV_PREFIX + field.name.upper() for field in fields(Limits)]


def _problem(field, value) -> str | None:
    if field.type == "int":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            return "give a whole number of at least 1"
    elif field.name == "webhook_targets" and value not in WEBHOOK_TARGETS:
        return f"give one of {', '.join(WEBHOOK_TARGETS)}"
    return None


DEFAULT_LIMITS = Limits()
