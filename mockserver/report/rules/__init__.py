"""The client report's rules, one module each, in the order they look at a request (and their
thresholds and snapshot fields come in). A new rule: its module, and one line here."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mockserver.report.rule import Rule, Thresholds
from mockserver.report.rules import (
    lenient_request,
    number_cycling,
    numbers_left_to_expire,
    polling_too_fast,
    rate_headroom,
    refusal_loop,
    retry_after_ignored,
    unsafe_retry,
    webhook_receiver,
    webhook_trouble,
)

RULES: tuple[Rule, ...] = (
    polling_too_fast.PollingTooFast(),
    rate_headroom.RateHeadroom(),
    refusal_loop.RefusalLoop(),
    unsafe_retry.UnsafeRetry(),
    retry_after_ignored.RetryAfterIgnored(),
    numbers_left_to_expire.NumbersLeftToExpire(),
    number_cycling.NumberCycling(),
    webhook_trouble.WebhookTrouble(),
    webhook_receiver.WebhookReceiver(),
    lenient_request.LenientRequest(),
)

THRESHOLDS = tuple(threshold for rule in RULES for threshold in rule.thresholds)
OWNERS = {name: rule for rule in RULES for name in (rule.id, *rule.keeps)}   # finding id -> the rule that keeps it


def thresholds(given: Mapping[str, Any] | None = None) -> Thresholds:
    """Every rule's thresholds: the ones given (a scenario's report: section) over the defaults."""
    return {threshold.name: threshold.default for threshold in THRESHOLDS} | dict(given or {})
