"""The client report in a pytest session: the findings each test's calls produced, taken when
the test ends (the next test's scenario load clears them), summed up at the end of the session
per rule with the tests that caused them, and, with ``--sms-report=fail``, a failed session
when one of them is a warning or worse. Under pytest-xdist each worker sends its findings to the
controller, which writes the summary."""
from __future__ import annotations

import json
from collections import defaultdict

import pytest

MODES = ("show", "fail", "off")
DEFAULT_MODE = "show"
FAILING_SEVERITIES = ("warning", "error")
_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
_WORKER_OUTPUT = "mockserver_report"

_findings_key = pytest.StashKey[list]()
_observed_key = pytest.StashKey[dict]()      # {"tests": reports taken, "requests": requests they counted}
_mode_key = pytest.StashKey[str]()


def add_options(parser, group) -> None:
    group.addoption("--sms-report", choices=MODES, default=None,
                    help="the mockserver client report: show it at the end (default), fail the session "
                         "on a warning or worse, or off (no report calls at all)")
    parser.addini("sms_report", "the mockserver client report: show, fail or off", default=DEFAULT_MODE)


def configure(config) -> None:
    """Check the chosen mode before anything runs (a misspelt ini value is a usage error then,
    not a teardown error in every test)."""
    chosen = config.getoption("--sms-report") or config.getini("sms_report") or DEFAULT_MODE
    if chosen not in MODES:
        raise pytest.UsageError(f"sms_report: one of {', '.join(MODES)}, not {chosen!r}")
    config.stash[_mode_key] = chosen


def mode(config) -> str:
    return config.stash.get(_mode_key, DEFAULT_MODE)


def findings(config) -> list[dict]:
    return config.stash.setdefault(_findings_key, [])


def observed(config) -> dict:
    return config.stash.setdefault(_observed_key, {"tests": 0, "requests": 0})


def take(request, sandbox) -> None:
    """Keep the findings of the test that just ran, naming the test. Read in process: the
    plugin's sandbox runs in this process, so this costs microseconds, not a request."""
    if mode(request.config) == "off":
        return
    from mockserver.report.summary import build
    report = build(sandbox)
    for finding in report["findings"]:
        findings(request.config).append({"test": request.node.nodeid, **finding})
    seen = observed(request.config)
    seen["tests"] += 1
    seen["requests"] += report["counts"]["requests"]


def failing(config) -> list[dict]:
    return [f for f in findings(config) if f["severity"] in FAILING_SEVERITIES]


def send_to_controller(config) -> None:
    """On an xdist worker: hand the findings to the controller with the worker's output."""
    if hasattr(config, "workeroutput"):
        config.workeroutput[_WORKER_OUTPUT] = json.dumps({"findings": findings(config), **observed(config)})


def receive_from_worker(config, node) -> None:
    sent = json.loads(getattr(node, "workeroutput", {}).get(_WORKER_OUTPUT, "{}"))
    findings(config).extend(sent.get("findings", []))
    seen = observed(config)
    for name in seen:
        seen[name] += sent.get(name, 0)


def fail_session_if_asked(session) -> None:
    if mode(session.config) == "fail" and failing(session.config) and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def write_summary(terminalreporter, config) -> None:
    if mode(config) == "off" or hasattr(config, "workeroutput"):
        return
    found = findings(config)
    if not found:
        # One line, so that a clean report is not taken for no report (none is made when no test
        # used the sandbox).
        if observed(config)["tests"]:
            requests = observed(config)["requests"]
            terminalreporter.write_line(f"mockserver report: {requests} request{'' if requests == 1 else 's'} "
                                        "observed, no findings")
        return
    terminalreporter.write_sep("=", "mockserver report: what would hurt this client against the real provider")
    by_rule: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for finding in found:
        by_rule[(finding["severity"], finding["rule"])].append(finding)
    for (severity, rule), items in sorted(by_rule.items(), key=lambda item: (_SEVERITY_ORDER.get(item[0][0], 9),
                                                                              item[0][1])):
        terminalreporter.write_line(f"{severity.upper()} {rule}: {items[0]['advice']}")
        for finding in items:
            terminalreporter.write_line(f"    {finding['test']}: {finding['summary']}")
    if mode(config) == "fail" and failing(config):
        terminalreporter.write_line(f"--sms-report=fail: the session fails on {len(failing(config))} "
                                    "finding(s) of warning level or worse", red=True, bold=True)
