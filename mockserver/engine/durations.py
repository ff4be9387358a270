"""Durations as people write them in scenarios and control calls: 500ms, 3s, 20m, 1h, 1h30m."""
from __future__ import annotations

import math
import re

_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
_LONGEST_MS = 10_000 * 365 * 86_400_000     # past any instant the clock can show
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")


def parse_duration(value: object) -> int:
    """Milliseconds from ``"3s"``, ``"1h30m"``, ``"500ms"`` or a bare number of seconds.

    Raises ValueError with a message fit to show a user.
    """
    if isinstance(value, bool):
        raise ValueError("not a duration (use e.g. 500ms, 3s, 20m, 1h)")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and math.isnan(value):
            raise ValueError("not a duration: not a number")
        if value < 0:
            raise ValueError("a duration cannot be negative")
        # Compared as given: a huge int overflows a float, and infinity is no duration either.
        if value > _LONGEST_MS // 1000:
            raise ValueError("not a duration: too long (at most about 10,000 years)")
        return int(round(value * 1000))
    if not isinstance(value, str):
        raise ValueError("not a duration (use e.g. 500ms, 3s, 20m, 1h)")
    text = value.strip().replace(" ", "")
    pos, total = 0, 0.0
    for part in _PART.finditer(text):
        if part.start() != pos:
            break
        total += float(part.group(1)) * _UNIT_MS[part.group(2)]
        pos = part.end()
    if not text or pos != len(text):
        raise ValueError("not a duration (use e.g. 500ms, 3s, 20m, 1h)")
    if total > _LONGEST_MS:
        raise ValueError("not a duration: too long (at most about 10,000 years)")
    return int(round(total))



def format_duration(ms: int) -> str:
    """The shortest way a scenario would write it: 1200000 -> "20m"."""
    for unit in ("h", "m", "s"):
        if ms and ms % _UNIT_MS[unit] == 0:
            return f"{ms // _UNIT_MS[unit]}{unit}"
    return f"{ms}ms"
