"""The steps of `mockserver verify`: run the provider's script against the real API (or a
recording of it), then against an in-process sandbox given the same kind of account, compare
call by call, report, and save what was asked for (a recording, the catalog as a fixture)."""
from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

import yaml

from mockserver.app import create_app
from mockserver.loading import ScenarioError, load_scenario
from mockserver.providers.registry import PROVIDERS, by_name
from mockserver.sandbox import Sandbox
from mockserver.verify import KEY_VARIABLE
from mockserver.verify.compare import compare
from mockserver.verify.report import Report
from mockserver.verify.session import Session, StopVerifying
from mockserver.verify.transport import CouldNotReach, Http, InProcess, Recorder, Replay

UNKNOWN_ROUTE_STEP = "unknown route"        # every script's probe of a route no API has
MAX_ANSWER_BYTES = 8 * 1024 * 1024          # a real answer larger than this stops the run
OK, DIFFERENCES, COULD_NOT_RUN = 0, 1, 2


@dataclass
class VerifyOptions:
    provider: str
    base_url: str | None = None          # the real API's base: https://host/v3/api
    key: str | None = None
    spend: bool = False
    yes: bool = False                    # spend without asking
    as_json: bool = False
    save_catalog: Path | None = None
    scenario: str = "default"            # the sandbox's: a bundled name or a file
    profile: str | None = None           # the section's shape profile, where it has them
    pace_s: float | None = None          # None: the provider's documented rate
    record: Path | None = None
    replay: Path | None = None
    timeout_s: float = 30.0


class Redactor:
    """Takes the key and any webhook secret out of what is printed or saved; a key keeps its
    kind's prefix (nsk_test_, API-), which says what kind of key was used."""

    def __init__(self, key: str | None):
        self.key = key
        self.shown_key = None if key is None else _prefix(key) + "<redacted>"

    def __call__(self, text: str) -> str:
        if self.key:
            text = text.replace(self.key, self.shown_key)
        return re.sub(r"whsec_[A-Za-z0-9+/=]+", "whsec_<redacted>", text)


def _prefix(key: str) -> str:
    found = re.match(r"^[A-Za-z]+(?:[_-][a-z]+)*[_-]", key[:12])
    return found.group(0) if found else ""


def verify(options: VerifyOptions, *, out: TextIO = sys.stdout, err: TextIO = sys.stderr,
           ask: Callable[[str], bool] | None = None) -> int:
    """Run it; the exit code: 0 all calls match, 1 some differ, 2 it could not run. ``ask``: a
    yes/no question to the user at a terminal (None: there is none)."""
    try:
        provider = by_name(options.provider)
    except KeyError:
        err.write(f"no provider {options.provider!r}: one of {', '.join(p.name for p in PROVIDERS)}\n")
        return COULD_NOT_RUN
    checks = provider.verification
    problem = _check(options, provider)
    if problem:
        err.write(problem + "\n")
        return COULD_NOT_RUN
    redact = Redactor(options.key)
    replaying = options.replay is not None
    if replaying:
        try:
            replay = Replay(options.replay)
        except CouldNotReach as exc:
            err.write(f"{exc}\n")
            return COULD_NOT_RUN
        real_transport, real_key = replay, replay.key
    else:
        real_transport = Http(options.base_url, timeout_s=options.timeout_s, max_answer_bytes=MAX_ANSWER_BYTES)
        real_key = options.key
    recorder = None
    if options.record is not None:
        real_transport = recorder = Recorder(real_transport, redact)
    try:
        scenario = load_scenario(options.scenario)
    except ScenarioError as exc:
        err.write(f"the sandbox's scenario does not load: {exc}\n")
        return COULD_NOT_RUN
    section = scenario.section(provider.name)
    if options.profile:
        section = checks.with_profile(section, options.profile)
        scenario = replace(scenario, sections={**scenario.sections, provider.name: section})

    def may_spend(what: str) -> bool:
        if not options.spend:
            return False
        err.write(f"--spend: this costs money on the real account: {what}\n")
        if options.yes:
            return True
        return ask is not None and ask("Go on? [y/N] ")

    pace_s = 0.0 if replaying else checks.pace_s if options.pace_s is None else options.pace_s   # a recording needs no pacing
    real = Session("real", real_transport, real_key, pace_s=pace_s, stop_on_401=True, may_spend=may_spend)
    full_catalog = options.save_catalog is not None
    try:
        checks.script(real, options.spend and not replaying, full_catalog)
    except (StopVerifying, CouldNotReach) as exc:
        err.write(redact(f"stopped: {exc}") + "\n")
        return COULD_NOT_RUN
    sandbox_key = checks.sandbox_key(section, real_key or "")
    sandbox = Sandbox(scenario, real_time=False)
    try:
        app = create_app(sandbox=sandbox)
        checks.prime(Session("sandbox", InProcess(app, provider.prefix), sandbox_key), real.exchanges)
        # The sandbox is paced as the real API is, on its virtual clock: its rate limits see what
        # the real ones saw, and nobody waits.
        mirror = Session("sandbox", InProcess(app, provider.prefix), sandbox_key, pace_s=checks.pace_s,
                         clock=lambda: sandbox.clock.now() / 1000,
                         sleep=lambda seconds: sandbox.move_clock(advance_ms=round(seconds * 1000)))
        checks.script(mirror, options.spend and not replaying, full_catalog)
    finally:
        sandbox.close()

    report = _report(provider, checks, redact(options.base_url or f"a recording in {options.replay}"),
                     real.exchanges, mirror.exchanges)
    if recorder is not None:
        saved = recorder.write(options.record, key=redact.shown_key)
        err.write(f"recorded {len(recorder.kept)} answers in {saved}\n")
    if full_catalog:
        for path in _save_catalog(checks, real.exchanges, options.save_catalog, redact(options.base_url or "")):
            err.write(f"saved the real catalog as {path}\n")
        limited = sum(exchange.status == 429 for exchange in real.exchanges)
        if limited:
            err.write(f"the real API refused {limited} calls with 429: the saved catalog lacks what they would have "
                      "brought; run again with a larger --pace\n")
    text = json.dumps(report.as_json(), indent=2, ensure_ascii=False) if options.as_json else report.as_text()
    out.write(redact(text) + "\n")
    return OK if report.conforms else DIFFERENCES


