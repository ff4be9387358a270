"""Snapshots: the whole sandbox state as one versioned JSON document, and back.

A snapshot holds the scenario it runs (its definition, so it can be restored on a server running
another), the clock and the tenants' offsets, the seeded streams numbers, codes and ids come from,
every provider's accounts and numbers, the timeline events still to run, the webhook log with the
attempts queued or under way, the journal and the client report's observations. Restoring it
gives the same answers to the same later requests, ids, numbers and codes still to come included.

Given a key, a snapshot holds that key's tenant only, and restores into it alone, leaving the
others as they are; the streams are shared by every tenant, so what it draws next is the server's.

Timeline events are written as what they call: a provider backend's (or the outbox's) method and
its arguments, the objects among them by id. On restore, only the methods a provider lists in its
snapshot module's ACTIONS may be called, so a snapshot is data and never code.

A restore is all or nothing: the document is applied over a fresh state built from its scenario,
and if any part of it is refused, the state the server had is put back before the error is raised.
"""
from __future__ import annotations

import gc
import json
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path

from mockserver import __version__
from mockserver.engine.clock import instant
from mockserver.engine.records import Record, SnapshotError
from mockserver.engine.webhooks import Message, message_record
from mockserver.http.wire import json_bytes
from mockserver.loading import ScenarioError, load_text
from mockserver.providers.registry import PROVIDERS, by_name
from mockserver.providers.tenancy import Tenant
from mockserver.sandbox import UnknownKey

FORMAT = "mockserver-snapshot"
VERSION = 1
_WEBHOOKS = "webhooks"             # the owner name of the outbox's events
_OUTBOX_ACTIONS = frozenset({"_retry", "_release"})


def take_bytes(sandbox, key: str | None = None) -> bytes:
    """The sandbox's state (or one key's tenant's) as the JSON text of a snapshot, once what is
    due has run (as every control call does first)."""
    with sandbox.lock:
        tenant = None
        if key is not None:
            tenant = sandbox.tenant_for_key(key, provision=False)
            if tenant is None:
                raise UnknownKey(key)
        sandbox.catch_up()
        engine, scenario = sandbox.engine, sandbox.scenario
        next_seq, pending = engine.timeline.export_state(tenant)
        seqs = {id(event): event.seq for event in pending}

        def seq_of(event) -> int | None:
            return None if event is None else seqs.get(id(event))

        webhooks = engine.outbox.export_state(tenant)
        providers = {p.name: p.snapshot.export_state(sandbox.backends[p.name], tenant, seq_of) for p in PROVIDERS}
        events = [_event(sandbox, event, webhooks["messages"]) for event in pending]
        webhooks["messages"] = list(webhooks["messages"].values())
        document = {
            "format": FORMAT, "version": VERSION, "mockserver": __version__,
            "key": key, "tenant": tenant,
            "scenario": {"name": scenario.name, "source": scenario.source, "definition": definition(scenario),
                         "clock_start_ms": scenario.clock_start_ms, "clock_frozen": scenario.clock_frozen},
            "clock": sandbox.clock.export_state(tenant),
            "started_ms": sandbox.started_ms,
            "faults": sandbox.faults.export_state(),
            "streams": None if tenant is not None else {"phones": sandbox.phones.export_state(),
                                                        "codes": sandbox.codes.export_state()},
            "providers": providers,
            "timeline": {"next_seq": next_seq, "events": events},
            "webhooks": webhooks,
            "journal": sandbox.journal.export_state(tenant),
            "report": sandbox.observer.export_state(tenant),
        }
        # As JSON now, under the lock: the document shares lists with the live state (an attempt's
        # headers, an idempotent answer), which requests after the lock would change.
        return json_bytes(document)


def definition(scenario) -> dict:
    """The scenario's definition as JSON, as GET /_mock/scenario shows it."""
    return json.loads(json_bytes(scenario.raw))


def _event(sandbox, event, messages: dict) -> dict:
    """A pending timeline event as the call it will make."""
    action = event.action.action
    if not isinstance(action, partial) or not hasattr(action.func, "__self__"):
        raise TypeError(f"timeline event {event.label!r} is not a method call a snapshot can hold")
    owner, name = action.func.__self__, action.func.__func__.__name__
    args = []
    if owner is sandbox.engine.outbox:
        owner_name = _WEBHOOKS
        for arg in action.args:
            if isinstance(arg, Message):
                messages.setdefault(arg.id, message_record(arg))
                arg = {"message": arg.id}
            args.append(arg)
    else:
        owner_name = next(p.name for p in PROVIDERS if sandbox.backends[p.name] is owner)
        refer = by_name(owner_name).snapshot.refer
        args = [refer(arg) or arg for arg in action.args]
    return {"seq": event.seq, "at_ms": event.at_ms, "tenant": event.tenant, "label": event.label,
            "owner": owner_name, "call": name, "args": args}


