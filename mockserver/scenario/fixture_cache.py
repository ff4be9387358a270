"""Validated fixture files kept between runs, the way Python keeps bytecode: a catalog file that has
not changed since it was last validated is read back instead of parsed and validated again. The
bundled catalogs (about 700 lines of YAML, 550 nested schema loads) cost about 40 ms of every start
otherwise. `mockserver run` and `mockserver validate` keep their scenario file's parsed YAML here too
(loader._parse), so that an unchanged scenario starts without importing PyYAML.

An entry is keyed by the file's bytes, the schema that loads it, and the code that validates and
defines what it holds, so an edited file or an upgraded (or edited) mockserver never reads a stale
entry. Only successful loads are kept: a broken file is validated, and its errors reported with
their lines, every time. The cache is an optimisation only; any failure to read or write it falls
back to validating, silently.

Entries are pickles, read only from a folder that belongs to the current user and that no one else
may write to. ``MOCKSERVER_CACHE_DIR`` chooses the folder (``off`` turns the cache off); the default
is ``$XDG_CACHE_HOME/mockserver`` or ``~/.cache/mockserver``.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from functools import cache
from pathlib import Path

CACHE_DIR_ENV = "MOCKSERVER_CACHE_DIR"
MAX_ENTRIES = 64            # about 12 KB each
_FORMAT = b"mockserver-fixture-cache-1"
# The packages whose code validates a fixture or defines the objects a loaded one holds: the
# catalogs' declarations are the providers' own (providers/*/section.py).
_CODE = [Path(__file__).parent.parent / name for name in ("scenario", "loading", "engine", "providers")]


def load(text: bytes, loader: str) -> object | None:
    """The value a previous run loaded from ``text`` with ``loader`` (a schema's name), or None."""
    folder = _folder()
    if folder is None or not _private(folder):
        return None
    try:
        with open(folder / _entry_name(text, loader), "rb") as entry:
            return pickle.load(entry)
    except Exception:       # absent, truncated, or from classes that no longer exist: validate again
        return None


def store(text: bytes, loader: str, value: object) -> None:
    folder = _folder()
    if folder is None:
        return
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(folder):
            return
        # Written aside and renamed, so a concurrent start never reads half an entry.
        handle, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(handle, "wb") as entry:
            pickle.dump(value, entry, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, folder / _entry_name(text, loader))
        _prune(folder)
    except (OSError, pickle.PicklingError):
        pass


def _prune(folder: Path) -> None:
    """Keep the newest entries only: each edit of a catalog, or of mockserver's own code in a
    checkout, leaves the previous entries unused."""
    entries = sorted(folder.glob("*.pickle"), key=lambda entry: entry.stat().st_mtime_ns, reverse=True)
    for stale in entries[MAX_ENTRIES:]:
        stale.unlink(missing_ok=True)


def _folder() -> Path | None:
    configured = os.environ.get(CACHE_DIR_ENV, "")
    if configured == "off":
        return None
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    if not os.path.isabs(base):
        return None     # no home to keep it in (no $HOME and no passwd entry): never the working folder
    return Path(base) / "mockserver"


def _private(folder: Path) -> bool:
    """Ours, and writable by no one else: unpickling what another user could write would run their code."""
    try:
        status = folder.stat()
    except OSError:
        return False
    owner = getattr(os, "getuid", None)       # POSIX only; elsewhere the cache stays off
    return owner is not None and status.st_uid == owner() and not status.st_mode & 0o022


def _entry_name(text: bytes, loader: str) -> str:
    digest = hashlib.sha256(_code_stamp())
    digest.update(loader.encode())
    digest.update(b"\0")
    digest.update(text)
    return digest.hexdigest() + ".pickle"


def stamped_sources() -> list[Path]:
    """The source files whose change makes every entry stale."""
    return [source for package in _CODE for source in sorted(package.rglob("*.py"))]


@cache
def _code_stamp() -> bytes:
    """Changes whenever the validating code does: every source file's path, size and modification time."""
    stamp = hashlib.sha256(_FORMAT + repr(sys.version_info[:2]).encode())
    for source in stamped_sources():
        status = source.stat()
        stamp.update(f"{source}:{status.st_size}:{status.st_mtime_ns};".encode())
    return stamp.digest()
