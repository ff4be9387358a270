"""rate-headroom: a key's (or an IP address') busiest window of a rate-limit rule, read from the
limiters when the report is made; each 429 observed is kept as the finding's evidence."""
from __future__ import annotations

from typing import Any

from mockserver.engine.durations import format_duration
from mockserver.engine.exchange import Exchange
from mockserver.report.rule import Rule, Seen, Threshold, Thresholds, finding, seen_as

RATE_LIMITED = "rate-limited"      # 429s per rate-limit rule: the findings' evidence, shown with them


class RateHeadroom(Rule):
    id = "rate-headroom"
    advice = ("Spread requests out (a queue or a token bucket of your own below the limit), and poll less "
              "or take webhooks instead.")
    thresholds = (Threshold("rate_warning", 0.8, "A rate limit's peak use in one window at this share of the limit "
                            "is a warning; at the limit, or with a 429, an error (rule rate-headroom)",
                            kind="share", minimum=0.01, maximum=1),)
    keeps = (RATE_LIMITED,)

    def request(self, seen: Seen, mine: dict[str, Any], exchange: Exchange, thresholds: Thresholds) -> None:
        if exchange.status == 429 and exchange.rejection is not None:
            seen.note(RATE_LIMITED, exchange.key, exchange.rejection.rule, seen_as(exchange))

    def report(self, provider: Any, backend: Any, tenant: Any, observed: dict, thresholds: Thresholds,
               most: int) -> list[dict]:
        results = []
        for usage in backend.rate_usage():
            rule = usage.rule
            if rule.scope == "key":
                owner = backend.tenant_for_key(usage.subject, provision=False)
                if owner is None or (tenant is not None and owner != tenant):
                    continue
                key = usage.subject
                seen = observed.get(owner)
                limited = seen.findings.get((RATE_LIMITED, key, rule)) if seen is not None else None
            elif tenant is None:                 # a rule per IP address belongs to no one tenant
                key, limited = f"ip {usage.subject}", None
            else:
                continue
            share = usage.peak / rule.limit
            if usage.refused or usage.peak >= rule.limit:
                severity = "error"
            elif share >= thresholds["rate_warning"]:
                severity = "warning"
            else:
                continue
            where = f" on {', '.join(rule.paths)}" if rule.paths else ""
            summary = (f"peak {usage.peak} of {rule.limit} requests per {format_duration(rule.window_ms)}"
                       f"{where} ({round(share * 100)}%); {usage.refused} refused with 429")
            evidence = [("request", usage.peak_ms, "", provider.prefix + usage.peak_path, None)]
            if limited is not None:
                evidence.extend(limited.evidence)
            item = finding(self, severity, provider.name, key, summary, usage.peak, evidence, thresholds)
            item["evidence"][0].pop("method")        # the limiter keeps the peak's instant and path only
            results.append(item)
        return results
