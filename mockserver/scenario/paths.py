"""Field paths in a loaded document, as messages name them: ``a.b[2].c``, and the line a path
starts on. Apart from yamlpos.py, so that what reports a path (request bodies, scenario fields)
does not import PyYAML: a start whose scenario comes from the fixture cache parses no YAML."""
from __future__ import annotations

from collections.abc import Callable

Path = tuple  # of str keys and int indices


def line_of(lines: dict[Path, int], path: Path) -> int | None:
    """The line of a path, or of its nearest ancestor present in the file (a missing field)."""
    while True:
        if path in lines:
            return lines[path]
        if not path:
            return None
        path = path[:-1]


def format_path(path: Path, shown: Callable[[str], bool] | None = None) -> str:
    """``a.b[2].c``. A key ``shown`` refuses is written ``<field>``: a message about a file that
    is not the caller's own must not echo what it holds, and a key may be a value (a secret)."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
            continue
        name = part if shown is None or (isinstance(part, str) and shown(part)) else "<field>"
        text += f".{name}" if text else name
    return text or "(top level)"
