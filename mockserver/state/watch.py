"""`mockserver run --watch`: the scenario reloaded when its file, or a fixture file it names, changes.

The files are polled (their modification time and size, a few times a second) rather than watched
through the operating system's notifications: those do not fire for a file edited on the host of
a Docker bind mount, nor on many network file systems, and a scenario is a handful of files.

A reload is a load (PUT /_mock/scenario): the state starts afresh from the edited scenario. An
edit with mistakes keeps the running scenario and prints every problem (file:line: field: message);
the next edit is tried again."""
from __future__ import annotations

import os
import threading
from collections.abc import Callable

from mockserver.loading import ScenarioError, load_scenario

POLL_S = 0.3


def _stamps(files: tuple[str, ...]) -> tuple:
    stamps = []
    for path in files:
        try:
            stat = os.stat(path)
            stamps.append((stat.st_mtime_ns, stat.st_size))
        except OSError:
            stamps.append(None)        # removed for now (an editor saving by rename): a change too
    return tuple(stamps)


class ScenarioWatcher:
    """Polls the running scenario's files on a thread of its own. ``prepare`` adjusts a reloaded
    scenario as the command line did the first (--frozen); ``say`` prints a line."""

    def __init__(self, sandbox, *, prepare: Callable = lambda scenario: scenario, say: Callable[[str], None] = print,
                 poll_s: float = POLL_S):
        self.sandbox, self._prepare, self._say, self._poll_s = sandbox, prepare, say, poll_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        # The files as they are now are the baseline: an edit made from now on is a change.
        watched = self._files(self.sandbox.scenario)
        self._thread = threading.Thread(target=self._run, args=(watched, _stamps(watched)), name="scenario-watch",
                                        daemon=True)
        self._thread.start()

    @staticmethod
    def _files(scenario) -> tuple[str, ...]:
        """A scenario's files; only a scenario read from a file can be read again (not one sent as
        text over HTTP)."""
        return scenario.files if scenario.files[:1] == (scenario.source,) else ()

    def _run(self, watched: tuple[str, ...], seen: tuple) -> None:
        while not self._stop.wait(self._poll_s):
            scenario = self.sandbox.scenario
            files = self._files(scenario)
            if files != watched:             # another scenario was loaded: watch its files from now
                watched, seen = files, _stamps(files)
                continue
            now = _stamps(files)
            if now == seen:
                continue
            seen = now
            self._reload(scenario.source)

    def _reload(self, source: str) -> None:
        try:
            scenario = self._prepare(load_scenario(source, limits=self.sandbox.limits))
        except ScenarioError as exc:
            self._say(f"mockserver: {source} changed but has mistakes; the running scenario is unchanged:\n"
                      + "\n".join(f"  {problem}" for problem in exc.problems))
            return
        self.sandbox.load(scenario)
        self._say(f"mockserver: {source} changed: scenario {scenario.name!r} reloaded (the state starts afresh)")

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
