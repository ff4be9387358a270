"""What the providers' verify scripts (providers/<name>/verification.py) share: pacing calls within
a rate rule, and reading a value out of a JSON answer. The rest of `mockserver verify` is above the
providers, in mockserver/verify/."""
from __future__ import annotations


def pace_for(rule) -> float:
    """The least time between two calls that keeps within a rate rule (limit per window), with a
    margin: calls exactly window/limit apart still put limit + 1 of them in one closed window."""
    return rule.window_ms / 1000 / rule.limit * 1.05


def dig(value, *keys):
    """value[k1][k2]..., or None where a step is missing or of another kind."""
    for key in keys:
        if isinstance(value, dict) and isinstance(key, str):
            value = value.get(key)
        elif isinstance(value, list) and isinstance(key, int) and -len(value) <= key < len(value):
            value = value[key]
        else:
            return None
    return value
