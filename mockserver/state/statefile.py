"""`mockserver run --state FILE`: the sandbox's state kept in a file, so a restarted dev server has
every number, balance and webhook log it had.

The file is a snapshot (document.py), written whole or not at all: to a temporary file beside it,
flushed to disk, then renamed over it, and the folder flushed too, so a crash at any instant leaves
the previous version or the new one, never half of one. It is written after changes, at most every
half ``interval_s`` (a burst of requests is one write), so a crash (SIGKILL, a power cut) loses at
most the changes of the last interval, as long as a write takes less than half of one (a 1,000-number
state takes about 70 ms to encode, plus the disk's flush); a clean stop writes the last changes
before the server goes. Nothing is written while nothing changes.

Changes are seen from counters the sandbox keeps anyway (Sandbox.version): requests answered,
timeline events run, webhook attempts finished, control calls that change state."""
from __future__ import annotations

import json
import os
import stat
import tempfile
import threading
from pathlib import Path

from mockserver.engine.records import SnapshotError
from mockserver.engine.redaction import redacting_logger
from mockserver.state import document

DEFAULT_INTERVAL_S = 1.0
NOTICE = "state_file"            # the key of the state file's notice in Sandbox.notices

_log = redacting_logger(__name__)


def write_atomically(path: Path, data: bytes) -> None:
    """The file holds ``data`` afterwards, or what it held before if this fails or the machine
    stops half way. A symbolic link is written through: the file it points to is replaced (from a
    temporary file beside it, so the rename stays on its file system) and the link stays."""
    path = Path(os.path.realpath(path))
    folder = path.parent
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    try:
        directory = os.open(folder, os.O_RDONLY)
    except OSError:              # a folder that cannot be opened (Windows): the rename stands
        return
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def read_bounded(path: Path, max_bytes: int) -> bytes:
    """A snapshot file's bytes; SnapshotError when it is larger than ``max_bytes`` (read no
    further than one byte past) or is not a regular file: a pipe would hang the reader until some
    writer came, and a device (/dev/zero) never ends."""
    try:
        # Non-blocking, so that opening a pipe with no writer returns (to be refused) at once.
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise SnapshotError(f"cannot read it: {exc.strerror or exc}") from None
    with os.fdopen(handle, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise SnapshotError("not a regular file (a pipe, a device or a folder); give the path of a snapshot file")
        try:
            data = file.read(max_bytes + 1)
        except OSError as exc:
            raise SnapshotError(f"cannot read it: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise SnapshotError(f"larger than MOCKSERVER_MAX_SNAPSHOT_BYTES ({max_bytes} bytes)")
    return data


def read(path: Path, max_bytes: int) -> dict:
    """A state file's snapshot, its envelope checked; SnapshotError (the file left as it is) when
    it is not one this mockserver can restore."""
    data = read_bounded(path, max_bytes)
    try:
        snapshot = json.loads(data)
    except (ValueError, RecursionError):
        raise SnapshotError("not JSON (a corrupt file, or not a state file)") from None
    document.check(snapshot)
    return snapshot


class StateFile:
    """Keeps a file current with a sandbox's state, on a thread of its own."""

    def __init__(self, sandbox, path: Path, interval_s: float = DEFAULT_INTERVAL_S):
        self.sandbox, self.path, self.interval_s = sandbox, Path(path), interval_s
        self._written = None               # the sandbox's version the file holds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._save_lock = threading.Lock()  # the thread's write and the final one never overlap

    def start(self, *, write_now: bool) -> None:
        """``write_now``: the file is written at once (there was none, or --state-reset); else it
        holds this state already, having been restored from."""
        if write_now:
            self.save()
        else:
            self._written = self.sandbox.version()
        self._thread = threading.Thread(target=self._run, name="state-file", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s / 2):
            if self.sandbox.version() != self._written:
                try:
                    self.save()
                except Exception:         # a full disk, a removed folder: say so, and try again later
                    _log.exception("mockserver: could not write the state file %s", self.path)

    def save(self) -> None:
        with self._save_lock:
            with self.sandbox.lock:
                version = self.sandbox.version()
                snapshot = document.take_bytes(self.sandbox)
            if not self._readable(len(snapshot)):
                self._written = version        # said once; tried again at the next change
                return
            write_atomically(self.path, snapshot)
            self._written = version
            if self.sandbox.notices.pop(NOTICE, None) is not None:
                _log.warning("mockserver: the state fits MOCKSERVER_MAX_SNAPSHOT_BYTES again; %s is current", self.path)

    def _readable(self, size: int) -> bool:
        """Whether a state of ``size`` bytes is one a start could read back (read() refuses a file
        past the snapshot limit). One that is not is never written: the file keeps the last state
        that fits, and the log and /_mock/health say so now, not at the next start."""
        limit = self.sandbox.limits.max_snapshot_bytes
        if size <= limit:
            return True
        notice = (f"the state file {self.path} is not kept current: the state is {size} bytes, more than "
                  f"MOCKSERVER_MAX_SNAPSHOT_BYTES ({limit}), which a start reads; the file holds the last state "
                  "that fit. Reset (POST /_mock/reset), or raise the setting and restart with the same setting")
        if self.sandbox.notices.get(NOTICE) is None:
            _log.warning("mockserver: %s", notice)
        self.sandbox.notices[NOTICE] = notice
        return False

    def close(self) -> None:
        """The last changes written, and the thread ended."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self.sandbox.version() != self._written:
            self.save()
