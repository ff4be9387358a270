"""Reading a scenario or fixture file within bounds: a regular file, at most so many bytes, UTF-8.

A file named over HTTP may be anything the server can open (a device, /proc, a huge log), so
its kind and size are checked before it is read, and at most the limit is read even if it grows.
"""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

# What Linux takes: a name of at most 255 bytes, a path shorter than 4096 bytes.
NAME_MAX, PATH_MAX = 255, 4096


def check_file_name(name: str) -> None:
    """Raise OSError or ValueError for a name no file can have here (too long, or not text a file
    system takes), before any file-system call: no message then quotes it, and it may be most of
    a megabyte."""
    encoded = name.encode("utf-8")           # a lone surrogate: UnicodeEncodeError, a ValueError
    if len(encoded) >= PATH_MAX or any(len(part) > NAME_MAX for part in encoded.split(b"/")):
        raise OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG))


def read_text_file(path: Path, max_bytes: int | None) -> tuple[bytes, str | None]:
    """(bytes, None), or (b"", why not) when the file is no regular file, too large or not UTF-8.
    ``max_bytes`` None: no bound (a file that ships with mockserver)."""
    try:
        with open(path, "rb") as handle:
            status = os.fstat(handle.fileno())
            if not stat.S_ISREG(status.st_mode):
                return b"", "not a regular file"
            if max_bytes is not None and status.st_size > max_bytes:
                return b"", f"larger than {max_bytes} bytes (MOCKSERVER_MAX_SCENARIO_BYTES)"
            raw = handle.read() if max_bytes is None else handle.read(max_bytes + 1)
    except OSError as exc:
        return b"", f"cannot be read ({exc.strerror or type(exc).__name__})"
    if max_bytes is not None and len(raw) > max_bytes:
        return b"", f"larger than {max_bytes} bytes (MOCKSERVER_MAX_SCENARIO_BYTES)"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return b"", "not UTF-8 text"
    return raw, None
