"""How a test runner in any language learns that `mockserver run` answers, and where: with
`--port 0 --ready-file PATH` the server writes a small JSON document (url, pid, version) to PATH
once it answers; with `--print-ready` it prints the same document as the first line on stdout.

The file appears whole or not at all (written beside PATH, then renamed over it), so a runner
that polls for it never reads half a document; it is removed when the server stops."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from mockserver import __version__


def ready_document(url: str) -> dict:
    """``pid`` is this process's, the one to signal (SIGTERM, SIGINT) to stop the server."""
    return {"url": url, "pid": os.getpid(), "version": __version__}


def ready_line(url: str) -> str:
    return json.dumps(ready_document(url), separators=(",", ":"))


def can_write(path: Path) -> str | None:
    """Why the ready file could not be written at ``path``, or None: checked before the server
    starts, so that a runner waiting for the file is not left waiting."""
    folder = path.parent
    if path.is_dir():
        return f"{path} is a folder"
    if not folder.is_dir():
        return f"no folder {folder}"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"folder {folder} is not writable"
    return None


def write_ready_file(path: Path, url: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(ready_line(url) + "\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def remove_ready_file(path: Path) -> None:
    """The ready file, if it is still this process's (another server may have been started with
    the same path since)."""
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError, AttributeError):
        pass
