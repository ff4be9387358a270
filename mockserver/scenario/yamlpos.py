"""YAML with positions: the data plus the line each value starts on, by field path, within bounds.

A scenario or fixture may come from someone else (PUT /_mock/scenario), so a document is
measured before it is built: a few hundred bytes of anchors and aliases ("billion laughs") can
stand for billions of values, and deep nesting exhausts the parser's stack. Both are counted
from the parser's event stream, which holds every alias once.
"""
from __future__ import annotations

from typing import Any, Callable

import yaml

from ..settings import DEFAULT_LIMITS, Limits

Path = tuple  # of str keys and int indices


# libyaml's parser when PyYAML was built with it: the bundled catalogs load several times faster.
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlTooLarge(ValueError):
    """A document past the limits; ``line`` is where it went past them (1-based)."""

    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.line = line


def load_with_lines(text: str, limits: Limits = DEFAULT_LIMITS) -> tuple[Any, dict[Path, int]]:
    """Parse YAML safely, once; also map every field path to its 1-based line."""
    check_size(text, limits)
    loader = Loader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()
    lines: dict[Path, int] = {}
    if root is not None:
        _walk(root, (), lines)
    return data, lines


def check_size(text: str, limits: Limits) -> None:
    """Raise YamlTooLarge when the document, its aliases expanded, holds more values than
    ``limits.max_yaml_nodes`` or nests deeper than ``limits.max_yaml_depth``."""
    expanded = 0                      # values so far, each alias counted as all it stands for
    anchored: dict[str, int] = {}     # anchor -> values under it
    open_anchors: list[tuple[str | None, int]] = []   # per open collection: its anchor and the count at its start
    for event in yaml.parse(text, Loader=Loader):
        if isinstance(event, yaml.AliasEvent):
            expanded += anchored.get(event.anchor, 1)
        elif isinstance(event, (yaml.ScalarEvent, yaml.CollectionStartEvent)):
            expanded += 1
            if isinstance(event, yaml.ScalarEvent):
                if event.anchor:
                    anchored[event.anchor] = 1
            else:
                open_anchors.append((event.anchor, expanded - 1))
                if len(open_anchors) > limits.max_yaml_depth:
                    raise YamlTooLarge(f"nested more than {limits.max_yaml_depth} levels deep "
                                       "(MOCKSERVER_MAX_YAML_DEPTH)", event.start_mark.line + 1)
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, started = open_anchors.pop()
            if anchor:
                anchored[anchor] = expanded - started
        if expanded > limits.max_yaml_nodes:
            raise YamlTooLarge(f"more than {limits.max_yaml_nodes} values once its aliases are expanded "
                               "(MOCKSERVER_MAX_YAML_NODES)", event.start_mark.line + 1)


def _walk(node: yaml.Node, path: Path, lines: dict[Path, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = int(key_node.value) if key_node.tag == "tag:yaml.org,2002:int" else key_node.value
            _walk(value_node, path + (key,), lines)
            lines[path + (key,)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, path + (index,), lines)


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
