"""What counts as a difference between the real API's answer and the sandbox's.

Status, content type and (on a 429) Retry-After must match. A JSON body must have the same
fields in the same order, all the way down. Values the account owns (ids, balances, prices,
numbers, times, names from its catalog) differ from one account to the next, so they are
compared by their JSON type and format only (an ISO time, a 24-hex id, an E.164 number, an
amount with at most two decimals...). Texts that are the API's own words are compared as they
are: an error answer's strings, and the fields a provider names (``message``, ``success``...)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from mockserver.verify.session import Exchange

PASS, DIFFERS, MISSING_ROUTE, EXTRA_FIELD, ONE_SIDED = "pass", "differs", "missing route", "extra field", "one side only"

_FORMATS = (
    ("an ISO time", re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")),
    ("a 24-hex id", re.compile(r"^[0-9a-f]{24}$")),
    ("an E.164 number", re.compile(r"^\+[1-9]\d{6,14}$")),
    ("a URL", re.compile(r"^https?://\S+$")),
)


def kind(value) -> str:
    """A value's JSON type and, for strings and numbers, its format."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        text = repr(value)
        decimals = len(text.split(".")[1]) if "." in text and "e" not in text else 0
        return "a number" if decimals <= 2 else f"a number with {decimals} decimals"
    if isinstance(value, str):
        return next((name for name, pattern in _FORMATS if pattern.match(value)), "text")
    if isinstance(value, list):
        return "a list"
    return "an object"


@dataclass
class Verdict:
    name: str
    call: str                 # "GET /request/<id>", or the method and path of a call no route takes
    verdict: str
    differences: list[str] = field(default_factory=list)
    real_status: int | None = None
    sandbox_status: int | None = None


def compare(name: str, real: Exchange | None, sandbox: Exchange | None, *, value_keys: frozenset[str],
            real_unknown: tuple | None, sandbox_unknown: tuple | None) -> Verdict:
    """``*_unknown``: (status, body) each side gives for a route it does not have."""
    some = real or sandbox
    assert some is not None                 # a call is compared once one side at least made it
    verdict = Verdict(name, some.route or f"{some.method} {some.path}", PASS,
                      real_status=None if real is None else real.status,
                      sandbox_status=None if sandbox is None else sandbox.status)
    if real is None or sandbox is None:
        verdict.verdict = ONE_SIDED
        verdict.differences.append(f"only the {'sandbox' if real is None else 'real API'} made this call "
                                   "(an earlier answer led the script another way)")
        return verdict
    if some.route is not None:
        lacks_real = (real.status, real.json()) == real_unknown
        lacks_sandbox = (sandbox.status, sandbox.json()) == sandbox_unknown
        if lacks_real != lacks_sandbox:
            verdict.verdict = MISSING_ROUTE
            verdict.differences.append(f"the {'real API' if lacks_real else 'sandbox'} has no {some.route}")
            return verdict
    differences = verdict.differences
    if real.status != sandbox.status:
        differences.append(f"HTTP status: real {real.status}, sandbox {sandbox.status}")
    if real.content_type != sandbox.content_type:
        differences.append(f"Content-Type: real {real.content_type or 'none'}, sandbox {sandbox.content_type or 'none'}")
    if 429 in (real.status, sandbox.status):
        has = {side: "retry-after" in x.answer.headers for side, x in (("real", real), ("sandbox", sandbox))}
        if has["real"] != has["sandbox"]:
            differences.append(f"Retry-After: only the {'real API' if has['real'] else 'sandbox'} sends it")
    real_body, sandbox_body = real.json(), sandbox.json()
    if real_body is None or sandbox_body is None:
        if (real_body is None) != (sandbox_body is None):
            differences.append(f"body: real {'not JSON' if real_body is None else 'JSON'}, "
                               f"sandbox {'not JSON' if sandbox_body is None else 'JSON'}")
    else:
        words = real.status >= 400 and sandbox.status >= 400     # an error's texts are the API's words
        extras = _bodies("", real_body, sandbox_body, value_keys, words, differences)
        if differences and extras == len(differences):
            verdict.verdict = EXTRA_FIELD
            return verdict
    if differences:
        verdict.verdict = DIFFERS
    return verdict


def _bodies(where: str, real, sandbox, value_keys, words: bool, out: list[str]) -> int:
    """Differences of two JSON values, appended to ``out``; the count of those that are only
    fields one side has besides the other's."""
    if isinstance(real, dict) and isinstance(sandbox, dict):
        return _objects(where, real, sandbox, value_keys, words, out)
    if isinstance(real, list) and isinstance(sandbox, list):
        # Lists hold the account's own items: their lengths differ; the first items show the shape.
        if real and sandbox:
            return _bodies(f"{where}[0]", real[0], sandbox[0], value_keys, words, out)
        return 0
    key = where.rsplit(".", 1)[-1].split("[", 1)[0]
    if (words or key in value_keys) and not isinstance(real, (dict, list)) and real != sandbox:
        out.append(f"{where or 'body'}: real {_show(real)}, sandbox {_show(sandbox)}")
    elif kind(real) != kind(sandbox):
        out.append(f"{where or 'body'}: real {kind(real)}, sandbox {kind(sandbox)}")
    return 0


def _objects(where: str, real: dict, sandbox: dict, value_keys, words: bool, out: list[str]) -> int:
    extras = 0
    only_real = [k for k in real if k not in sandbox]
    only_sandbox = [k for k in sandbox if k not in real]
    label = where or "body"
    if only_real or only_sandbox:
        parts = []
        if only_real:
            parts.append(f"real has {', '.join(only_real)}")
        if only_sandbox:
            parts.append(f"sandbox has {', '.join(only_sandbox)}")
        out.append(f"{label}: {'; '.join(parts)}")
        extras += 1
    common_real = [k for k in real if k in sandbox]
    common_sandbox = [k for k in sandbox if k in real]
    if common_real != common_sandbox:
        out.append(f"{label}: the same fields in another order: real {', '.join(common_real)}; "
                   f"sandbox {', '.join(common_sandbox)}")
    for k in common_real:
        extras += _bodies(f"{where}.{k}" if where else k, real[k], sandbox[k], value_keys, words, out)
    return extras


def _show(value) -> str:
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= 120 else text[:117] + "..."