# -- restoring ------------------------------------------------------------------------------

def check(document) -> Record:
    """The document's envelope: a snapshot of this format, in a version this mockserver reads."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise SnapshotError(f"not a mockserver snapshot (a JSON object with \"format\": \"{FORMAT}\")")
    version = document.get("version")
    if version != VERSION:
        written = document.get("mockserver")
        by = f" (written by mockserver {written})" if isinstance(written, str) and len(written) < 40 else ""
        raise SnapshotError(f"this snapshot is in format version {version!r}{by}; mockserver {__version__} "
                            f"reads version {VERSION} only: take the snapshot again with this version")
    return Record(document)


def restore(sandbox, document, *, scenario_dirs: tuple[Path, ...] = ()) -> dict:
    """Put the sandbox in the state a snapshot holds; all or nothing (SnapshotError says why not).
    ``scenario_dirs``: where the fixture files of a scenario the server is not running are found.
    Returns what was restored, in a few numbers."""
    record = check(document)
    key = record.str("key", optional=True)
    tenant = None
    if key is None:
        scenario = _scenario(sandbox.scenario, record.record("scenario"), scenario_dirs, sandbox.limits)
    else:
        tenant, scenario = _tenant_of(record, "tenant"), sandbox.scenario
        given = record.record("scenario")
        if given.mapping("definition") != definition(scenario):
            raise given.fail("definition", f"a snapshot of one key restores into a server running its scenario "
                                           f"({given.str('name')!r} as it was then); load that first, or restore a "
                                           "snapshot of the whole server")
    with sandbox.lock, _without_collections():
        # The whole state is kept aside, for one tenant's restore too: what it replaces is not
        # always one key's (its key may have named another tenant here, or none).
        # Kept as JSON text, read back only if the restore fails.
        backup, running = take_bytes(sandbox), sandbox.scenario
        try:
            if tenant is None:
                _apply_whole(sandbox, scenario, record)
            else:
                _apply_tenant(sandbox, tenant, key, record)
        except (TypeError, ValueError, LookupError, AttributeError) as exc:     # SnapshotError among them
            _apply_whole(sandbox, running, Record(json.loads(backup)))
            if isinstance(exc, SnapshotError):
                raise
            # A value of a kind no check foresaw: refused like the others, if less precisely.
            raise SnapshotError(f"a value of a kind this version does not restore ({type(exc).__name__}: "
                                f"{exc})"[:300]) from None
    return summary(sandbox, tenant)


@contextmanager
def _without_collections():
    """The cyclic garbage collector off while a whole state is built: building tens of thousands
    of objects at once sets it off again and again over a heap that holds only live ones (a third
    of a 1,000-number restore's time)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def summary(sandbox, tenant) -> dict:
    """What a restore brought back, for its answer and the line it prints."""
    with sandbox.lock:
        counts = [p.snapshot.count(sandbox.backends[p.name], tenant) for p in PROVIDERS]
        accounts, numbers = sum(c[0] for c in counts), sum(c[1] for c in counts)
    return {"scenario": sandbox.scenario.name, "accounts": accounts, "numbers": numbers,
            "pending": len(sandbox.engine.timeline.pending(tenant)), "now": sandbox.clock.now(tenant)}


def _scenario(running, given: Record, scenario_dirs: tuple[Path, ...], limits):
    """The scenario a snapshot runs: the running one when its definition is the same (with the
    snapshot's clock settings), else loaded from the definition the snapshot holds."""
    wanted = given.mapping("definition")
    clock = {"clock_start_ms": instant(given, "clock_start_ms", optional=True), "clock_frozen": given.bool("clock_frozen")}
    if wanted == definition(running) and given.str("source") == running.source:
        return replace(running, **clock)
    try:
        loaded = load_text(json.dumps(wanted), source=given.str("source"), allowed_dirs=scenario_dirs, limits=limits)
    except ScenarioError as exc:
        raise SnapshotError("the snapshot's scenario does not load here: " + "; ".join(exc.problems)) from None
    return replace(loaded, **clock)


def _tenant_of(record: Record, name: str) -> Tenant:
    """A record's tenant field: [provider, account], of a provider registered here."""
    provider, account = record.pair(name)
    if provider not in _PROVIDER_NAMES:
        raise record.fail(name, f"no provider {provider!r} here")
    return Tenant(provider, account)


_PROVIDER_NAMES = frozenset(p.name for p in PROVIDERS)


def _apply_whole(sandbox, scenario, record: Record) -> None:
    """Over a fresh state built from the scenario (under the sandbox's lock)."""
    sandbox.scenario = scenario
    sandbox.reset()
    engine = sandbox.engine
    sandbox.clock.restore_state(record.record("clock"), _tenant_of)
    sandbox.started_ms = instant(record, "started_ms")
    sandbox.faults.restore_state(record.ints("faults"), "snapshot.faults")
    streams = record.record("streams")
    sandbox.phones.restore_state(streams.record("phones"))
    sandbox.codes.restore_state(streams.raw("codes"), "snapshot.streams.codes")
    restored = _restore_providers(sandbox, record, None)
    _restore_events(sandbox, record, restored, None)
    sandbox.journal.restore_state(record.record("journal"), _tenant_of)
    sandbox.observer.restore_state(record.records("report"), _tenant_of)
    engine.timeline.wakeup.set()


def _apply_tenant(sandbox, tenant: Tenant, key: str, record: Record) -> None:
    """One tenant's part, over its reset (under the sandbox's lock)."""
    if sandbox.tenant_for_key(key, provision=False) == tenant:
        sandbox.reset(key)
    sandbox.clock.restore_state(record.record("clock"), _tenant_of, tenant)
    restored = _restore_providers(sandbox, record, tenant)
    for part in restored.values():
        sandbox.phones.claim(part.restored.phone_numbers())
    _restore_events(sandbox, record, restored, tenant)
    sandbox.journal.restore_state(record.record("journal"), _tenant_of, tenant)
    sandbox.observer.restore_state(record.records("report"), _tenant_of, tenant)
    if sandbox.tenant_for_key(key, provision=False) != tenant:
        raise record.fail("key", "not a key of the snapshot's tenant")


class _Part:
    """A provider's restore under way (providers/restoring.py), and the provider."""

    def __init__(self, provider, restored):
        self.provider, self.restored = provider, restored


def _restore_providers(sandbox, record: Record, tenant: Tenant | None) -> dict[str, _Part]:
    providers = record.record("providers")
    parts = {}
    for provider in PROVIDERS:
        if tenant is not None and tenant.provider != provider.name:
            continue
        part = providers.record(provider.name)
        parts[provider.name] = _Part(provider, provider.snapshot.restore_state(
            sandbox.backends[provider.name], part, tenant, _tenant_of))
    return parts


def _restore_events(sandbox, record: Record, parts: dict[str, _Part], tenant: Tenant | None) -> None:
    """The webhook log and queue, then the timeline's events, linked to what they belong to."""
    messages = sandbox.engine.outbox.restore_state(record.record("webhooks"), _tenant_of, tenant)
    timeline = record.record("timeline")
    events = []
    for r in timeline.records("events"):
        owner = _tenant_of(r, "tenant")
        if tenant is not None and owner != tenant:
            raise r.fail("tenant", "a snapshot of one tenant holds its own events only")
        events.append((r.int("seq", minimum=0), instant(r, "at_ms"), owner, _action(sandbox, r, parts, messages),
                       r.str("label")))
    restored = sandbox.engine.timeline.restore_state(events, None if tenant is not None else
                                                     timeline.int("next_seq", minimum=0), tenant)
    for part in parts.values():
        part.restored.link(restored)


def _action(sandbox, r: Record, parts: dict[str, _Part], messages: dict[str, Message]):
    """The call an event makes: only a method its owner lists as one events make."""
    owner, name, args = r.str("owner"), r.str("call"), r.list("args")
    if owner == _WEBHOOKS:
        if name not in _OUTBOX_ACTIONS:
            raise r.fail("call", "not something a webhook event does")
        target, resolve = sandbox.engine.outbox, partial(_message, messages)
    else:
        part = parts.get(owner)
        if part is None:
            raise r.fail("owner", "no such provider here (or another tenant's)")
        if name not in part.provider.snapshot.ACTIONS:
            raise r.fail("call", f"not something a {owner} event does")
        target, resolve = sandbox.backends[owner], part.restored.resolve
    resolved = []
    for index, arg in enumerate(args):
        try:
            resolved.append(resolve(arg))
        except LookupError as exc:
            raise SnapshotError(f"{r.path}.args[{index}]: no such {exc.args[0]} in the snapshot") from None
    return partial(getattr(target, name), *resolved)


def _message(messages: dict[str, Message], value):
    """A webhook event's argument: a message by {"message": id}, or a plain value."""
    if isinstance(value, dict):
        found = messages.get(value.get("message")) if isinstance(value.get("message"), str) else None
        if found is None:
            raise LookupError("message")
        return found
    return value
