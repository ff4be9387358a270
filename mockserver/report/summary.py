"""The client report: what would hurt the client under test against the real provider, as
findings of rules over what the sandbox observed (engine/observe.py), the rate limiters' peaks
and the numbers the providers hold. Each finding has a rule id, a severity, a count, a sample of
evidence (requests and webhook attempts, at their virtual instants) and one line of advice.
Thresholds are the scenario's ``report:`` section (scenario/model.py ReportThresholds).

Reading it changes nothing: the state is read under the sandbox lock, nothing is provisioned.
No Flask here; the control API (GET /_mock/report) and the CLI (mockserver report) show it."""
from __future__ import annotations

from decimal import Decimal

from mockserver.engine.durations import format_duration
from mockserver.providers.registry import PROVIDERS
from mockserver.report import observe as o

SEVERITIES = ("none", "info", "warning", "error")
_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}

ADVICE = {
    o.RATE_HEADROOM: "Spread requests out (a queue or a token bucket of your own below the limit), and poll less "
                     "or take webhooks instead.",
    o.RETRY_AFTER_IGNORED: "After a 429, wait at least Retry-After seconds before the next request with this key, "
                           "and back off further if it repeats.",
    o.POLLING_TOO_FAST: "Poll each number at most every {interval} with backoff, stop once it shows its code or its "
                        "end, or take the SMS from webhooks instead of polling.",
    o.UNSAFE_RETRY: "Send one idempotency key per purchase and the same key on every retry of it; where the API has "
                    "none, look the purchase up (the account's list) before buying again.",
    o.REFUSAL_LOOP: "Read the refusal and change the request (or stop): the same request gets the same answer.",
    o.NUMBERS_LEFT_TO_EXPIRE: "Flag or cancel a number as soon as you give up on its code; a number left to run out "
                              "ties up stock and, where no refund is made, your money.",
    o.WEBHOOK_TROUBLE: "Answer webhooks with a 2xx quickly (queue the work), and log every failure your receiver "
                       "has; the provider gives up after its retries.",
    o.WEBHOOK_RECEIVER: "Verify every delivery before acting on it and answer 4xx to what fails: Standard Webhooks "
                        "(HMAC-SHA256 over id.timestamp.body, checked against each v1, signature in constant time, "
                        "a timestamp within 5 minutes, all three headers required), or for an unsigned provider a "
                        "secret in the URL's query compared in constant time (docs/webhook-receivers.md).",
    o.LENIENT_REQUEST: "Send exactly the fields and paths the API documents: the sandbox (like the real API) "
                       "ignored what it did not know, so a misspelt field silently had no effect.",
}


def build(sandbox, tenant=None) -> dict:
    """The report of one tenant (or of everyone): {"findings", "counts", "worst"}."""
    thresholds = sandbox.scenario.report
    findings: list[dict] = []
    counts = dict.fromkeys(o.COUNTS, 0)
    with sandbox.lock:
        sandbox.catch_up()
        observed = sandbox.observer.snapshot(tenant)
        for seen_tenant, seen in observed.items():
            for name, value in seen.counts.items():
                counts[name] += value
            findings.extend(_observed(sandbox, seen_tenant, seen, thresholds))
        for provider in PROVIDERS:
            backend = sandbox.backends[provider.name]
            if tenant is not None and tenant.provider != provider.name:
                continue
            findings.extend(_rate_headroom(provider, backend, tenant, observed, thresholds))
            findings.extend(_expired(provider, backend, tenant, sandbox.limits.report_evidence_per_rule))
    findings.sort(key=lambda f: (-_RANK[f["severity"]], f["rule"], f["provider"], f["key"], f["summary"]))
    worst = max((f["severity"] for f in findings), key=_RANK.__getitem__, default="none")
    return {"findings": findings, "counts": counts, "worst": worst}


def _finding(rule: str, severity: str, provider: str, key: str, summary: str, count: int, evidence,
             **advice_args) -> dict:
    return {"rule": rule, "severity": severity, "provider": provider, "key": key, "summary": summary,
            "advice": ADVICE[rule].format(**advice_args), "count": count,
            "evidence": [_evidence(item) for item in evidence]}


