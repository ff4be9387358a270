"""The client report: what would hurt the client under test against the real provider, as the
findings of its rules (report/rules/) over what the sandbox observed (observe.py), the rate
limiters' peaks and the numbers the providers hold. Each finding has a rule id, a severity, a
count, a sample of evidence (requests and webhook attempts, at their virtual instants) and advice.

Reading it changes nothing: the state is read under the sandbox lock, nothing is provisioned.
No Flask here; the control API (GET /_mock/report) and the CLI (mockserver report) show it."""
from __future__ import annotations

from mockserver.providers.registry import PROVIDERS
from mockserver.report.rule import COUNTS, finding
from mockserver.report.rules import OWNERS, RULES

SEVERITIES = ("none", "info", "warning", "error")
_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}


def build(sandbox, tenant=None) -> dict:
    """The report of one tenant (or of everyone): {"findings", "counts", "worst"}."""
    thresholds = sandbox.observer.thresholds
    most = sandbox.limits.report_evidence_per_rule
    findings: list[dict] = []
    counts = dict.fromkeys(COUNTS, 0)
    with sandbox.lock:
        sandbox.catch_up()
        observed = sandbox.observer.snapshot(tenant)
        for seen_tenant, seen in observed.items():
            for name, value in seen.counts.items():
                counts[name] += value
            for (rule_id, key, variant), found in seen.findings.items():
                rule = OWNERS.get(rule_id)
                described = rule.describe(variant, found, thresholds) if rule is not None and found.count else None
                if rule is None or described is None:
                    continue                   # evidence a rule shows with another finding, or a rule no more
                severity, summary = described
                key = _key_of(sandbox, seen_tenant) if rule.per_account else key
                findings.append(finding(rule, severity, seen_tenant.provider, key, summary, found.count,
                                        found.evidence, thresholds))
        for provider in PROVIDERS:
            if tenant is not None and tenant.provider != provider.name:
                continue
            for rule in RULES:
                findings.extend(rule.report(provider, sandbox.backends[provider.name], tenant, observed, thresholds,
                                            most))
    findings.sort(key=lambda f: (-_RANK[f["severity"]], f["rule"], f["provider"], f["key"], f["summary"]))
    worst = max((f["severity"] for f in findings), key=_RANK.__getitem__, default="none")
    return {"findings": findings, "counts": counts, "worst": worst}


def _key_of(sandbox, tenant) -> str:
    for provider in PROVIDERS:
        if provider.name == tenant.provider:
            try:
                return provider.key_of(sandbox.backends[provider.name], tenant)
            except KeyError:              # the account is gone (a reset): its name is all there is
                return tenant.account
    return tenant.account
