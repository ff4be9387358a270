"""The `mockserver` command."""
from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from mockserver.cli import realaddresses

# The rest of mockserver is imported by the functions that need it, after main() has paused the
# garbage collector (see _serve).


def main(argv: list[str] | None = None) -> int:
    collecting = gc.isenabled()
    gc.disable()        # on again once a server is built (_serve), or once parsed (_main)
    try:
        status = _main(argv, collecting)
        sys.stdout.flush()          # here, where a closed pipe can still be caught, not at exit
    except BrokenPipeError:
        # Whoever read the output stopped (`mockserver schema | head -1`): end quietly, as other
        # command-line tools do. stdout is pointed at /dev/null first, or Python's own flush at
        # exit would fail again and print "Exception ignored".
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    finally:
        (gc.enable if collecting else gc.disable)()
    return status


def _main(argv: list[str] | None, collecting: bool = True) -> int:
    from mockserver import __version__
    from mockserver.providers.registry import PROVIDERS
    from mockserver.settings import DEFAULT_LIMITS

    titles = " and ".join(f"{p.title} (v{p.openapi_info['version']})" for p in PROVIDERS)
    parser = argparse.ArgumentParser(prog="mockserver", description=(
        f"Offline sandbox of the {titles} SMS-verification APIs, with a virtual clock, scripted SMS and "
        "retried webhooks."))
    parser.add_argument("--version", action="version", version=f"mockserver {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="serve every provider and the /_mock control API")
    env = os.environ.get
    run.add_argument("--host", default=env("MOCKSERVER_HOST", "127.0.0.1"),
                     help="address to bind (default $MOCKSERVER_HOST or 127.0.0.1)")
    run.add_argument("--port", type=int, default=int(env("MOCKSERVER_PORT", 8080)),
                     help="port to bind; 0 picks a free one (default $MOCKSERVER_PORT or 8080)")
    run.add_argument("--scenario", default=env("MOCKSERVER_SCENARIO", "default"),
                     help="a bundled scenario name or a YAML path (default $MOCKSERVER_SCENARIO or default)")
    run.add_argument("--scenario-dir", action="append", metavar="DIR", dest="scenario_dirs",
                     help="a folder whose scenario files PUT /_mock/scenario may load (repeatable; default "
                          "$MOCKSERVER_SCENARIO_DIRS, else the --scenario file's folder and the current folder)")
    run.add_argument("--frozen", action="store_true", help="start with the virtual clock frozen")
    run.add_argument("--ready-file", type=Path, metavar="PATH", default=env("MOCKSERVER_READY_FILE") or None,
                     help="once the server answers, write {\"url\", \"pid\", \"version\"} as JSON to PATH "
                          "(whole or not at all; removed at stop): with --port 0, how a test runner learns the URL "
                          "(default $MOCKSERVER_READY_FILE)")
    run.add_argument("--print-ready", action="store_true",
                     help="once the server answers, print that JSON document as the first line on stdout")
    run.add_argument("--threads", type=int, default=8, help="worker threads (default 8)")
    logging_choice = run.add_mutually_exclusive_group()
    logging_choice.add_argument("--quiet", action="store_true", help="do not log each request")
    logging_choice.add_argument("--verbose", action="store_true",
                                help="log the requests an open dashboard makes by itself too (its polling, "
                                     "every second)")
    run.add_argument("--state", type=Path, metavar="FILE", default=env("MOCKSERVER_STATE") or None,
                     help="keep the state in FILE: restored from it at start, written to it after changes and at "
                          "stop (default $MOCKSERVER_STATE)")
    run.add_argument("--state-reset", action="store_true",
                     help="with --state: start from the scenario, overwriting FILE")
    run.add_argument("--state-interval", type=_seconds, default=1.0, metavar="SECONDS",
                     help="with --state: a crash loses at most this much of the last changes (default 1)")
    run.add_argument("--watch", action="store_true",
                     help="reload the scenario when its file or a fixture file it names changes (the state "
                          "starts afresh); an edit with mistakes keeps the running scenario and prints them")
    run.add_argument("--journal-size", type=int, default=None,
                     help="requests kept in the journal, the oldest going first (default $MOCKSERVER_JOURNAL_SIZE or "
                          f"{DEFAULT_LIMITS.journal_size})")
    realaddresses.add_run_options(run)
    realaddresses.add_ca_command(commands)
    commands.add_parser("scenarios", help="list the bundled scenarios")
    check = commands.add_parser("validate", help="check scenario files; exit 1 if any has a mistake")
    check.add_argument("paths", nargs="+", metavar="PATH", help="scenario files (or bundled names)")
    schema = commands.add_parser("schema", help="print the JSON Schema of scenario files")
    schema.add_argument("--markdown", action="store_true", help="print the scenario reference (every field) instead")
    _add_verify_command(commands)
    _add_remote_commands(commands)
    argv = sys.argv[1:] if argv is None else argv
    if not argv:                        # a bare call: what there is to do, not an argparse error
        parser.print_help()
        return 2
    negative = _negative_duration(argv)
    if negative is not None:
        print(f"mockserver advance: {negative}: the virtual clock only moves forward; give a positive duration "
              "(e.g. 5m), or `mockserver reset` to go back to the scenario's start", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    if args.command != "run" and collecting:
        gc.enable()         # only a server's start is worth the pause; `verify` may run for minutes
    if hasattr(args, "remote"):
        return _remote(args)
    if args.command == "scenarios":
        return _list_scenarios()
    if args.command == "ca":
        return realaddresses.run_ca(args)
    if args.command == "validate":
        return _validate(args.paths)
    if args.command == "verify":
        return _verify(args)
    if args.command == "schema":
        from mockserver.loading.jsonschema import scenario_json_schema
        from mockserver.loading.reference import scenario_reference
        print(scenario_reference().rstrip("\n") if args.markdown else json.dumps(scenario_json_schema(), indent=2))
        return 0
    return _run(args)


def _negative_duration(argv: list[str]) -> str | None:
    """``advance -5m``: argparse would take -5m for an option and say a required argument is missing."""
    if argv[:1] == ["advance"]:
        for word in argv[1:]:
            if re.fullmatch(r"-\d[\w.]*", word):
                return word
    return None


def _seconds(text: str) -> float:
    value = float(text)
    if not 0.05 <= value <= 3600:
        raise argparse.ArgumentTypeError("give seconds from 0.05 to 3600")
    return value


def _add_verify_command(commands) -> None:
    from mockserver.providers.registry import PROVIDERS
    from mockserver.verify import (
        KEY_VARIABLE,  # not from .verify.run, which only running the command needs
    )
    check = commands.add_parser(
        "verify", help="compare the sandbox with the real provider, call by call; exit 0 all match, 1 some "
                       "differ, 2 it could not run",
        description="Runs a fixed script of calls against the real API and against an in-process sandbox and "
                    "reports where they answer differently. By default it spends nothing.")
    check.add_argument("provider", choices=[p.name for p in PROVIDERS if p.verification is not None])
    check.add_argument("--base-url", help="the real API's base URL, e.g. https://host/v3/api")
    check.add_argument("--key", default=os.environ.get(KEY_VARIABLE),
                       help=f"the real API's key (default ${KEY_VARIABLE}, which keeps it out of shell history)")
    check.add_argument("--spend", action="store_true",
                       help="also buy the cheapest number and give it back at once (says the cost first)")
    check.add_argument("--yes", action="store_true", help="with --spend: do not ask (needed when not on a terminal)")
    check.add_argument("--json", action="store_true", dest="as_json", help="write the report as one JSON document")
    check.add_argument("--save-catalog", type=Path, metavar="FILE",
                       help="write the real catalog as a fixture file a scenario can name (Provynx: one per "
                            "server, FILE-server1.yaml ...)")
    check.add_argument("--scenario", default="default", help="the sandbox's scenario: a bundled name or a file")
    check.add_argument("--profile", help="the sandbox's shape profile (PVADeals: documented, collection, both)")
    check.add_argument("--pace", type=float, dest="pace_s", metavar="SECONDS",
                       help="least time between two calls to the real API (default: its documented rate)")
    check.add_argument("--record", type=Path, metavar="DIR", help="also save the real answers, redacted, in DIR")
    check.add_argument("--replay", type=Path, metavar="DIR", help="compare with answers --record saved, offline")


def _verify(args: argparse.Namespace) -> int:
    from mockserver.verify.run import VerifyOptions, verify
    options = VerifyOptions(provider=args.provider, base_url=args.base_url, key=args.key, spend=args.spend,
                            yes=args.yes, as_json=args.as_json, save_catalog=args.save_catalog,
                            scenario=args.scenario, profile=args.profile, pace_s=args.pace_s,
                            record=args.record, replay=args.replay)

    def ask(question: str) -> bool:
        sys.stderr.write(question)
        sys.stderr.flush()
        return sys.stdin.readline().strip().lower() in ("y", "yes")

    return verify(options, ask=ask if sys.stdin.isatty() else None)


def _add_remote_commands(commands) -> None:
    """Commands that drive a running server through its control API."""
    from mockserver.providers.registry import names

    def remote(name: str, help_text: str):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--url", default=os.environ.get("MOCKSERVER_URL", "http://127.0.0.1:8080"),
                             help="the running server (default $MOCKSERVER_URL or http://127.0.0.1:8080)")
        command.set_defaults(remote=name)
        return command

    advance = remote("advance", "move the virtual clock, running everything that falls due")
    advance.add_argument("duration", help="e.g. 3s, 20m, 1h30m")
    advance.add_argument("--key", help="only this API key's tenant")
    sms = remote("sms", "deliver an SMS now")
    sms.add_argument("id", nargs="?", help="the id of a number (of a request) of any provider")
    sms.add_argument("--number", help="or the phone number")
    sms.add_argument("--text", help="the message (default: the service's wording with a fresh code)")
    sms.add_argument("--provider", choices=names(), help="only this provider's numbers (default: any provider's)")
    state = remote("state", "print accounts, balances, numbers and what is due next")
    state.add_argument("--key", help="only this API key's tenant")
    load = remote("load", "switch the running server to a bundled scenario or a scenario file")
    load.add_argument("scenario", help="a bundled name or a scenario file (sent by this command when the server "
                                       "cannot read it itself)")
    load.add_argument("--json", action="store_true", dest="as_json", help="print the loaded scenario's JSON")
    reset = remote("reset", "back to the scenario's initial state")
    reset.add_argument("--key", help="only this API key's tenant")
    snapshot = remote("snapshot", "save the running server's state to a file, or load it back (the same later "
                                  "requests then get the same answers)")
    snapshot.add_argument("action", choices=("save", "load"))
    snapshot.add_argument("file", type=Path, metavar="FILE")
    snapshot.add_argument("--key", help="save: only this API key's tenant")
    report = remote("report", "what would hurt the client under test against the real provider: findings "
                              "per rule, with evidence and advice")
    report.add_argument("--key", help="only this API key's tenant")
    report.add_argument("--json", action="store_true", dest="as_json", help="print the report's JSON as it is")
    report.add_argument("--fail-on", choices=("info", "warning", "error"),
                        help="exit 1 if a finding of this severity or worse exists")
    probe = remote("probe-webhooks", "test an account's webhook receiver with forged, stale and genuine "
                                     "deliveries; exit 1 if any verdict is not the expected one")
    probe.add_argument("--key", required=True, help="a key of the account whose webhook URL is probed")
    probe.add_argument("--json", action="store_true", dest="as_json", help="print the probe's JSON as it is")
    journal = remote("journal", "the requests the server answered, newest last, one line each")
    journal.add_argument("--provider", choices=names())
    journal.add_argument("--method", help="e.g. POST")
    journal.add_argument("--path", help="a glob, e.g. '/v3/api/request/*'")
    journal.add_argument("--key", help="only this API key's requests")
    journal.add_argument("--status", type=int)
    journal.add_argument("--unmatched", action="store_true", help="only requests no route answered")
    journal.add_argument("--json", action="store_true", dest="as_json", help="print the journal's JSON as it is")
    webhooks = remote("webhooks", "the webhook delivery attempts, newest last, one line each")
    webhooks.add_argument("--provider", choices=names())
    webhooks.add_argument("--event", help="e.g. sms_received")
    webhooks.add_argument("--key", help="only this API key's account")
    webhooks.add_argument("--json", action="store_true", dest="as_json", help="print the attempts' JSON as they are")


def _remote(args: argparse.Namespace) -> int:
    from mockserver.testing import MockServerError, SmsMock

    mock = SmsMock(args.url)
    try:
        if args.remote == "advance":
            answer = mock.advance(args.duration, key=args.key)
        elif args.remote == "sms":
            if not args.id and not args.number:
                print("mockserver sms: give an id or --number", file=sys.stderr)
                return 2
            answer = mock.send_sms(args.id, number=args.number, text=args.text, provider=args.provider)
        elif args.remote == "state":
            answer = mock.state(key=args.key)
        elif args.remote == "load":
            answer = _load(mock, args.scenario)
            print(json.dumps(answer, indent=2) if args.as_json else
                  f"loaded scenario {answer['name']!r} from {answer['source']}: {answer['description']}".rstrip(": "))
            return 0
        elif args.remote == "journal":
            entries = mock.requests(provider=args.provider, method=args.method, path=args.path, key=args.key,
                                    status=args.status, unmatched=args.unmatched or None)
            print(json.dumps(entries, indent=2) if args.as_json else format_journal(entries), end="\n" * args.as_json)
            return 0
        elif args.remote == "webhooks":
            attempts = mock.webhooks(provider=args.provider, event=args.event, key=args.key)
            print(json.dumps(attempts, indent=2) if args.as_json else format_attempts(attempts), end="\n" * args.as_json)
            return 0
        elif args.remote == "snapshot":
            return _snapshot(mock, args)
        elif args.remote == "report":
            answer = mock.report(key=args.key)
            if not args.as_json:
                print(format_report(answer), end="")
            from mockserver.report.summary import SEVERITIES
            worse = args.fail_on is not None and SEVERITIES.index(answer["worst"]) >= SEVERITIES.index(args.fail_on)
            if args.as_json:
                print(json.dumps(answer, indent=2))
            return 1 if worse else 0
        elif args.remote == "probe-webhooks":
            answer = mock.probe_webhooks(args.key)
            print(json.dumps(answer, indent=2) if args.as_json else format_probe(answer).rstrip("\n"))
            return 0 if answer["as_expected"] else 1
        else:
            answer = mock.reset(key=args.key)
    except MockServerError as exc:
        print(f"mockserver {args.remote}: {exc.message}", file=sys.stderr)
        if exc.status in (401, 403):
            print(f"  {_token_sent(exc.status)}", file=sys.stderr)
        return 1
    except OSError as exc:     # requests' connection errors are OSErrors
        print(f"mockserver {args.remote}: no server at {args.url} ({exc.__class__.__name__})\n"
              f"  start one with `mockserver run`, or name the running one with --url URL or MOCKSERVER_URL=URL",
              file=sys.stderr)
        return 1
    print(json.dumps(answer, indent=2))
    return 0


def _load(mock, chosen: str) -> dict:
    """A bundled name, or a file: named by its path, so the server resolves the fixture files it
    names beside it; when the server may not read that folder (its folders are for paths named over
    HTTP), this command holds the file and sends its content instead."""
    from mockserver.testing import MockServerError
    path = Path(chosen)
    if not path.is_file():
        return mock.load(chosen)
    try:
        return mock.load(path)
    except MockServerError as exc:
        if not any("folders this server loads scenarios from" in problem for problem in exc.problems):
            raise
    from mockserver.settings import Limits
    with path.open("rb") as file:
        text = file.read(Limits.from_environ().max_scenario_bytes + 1)
    try:
        answer = mock.load_text(text)
    except MockServerError as exc:         # its problems name the file, not the request that carried it
        raise MockServerError(exc.status, exc.message.split("\n", 1)[0],
                              [problem.replace("PUT /_mock/scenario", str(path), 1) for problem in exc.problems]) from None
    return {**answer, "source": f"{path} (sent by this command)"}


def format_journal(entries: list[dict]) -> str:
    """One line a request: time, status, method, path and query, key, ignored fields, the fault."""
    lines = []
    for entry in entries:
        target = entry["path"] + (f"?{entry['query']}" if entry["query"] else "")
        notes = [f"key {entry['key']}"] if entry["key"] else []
        notes += [] if entry["matched"] else ["no route"]
        notes += [f"ignored {', '.join(entry['ignored'])}"] if entry["ignored"] else []
        if entry.get("fault"):
            notes += [f"fault {entry['fault']}, " + ("the call ran" if entry.get("happened") else "the call did not run")]
        lines.append(f"{entry['at']}  {entry['status']}  {entry['method']:<6} {target}"
                     + (f"  ({'; '.join(notes)})" if notes else ""))
    return "".join(f"{line}\n" for line in lines) or "no requests\n"


def format_attempts(attempts: list[dict]) -> str:
    """One line a webhook attempt: time, outcome, event, attempt number, URL."""
    lines = []
    for attempt in attempts:
        outcome = str(attempt["status"]) if attempt["status"] is not None else (attempt["error"] or "no answer")
        what = attempt["probe"] and f"probe {attempt['probe']}" or attempt["event"]
        lines.append(f"{attempt['at']}  {'ok' if attempt['ok'] else 'FAILED':<6} {outcome:<4} {attempt['provider']} "
                     f"{what} #{attempt['attempt']} -> {attempt['url']}")
    return "".join(f"{line}\n" for line in lines) or "no webhook attempts\n"


def _snapshot(mock, args: argparse.Namespace) -> int:
    """`mockserver snapshot save FILE` / `load FILE`: the file written whole or not at all."""
    from mockserver.http.wire import json_bytes
    from mockserver.state.statefile import write_atomically
    if args.action == "save":
        snapshot = mock.snapshot(key=args.key)
        try:
            write_atomically(args.file, json_bytes(snapshot))
        except OSError as exc:
            print(f"mockserver snapshot: cannot write {args.file}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        print(f"mockserver snapshot: saved {'the tenant of ' + args.key if args.key else 'the state'} to {args.file}")
        return 0
    try:
        snapshot = json.loads(_snapshot_bytes(args.file))
    except ValueError as exc:            # SnapshotError, SettingError and JSON's errors among them
        print(f"mockserver snapshot: cannot read {args.file}: {exc}", file=sys.stderr)
        return 1
    answer = mock.restore(snapshot)
    print(f"mockserver snapshot: restored {args.file}: scenario {answer['scenario']!r}, {answer['accounts']} accounts, "
          f"{answer['numbers']} numbers, {answer['pending']} events pending, now {answer['now']}")
    return 0


def _snapshot_bytes(path: Path) -> bytes:
    """A snapshot file's bytes, within the server's bound (MOCKSERVER_MAX_SNAPSHOT_BYTES, read from
    this environment as the server reads it): no more is read, and a pipe or a device is refused."""
    from mockserver.settings import Limits
    from mockserver.state.statefile import read_bounded
    return read_bounded(path, Limits.from_environ().max_snapshot_bytes)


def format_report(report: dict) -> str:
    """The client report as a table a person reads: one block per finding, worst first."""
    findings = report["findings"]
    counts = report["counts"]
    lines = [f"Client report: {len(findings)} finding{'' if len(findings) == 1 else 's'}, worst: {report['worst']} "
             f"({counts['requests']} requests, {counts['rate_limited']} rate-limited, {counts['polls']} polls, "
             f"{counts['purchases']} purchases, {counts['webhook_attempts']} webhook attempts)"]
    if findings:
        rows = [(f["severity"].upper(), f["rule"], f["provider"], f["key"], str(f["count"])) for f in findings]
        heads = ("SEVERITY", "RULE", "PROVIDER", "KEY", "COUNT")
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(heads)]
        lines.append("")
        lines.append("  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True)).rstrip())
        for finding, row in zip(findings, rows, strict=True):
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
            lines.append(f"    {finding['summary']}")
            lines.append(f"    advice: {finding['advice']}")
            for item in finding["evidence"][:3]:
                what = (f"webhook {item['id']}" if item["kind"] == "webhook" else
                        " ".join(str(item[k]) for k in ("method", "path", "status", "id") if k in item))
                lines.append(f"    - {item['at']}  {what}")
            if len(finding["evidence"]) > 3:
                lines.append(f"    - ... {len(finding['evidence']) - 3} more (--json shows them all)")
    return "\n".join(lines) + "\n"


def format_probe(probe: dict) -> str:
    """A webhook probe's verdicts as a table a person reads."""
    results = probe["results"]
    wrong = sum(not r["as_expected"] for r in results)
    verdict = "every verdict as expected" if not wrong else f"{wrong} of {len(results)} verdicts NOT as expected"
    lines = [f"Webhook probe of {probe['provider']} key {probe['key']}: {verdict}", ""]
    rows = [("" if r["as_expected"] else "!!", r["kind"], r["verdict"], r["expect"],
             str(r["status"]) if r["status"] is not None else (r["error"] or "no answer"), r["what"]) for r in results]
    heads = ("", "KIND", "VERDICT", "EXPECTED", "ANSWER", "DELIVERY")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(heads)]
    for row in (heads, *rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines) + "\n"


def _token_sent(status: int) -> str:
    """Whether the refused call carried the admin token, and where it came from (the CLI reads
    it from the environment without a word, so a refusal is the place to say so)."""
    from mockserver.control.access import TOKEN_HEADER, TOKEN_VARIABLE
    token = os.environ.get(TOKEN_VARIABLE)
    if token:
        sent = f"the admin token was sent ({TOKEN_HEADER}, from ${TOKEN_VARIABLE} in this environment)"
        return f"{sent}; it must be the server's value" if status == 401 else f"{sent}, and the server refused the call anyway"
    if token is not None:
        return f"no admin token was sent: ${TOKEN_VARIABLE} is set but empty here"
    return f"no admin token was sent: ${TOKEN_VARIABLE} is not set here" + (
        "; set it to the server's value" if status == 401 else "")


def _validate(paths: list[str]) -> int:
    from mockserver.loading import ScenarioError, load_scenario
    failed = 0
    for path in paths:
        try:
            # Remembered as `mockserver run` remembers its scenario: the image's build validates the
            # default scenario, so that a container's first start parses no YAML either.
            scenario = load_scenario(path, remember=True)
        except ScenarioError as exc:
            failed += 1
            print("\n".join(exc.problems))
        else:
            print(f"{path}: ok ({scenario.name})", *scenario.warnings, sep="\n")
    return 1 if failed else 0


def _list_scenarios() -> int:
    from mockserver.loading import bundled_descriptions
    for name, description in bundled_descriptions().items():
        print(f"{name:<20} {description}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from mockserver.app import create_app
    from mockserver.cli import readiness
    from mockserver.control.access import Access
    from mockserver.http.serving import free_port
    from mockserver.loading import ScenarioError, load_scenario
    from mockserver.settings import Limits, SettingError
    from mockserver.state.devserver import DevOptions

    try:
        limits = Limits.from_environ()
        if args.journal_size is not None:
            limits = replace(limits, journal_size=args.journal_size)
        access = Access.from_environ(bound_host=args.host, scenario_dirs=_scenario_dirs(args))
    except SettingError as exc:
        print(f"mockserver: {exc}", file=sys.stderr)
        return 2
    try:
        scenario = load_scenario(args.scenario, limits=limits, remember=True)
    except ScenarioError as exc:
        print(f"mockserver: cannot load scenario:\n{exc}", file=sys.stderr)
        return 2
    for warning in scenario.warnings:
        print(f"mockserver: {warning}", file=sys.stderr)
    if args.ready_file is not None and (why := readiness.can_write(args.ready_file)):
        print(f"mockserver: cannot write the ready file: {why}", file=sys.stderr)
        return 2
    if args.frozen:
        scenario = replace(scenario, clock_frozen=True)
    options = DevOptions(state=args.state, fresh=args.state_reset, interval_s=args.state_interval, watch=args.watch,
                         frozen=args.frozen)
    app = create_app(scenario, limits=limits, access=access)
    sandbox = app.extensions["mockserver"]
    sandbox.hold_frozen = args.frozen
    resumed, note = _resume(sandbox, options, access)
    if not resumed:
        sandbox.close()
        return 2
    scenario = sandbox.scenario
    try:
        port = free_port(args.host, args.port)
    except OSError as exc:
        print(f"mockserver: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        if args.port:
            print("  another process may hold that port: stop it, or let mockserver pick a free one with --port 0 "
                  "(--ready-file PATH or --print-ready then tells you which)", file=sys.stderr)
        sandbox.close()
        return 2
    attached = _attach(sandbox, options)
    if attached is None:
        sandbox.close()
        return 2
    try:
        banner = partial(_announce, scenario, admin_token=bool(access.token), note=note)
        return _serve(app, args, port, limits, banner)
    finally:
        attached.close()
        sandbox.close()
        if args.ready_file is not None:
            readiness.remove_ready_file(args.ready_file)


def _attach(sandbox, options):
    """The state file and the watcher started around the sandbox; None, with a message, when the
    state file cannot be written."""
    from mockserver.state.devserver import Attached
    try:
        return Attached(sandbox, options)
    except OSError as exc:
        print(f"mockserver: cannot write the state file {options.state}: {exc.strerror or exc}", file=sys.stderr)
        return None


def _resume(sandbox, options, access) -> tuple[bool, str | None]:
    """The state file restored into the sandbox (--state), and the line saying so, which the
    banner shows; False, with a message, when the file cannot be used (it is left as it is)."""
    from mockserver.engine.records import SnapshotError
    from mockserver.state.devserver import resume
    try:
        line = resume(sandbox, options, access.scenario_dirs)
    except SnapshotError as exc:
        print(f"mockserver: cannot restore the state file {options.state}: {exc}\n"
              f"  the file is left as it is; --state-reset starts from the scenario instead, overwriting it",
              file=sys.stderr)
        return False, None
    return True, line


# A server bound to every address is reached, and addressed in its Host header, by loopback: the
# wildcard itself is no address a client can send to the control API's Host check.
_WILDCARDS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


def _url(host: str, port: int) -> str:
    host = _WILDCARDS.get(host, host)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _announce(scenario, url: str, args: argparse.Namespace, *, admin_token: bool, note: str | None) -> bool:
    """What a server that answers tells: its ready line (--print-ready) first, so that a runner
    reading stdout finds it without parsing the banner, its ready file (--ready-file), then
    ``note`` (what became of the state file) and the banner. False when the ready file could not
    be written: the server should stop rather than leave a runner waiting for it."""
    from mockserver.cli import readiness
    from mockserver.cli.banner import banner
    if args.print_ready:
        print(readiness.ready_line(url), flush=True)
    if args.ready_file is not None:
        try:
            readiness.write_ready_file(args.ready_file, url)
        except OSError as exc:
            print(f"mockserver: cannot write the ready file {args.ready_file}: {exc}", file=sys.stderr)
            return False
    if note:
        print(note, flush=True)
    print(banner(scenario, url, admin_token=admin_token), flush=True)
    return True


def _log_level(args: argparse.Namespace) -> str:
    from mockserver.cli import requestlog
    if args.quiet:
        return requestlog.LOG_NOTHING
    return requestlog.LOG_EVERY_REQUEST if args.verbose else requestlog.LOG_CLIENT_REQUESTS


def _scenario_dirs(args: argparse.Namespace) -> tuple[Path, ...] | None:
    """The folders PUT /_mock/scenario may load from: --scenario-dir, else $MOCKSERVER_SCENARIO_DIRS
    (None: Access reads it), else the --scenario file's folder and the current folder."""
    if args.scenario_dirs:
        return tuple(Path(folder) for folder in args.scenario_dirs)
    if os.environ.get("MOCKSERVER_SCENARIO_DIRS"):
        return None
    chosen = Path(args.scenario)
    return (chosen.parent, Path.cwd()) if chosen.is_file() else (Path.cwd(),)


def _serve(app, args: argparse.Namespace, port: int, limits, banner: Callable[[str, argparse.Namespace], bool]) -> int:
    """Serve ``app`` with granian on ``port`` until SIGTERM or SIGINT (Ctrl-C), from an asyncio
    loop in this process rather than a worker process of its own: a worker would import and
    build everything a second time. ``banner(url, args)`` is called once the server answers; False from it stops the
    server. Returns the exit status."""
    import asyncio

    from mockserver.cli import requestlog
    from mockserver.http.serving import granian_server, settle_collector

    url = _url(args.host, port)
    server = granian_server(requestlog.wrap(app, _log_level(args)), limits, host=args.host, port=port,
                            threads=args.threads)
    fronts = contextlib.ExitStack()
    try:
        extra, ports = _real_address_fronts(args, app, limits, fronts)
    except OSError as exc:
        print(f"mockserver: cannot serve the providers' real addresses: {exc}", file=sys.stderr)
        fronts.close()
        return 2
    servers = [server, *extra]
    if extra and isinstance(banner, partial):     # where the real addresses answer, with the banner's note
        note = "\n".join(filter(None, [banner.keywords.get("note"), realaddresses.banner_lines(args, ports)]))
        banner = partial(banner, note=note)

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, _stop_all, servers)
        # The banner waits until the server answers, so that a printed banner means the URL works.
        threading.Thread(target=_announce_when_up, args=(url, args, banner), daemon=True).start()
        try:
            await asyncio.gather(*(each.serve() for each in servers))
        except asyncio.TimeoutError:    # the stop gave up waiting (stop_grace_s)
            pass

    # What start-up made (a few hundred thousand objects: modules, the app, the sandbox) lives as
    # long as the process; main() paused the collector while it was made, and settle_collector
    # freezes it so that no later collection walks it. The collector then looks after serving's.
    settle_collector()
    gc.enable()
    try:
        asyncio.run(serve())
    finally:
        fronts.close()
    return 0


def _stop_all(servers) -> None:
    for each in servers:
        each.stop()


def _real_address_fronts(args: argparse.Namespace, app, limits,
                         stack: contextlib.ExitStack) -> tuple[list, realaddresses.Fronts]:
    """The TLS listener (--tls-port, or one on loopback for the proxy alone) as a granian server
    to serve beside the plain one, and the proxy (--proxy-port) started; with the ports they
    took. What they leave behind closes with ``stack``."""
    from mockserver.cli import requestlog
    from mockserver.http.serving import free_port

    ports = realaddresses.Fronts()
    if not realaddresses.wanted(args):
        return [], ports
    sandbox = app.extensions["mockserver"]
    files = realaddresses.certificate(args, sandbox, stack)
    tls_host = args.host if args.tls_port is not None else "127.0.0.1"
    tls_port = free_port(tls_host, args.tls_port or 0)
    tls = realaddresses.tls_server(requestlog.wrap(app, _log_level(args)), limits, args.threads, files,
                                   tls_host, tls_port)
    if args.tls_port is not None:
        ports.tls_port = tls_port
    if args.proxy_port is not None:
        admin_token = bool(app.extensions["mockserver_access"].token)
        ports.proxy_port = realaddresses.start_proxy(args, sandbox, limits, tls_port, admin_token, stack)
    return [tls], ports


def _announce_when_up(url: str, args: argparse.Namespace, banner: Callable[[str, argparse.Namespace], bool],
                      timeout_s: float = 60) -> None:
    # http.client, not urllib.request: Flask has imported it already, and this thread runs while
    # the server starts, so the import of urllib.request (about 5 ms) would hold back the first answer.
    import http.client
    from urllib.parse import urlsplit

    from mockserver.cli.requestlog import STARTUP_PROBE
    where = urlsplit(url)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        probe = http.client.HTTPConnection(where.hostname or "", where.port, timeout=2)
        try:
            probe.request("GET", "/_mock/health", headers={"User-Agent": STARTUP_PROBE})
            if 200 <= probe.getresponse().status < 300:
                break
        except (http.client.HTTPException, OSError):
            pass
        finally:
            probe.close()
        time.sleep(0.02)
    else:
        print(f"mockserver: the server did not answer on {url} within {timeout_s} s; stopping", file=sys.stderr)
        os.kill(os.getpid(), signal.SIGTERM)
        return
    try:
        announced = banner(url, args)
    except OSError:         # stdout closed: the server serves on, unannounced
        return
    if not announced:
        os.kill(os.getpid(), signal.SIGTERM)       # granian's own stop, as for Ctrl-C


if __name__ == "__main__":
    sys.exit(main())