def _evidence(item: tuple) -> dict:
    if item[0] == "webhook":
        return {"at": item[1], "kind": "webhook", "id": item[2]}
    if item[0] == "number":
        return {"at": item[1], "kind": "request", "id": item[2]}
    _, at_ms, method, path, status = item
    return {"at": at_ms, "kind": "request", "method": method, "path": path,
            **({} if status is None else {"status": status})}


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _observed(sandbox, tenant, seen: o.Snapshot, thresholds) -> list[dict]:
    provider = tenant.provider
    interval = format_duration(thresholds.poll_interval_ms)
    results = []
    for (rule, key, variant), found in seen.findings.items():
        if rule == o.RATE_LIMITED or not found.count:
            continue                       # evidence for rate-headroom, joined there
        count, evidence = found.count, found.evidence
        if rule == o.RETRY_AFTER_IGNORED:
            severity, summary = "error", (f"{_plural(count, 'request')} sent before the Retry-After of a 429 "
                                          "had passed (the real API may refuse longer, or block the key)")
        elif rule == o.POLLING_TOO_FAST:
            severity = "warning"
            summary = (f"{_plural(count, 'poll')} of a number less than {interval} after the previous poll of it"
                       if variant == o.FAST else
                       f"{_plural(count, 'poll')} of numbers that had already shown their code or their end")
        elif rule == o.UNSAFE_RETRY:
            severity = "error"
            header = next(iter(found.names), "idempotency key")
            summary = {o.NO_KEY: f"a purchase that failed (5xx or a broken connection) was sent again without an "
                                 f"{header}: a possible double purchase",
                       o.NEW_KEY: f"a purchase that failed (5xx or a broken connection) was sent again with a new "
                                  f"{header}: a possible double purchase",
                       o.NOT_IDEMPOTENT: "a purchase that failed (5xx or a broken connection) was sent again at once, "
                                         "without looking it up first (this API has no idempotency): a possible "
                                         "double purchase"}[variant]
            summary = f"{_plural(count, 'time')}: {summary}"
        elif rule == o.REFUSAL_LOOP:
            severity = "warning"
            summary = (f"{_plural(count, 'loop')} of the same request refused with the same 4xx "
                       f"{thresholds.refusal_loop} or more times in a row")
        elif rule == o.WEBHOOK_TROUBLE:
            key = _key_of(sandbox, tenant)
            if variant == o.NEVER_ACCEPTED:
                severity, summary = "error", (f"{_plural(count, 'webhook message')} never accepted by the receiver, "
                                              "its retries used up")
            else:
                severity, summary = "warning", (f"{_plural(count, 'webhook message')} needed retries: the receiver "
                                                "failed the first attempt")
        elif rule == o.WEBHOOK_RECEIVER:
            key = _key_of(sandbox, tenant)
            kinds = ", ".join(found.names)
            if variant == o.ACCEPTS_FORGED:
                severity, summary = "error", (f"the webhook receiver accepted (2xx) {_plural(count, 'probe')} it "
                                              f"should have refused: {kinds}")
            elif variant == o.REFUSES_GENUINE:
                severity, summary = "error", (f"the webhook receiver did not accept {_plural(count, 'genuine probe')} "
                                              f"(real deliveries would be lost): {kinds}")
            else:
                severity, summary = "warning", (f"the webhook receiver answered {_plural(count, 'forged probe')} with "
                                                f"neither a 4xx nor a 2xx (a 5xx, a redirect or no answer; a provider "
                                                f"retries those): {kinds}")
        elif rule == o.LENIENT_REQUEST:
            if variant == o.IGNORED_FIELDS:
                severity, summary = "warning", (f"{_plural(count, 'request')} had body fields or query parameters the API ignored: "
                                                f"{', '.join(found.names)}")
            else:
                severity, summary = "info", (f"{_plural(count, 'request')} to a path with a trailing slash, which "
                                             "this API answers as without it")
        else:
            continue
        results.append(_finding(rule, severity, provider, key, summary, count, evidence, interval=interval))
    return results


def _key_of(sandbox, tenant) -> str:
    for provider in PROVIDERS:
        if provider.name == tenant.provider:
            try:
                return provider.key_of(sandbox.backends[provider.name], tenant)
            except KeyError:              # the account is gone (a reset): its name is all there is
                return tenant.account
    return tenant.account


def _rate_headroom(provider, backend, tenant, observed: dict, thresholds) -> list[dict]:
    results = []
    for usage in backend.rate_usage():
        rule = usage.rule
        if rule.scope == "key":
            owner = backend.tenant_for_key(usage.subject, provision=False)
            if owner is None or (tenant is not None and owner != tenant):
                continue
            key = usage.subject
            seen = observed.get(owner)
            limited = seen.findings.get((o.RATE_LIMITED, key, rule)) if seen is not None else None
        elif tenant is None:                 # a rule per IP address belongs to no one tenant
            key, limited = f"ip {usage.subject}", None
        else:
            continue
        share = usage.peak / rule.limit
        if usage.refused or usage.peak >= rule.limit:
            severity = "error"
        elif share >= thresholds.rate_warning:
            severity = "warning"
        else:
            continue
        where = f" on {', '.join(rule.paths)}" if rule.paths else ""
        summary = (f"peak {usage.peak} of {rule.limit} requests per {format_duration(rule.window_ms)}"
                   f"{where} ({round(share * 100)}%); {usage.refused} refused with 429")
        evidence = [("request", usage.peak_ms, "", provider.prefix + usage.peak_path, None)]
        if limited is not None:
            evidence.extend(limited.evidence)
        item = _finding(o.RATE_HEADROOM, severity, provider.name, key, summary, usage.peak, evidence)
        item["evidence"][0].pop("method")        # the limiter keeps the peak's instant and path only
        results.append(item)
    return results


def _expired(provider, backend, tenant, most: int) -> list[dict]:
    by_key: dict[str, list] = {}
    for ended in provider.expired(backend, tenant):
        by_key.setdefault(ended.key, []).append(ended)
    results = []
    for key, ended in by_key.items():
        ended.sort(key=lambda e: (e.ended_ms, e.id))
        kept = sum((e.kept for e in ended), Decimal(0))
        summary = f"{_plural(len(ended), 'number')} ran out with no code, never flagged or cancelled"
        if kept:
            summary += f"; money kept for no code (not refunded): {kept.normalize():f}"
        results.append(_finding(o.NUMBERS_LEFT_TO_EXPIRE, "warning", provider.name, key, summary, len(ended),
                                [("number", e.ended_ms, e.id) for e in ended[:most]]))
    return results
