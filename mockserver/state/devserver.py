"""What `mockserver run` adds around its sandbox on a developer's machine: a state file (--state)
and a watched scenario (--watch), on either server."""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from mockserver.state import document
from mockserver.state.statefile import DEFAULT_INTERVAL_S, StateFile, read
from mockserver.state.watch import ScenarioWatcher


@dataclass(frozen=True)
class DevOptions:
    state: Path | None = None          # the state file
    fresh: bool = False                # --state-reset: start from the scenario, overwriting the file
    interval_s: float = DEFAULT_INTERVAL_S
    watch: bool = False
    frozen: bool = False               # --frozen, kept on a reloaded scenario


def resume(sandbox, options: DevOptions, scenario_dirs=()) -> str | None:
    """The state file's state restored into the sandbox (unless --state-reset or there is none);
    the line saying so. SnapshotError when the file cannot be used: it is left as it is."""
    if options.state is None:
        return None
    if options.fresh or not options.state.exists():
        why = "--state-reset" if options.fresh and options.state.exists() else "no file yet"
        return f"mockserver: keeping the state in {options.state} (starting from the scenario: {why})"
    restored = document.restore(sandbox, read(options.state, sandbox.limits.max_snapshot_bytes),
                                scenario_dirs=scenario_dirs)
    return (f"mockserver: state restored from {options.state}: scenario {restored['scenario']!r}, "
            f"{restored['accounts']} accounts, {restored['numbers']} numbers, {restored['pending']} events pending")


class Attached:
    """The state file and the watcher running around a sandbox, until close(). OSError when the
    state file cannot be written (nothing is started then)."""

    def __init__(self, sandbox, options: DevOptions):
        self.state_file = StateFile(sandbox, options.state, options.interval_s) if options.state else None
        prepare = (lambda scenario: replace(scenario, clock_frozen=True)) if options.frozen else (lambda s: s)
        self.watcher = ScenarioWatcher(sandbox, prepare=prepare,
                                       say=lambda line: print(line, flush=True)) if options.watch else None
        if self.state_file is not None:
            # Restored from the file: it holds this state already. Else it is written now, so a
            # file that cannot be written stops the start rather than the first change.
            assert options.state is not None        # a state file only for a path given
            self.state_file.start(write_now=options.fresh or not options.state.exists())
        if self.watcher is not None:
            self.watcher.start()

    def close(self) -> None:
        if self.watcher is not None:
            self.watcher.close()
        if self.state_file is not None:
            self.state_file.close()