def _check(options: VerifyOptions, provider) -> str | None:
    if provider.verification is None:
        return f"{provider.title} has no verify script"
    if (options.base_url is None) == (options.replay is None):
        return "give --base-url (the real API's base, e.g. https://host/v3/api) or --replay DIR"
    if options.replay is None and not options.key:
        return f"give the real API's key: ${KEY_VARIABLE} (kept out of shell history) or --key"
    if options.base_url is not None and not re.match(r"^https?://", options.base_url):
        return "--base-url must be an http:// or https:// URL"
    if options.profile and options.profile not in provider.verification.profiles:
        profiles = ", ".join(provider.verification.profiles) or "none"
        return f"--profile: {provider.title} has the profiles {profiles}"
    if options.replay is not None and options.spend:
        return "--spend cannot go with --replay: a recording spends nothing"
    return None


def _report(provider, checks, target: str, real: list, mirrored: list) -> Report:
    def unknown(exchanges):
        probe = next((e for e in exchanges if e.name == UNKNOWN_ROUTE_STEP), None)
        return None if probe is None else (probe.status, probe.json())

    real_unknown, sandbox_unknown = unknown(real), unknown(mirrored)
    sandbox_by_name = {e.name: e for e in mirrored}
    real_by_name = {e.name: e for e in real}
    names = [e.name for e in real] + [e.name for e in mirrored if e.name not in real_by_name]
    verdicts = [compare(name, real_by_name.get(name), sandbox_by_name.get(name), value_keys=checks.value_keys,
                        real_unknown=real_unknown, sandbox_unknown=sandbox_unknown) for name in names]
    exercised = sorted({e.route for e in mirrored if e.route is not None and (e.status, e.json()) != sandbox_unknown})
    served = [f"{route.method} {route.path}" for route in provider.routes if not route.public]
    return Report(provider.name, target, verdicts, exercised, served, provider.prefix)


def _save_catalog(checks, real: list, path: Path, source: str) -> list[Path]:
    written = []
    for suffix, (data, note) in checks.catalog(real).items():
        target = path.with_name(path.stem + suffix + (path.suffix or ".yaml"))
        head = [f"# The real catalog, saved by mockserver verify from {source}."]
        if note:
            head.append(f"# {note}")
        target.write_text("\n".join(head) + "\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
        written.append(target)
    return written
