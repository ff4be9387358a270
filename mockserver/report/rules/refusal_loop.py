"""refusal-loop: the same request answered with the same 4xx (429 aside), or the same refusal
a protocol answers with 200 (sms-activate's tokens), ``refusal_loop`` times in a row by one key.
A loop counts once, however long."""
from __future__ import annotations

from typing import Any

from mockserver.engine.exchange import Exchange
from mockserver.engine.records import Record
from mockserver.report.rule import (
    Finding,
    Rule,
    Seen,
    Threshold,
    Thresholds,
    body_hash,
    load_evidence,
    plural,
    seen_as,
    shaped,
)

_SIGNATURE = (str, str, str, int, int)        # method, path, query, body hash, status


class RefusalLoop(Rule):
    id = "refusal-loop"
    advice = "Read the refusal and change the request (or stop): the same request gets the same answer."
    thresholds = (Threshold("refusal_loop", 3, "The same request refused with the same 4xx this many times in a "
                            "row is a loop (rule refusal-loop)", minimum=2, maximum=1000),)
    # the last refused request's signature, how often in a row, and the first of the run as evidence
    per_key = {"loop": None, "loop_run": 0, "loop_first": None}

    def request(self, seen: Seen, mine: dict[str, Any], exchange: Exchange, thresholds: Thresholds) -> None:
        status = exchange.status
        if not (exchange.refused or (400 <= status < 500 and status != 429)):
            if mine["loop"] is not None:
                mine["loop"], mine["loop_run"], mine["loop_first"] = None, 0, None
            return
        evidence = seen_as(exchange)
        signature = (exchange.method, exchange.path, exchange.query, body_hash(exchange.body), status)
        if signature == mine["loop"]:
            mine["loop_run"] += 1
        else:
            mine["loop"], mine["loop_run"], mine["loop_first"] = signature, 1, evidence
        if mine["loop_run"] >= thresholds["refusal_loop"]:
            found = seen.finding(self.id, exchange.key)
            if mine["loop_run"] == thresholds["refusal_loop"]:
                found.count += 1
                found.evidence.append(mine["loop_first"])
            found.evidence.append(evidence)

    def describe(self, variant: Any, found: Finding, thresholds: Thresholds) -> tuple[str, str]:
        return "warning", (f"{plural(found.count, 'loop')} of the same request refused with the same 4xx "
                           f"{thresholds['refusal_loop']} or more times in a row")

    def restore_key(self, mine: dict[str, Any], record: Record) -> None:
        mine["loop"] = shaped(record, "loop", _SIGNATURE)
        mine["loop_first"] = load_evidence(record.raw("loop_first", None), lambda: f"{record.path}.loop_first",
                                           optional=True)
        mine["loop_run"] = record.int("loop_run", minimum=0)
