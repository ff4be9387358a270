"""YAML with positions: the data plus the line each value starts on, by field path, within bounds.

A scenario or fixture may come from someone else (PUT /_mock/scenario), so a document is
measured before it is built: a few hundred bytes of anchors and aliases ("billion laughs") can
stand for billions of values, deep nesting exhausts the parser's stack, and an alias inside the
value it names makes a value that holds itself. All three are found in the parser's event
stream, which holds every alias once. Then the values themselves are built within bounds: a
number's length is checked before it is converted, and a date that does not exist is a YAML
problem with its line, like any other.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml

from mockserver.scenario.paths import Path
from mockserver.settings import DEFAULT_LIMITS, Limits

# libyaml's parser when PyYAML was built with it: the bundled catalogs load several times faster.
if TYPE_CHECKING:
    _BaseLoader = yaml.SafeLoader       # the C loader has the same methods, under other base classes
else:
    _BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _refused(node: yaml.Node, problem: str) -> yaml.constructor.ConstructorError:
    return yaml.constructor.ConstructorError(None, None, problem, node.start_mark)


def yaml_int(text: str) -> int:
    """A YAML 1.1 int as PyYAML's safe loader reads it (signs, _, 0b, 0x, 0 octal, base 60).
    The caller bounds ``text``'s length first: base 60 costs quadratic time in it."""
    value = text.replace("_", "")
    sign = -1 if value[:1] == "-" else 1
    if value[:1] in "+-":
        value = value[1:]
    if value == "0":
        return 0
    if value.startswith("0b"):
        return sign * int(value[2:], 2)
    if value.startswith("0x"):
        return sign * int(value[2:], 16)
    if value.startswith("0"):
        return sign * int(value, 8)
    if ":" in value:
        total = 0
        for part in value.split(":"):
            total = total * 60 + int(part)
        return sign * total
    return sign * int(value)


class Loader(_BaseLoader):
    """The safe loader, building numbers and dates within bounds and never quoting the file: a
    number written longer than ``max_number_chars`` (MOCKSERVER_MAX_YAML_NUMBER_CHARS), a date
    that does not exist and a tag YAML does not define are refused at their line."""

    max_number_chars = DEFAULT_LIMITS.max_yaml_number_chars

    def _number_text(self, node: yaml.ScalarNode) -> str:
        text = self.construct_scalar(node)
        if len(text) > self.max_number_chars:
            raise _refused(node, f"a number longer than {self.max_number_chars} characters "
                                 "(MOCKSERVER_MAX_YAML_NUMBER_CHARS)")
        return text

    def construct_bounded_int(self, node: yaml.ScalarNode) -> int:
        try:
            return yaml_int(self._number_text(node))
        except ValueError as exc:
            raise _refused(node, "not a valid integer") from exc

    def construct_bounded_float(self, node: yaml.ScalarNode) -> float:
        self._number_text(node)
        return self.construct_yaml_float(node)

    def construct_checked_timestamp(self, node: yaml.ScalarNode):
        try:
            return self.construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as exc:
            raise _refused(node, "a date or time that does not exist (quote it if it is text)") from exc

    def construct_unknown_tag(self, node: yaml.Node):
        raise _refused(node, "a tag YAML does not define (only the standard ones, like !!str, are taken)")


Loader.add_constructor("tag:yaml.org,2002:int", Loader.construct_bounded_int)
Loader.add_constructor("tag:yaml.org,2002:float", Loader.construct_bounded_float)
Loader.add_constructor("tag:yaml.org,2002:timestamp", Loader.construct_checked_timestamp)
Loader.add_constructor(None, Loader.construct_unknown_tag)


class YamlTooLarge(ValueError):
    """A document past the limits, or one that refers to itself; ``line`` is where (1-based)."""

    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.line = line


def load_with_lines(text: str, limits: Limits = DEFAULT_LIMITS) -> tuple[Any, dict[Path, int]]:
    """Parse YAML safely, once; also map every field path to its 1-based line. A document past
    the limits raises YamlTooLarge, one that is not valid YAML (a value included) yaml.YAMLError."""
    check_size(text, limits)
    loader = Loader(text)
    loader.max_number_chars = limits.max_yaml_number_chars
    try:
        root = loader.get_single_node()
        data = None
        if root is not None:
            try:
                data = loader.construct_document(root)
            except (ValueError, TypeError, OverflowError, RecursionError) as exc:
                # Every constructor above raises its own problem; this is for one that does not.
                raise yaml.constructor.ConstructorError(None, None, "a value that cannot be built",
                                                        root.start_mark) from exc
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
    anchored: dict[str, int | None] = {}   # anchor -> values under it (None: its collection is still open)
    open_anchors: list[tuple[str | None, int]] = []   # per open collection: its anchor and the count at its start
    for event in yaml.parse(text, Loader=_BaseLoader):
        if isinstance(event, yaml.AliasEvent):
            if event.anchor in anchored and anchored[event.anchor] is None:
                # Inside the value it names: a value that holds itself, endless to walk or show.
                raise YamlTooLarge("an alias inside the value it refers to (a value that contains itself)",
                                   _line(event))
            expanded += anchored.get(event.anchor or "") or 1     # an alias names an anchor: never empty
        elif isinstance(event, (yaml.ScalarEvent, yaml.CollectionStartEvent)):
            expanded += 1
            if isinstance(event, yaml.ScalarEvent):
                if event.anchor:
                    anchored[event.anchor] = 1
            else:
                if event.anchor:
                    anchored[event.anchor] = None
                open_anchors.append((event.anchor, expanded - 1))
                if len(open_anchors) > limits.max_yaml_depth:
                    raise YamlTooLarge(f"nested more than {limits.max_yaml_depth} levels deep "
                                       "(MOCKSERVER_MAX_YAML_DEPTH)", _line(event))
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, started = open_anchors.pop()
            if anchor:
                anchored[anchor] = expanded - started
        if expanded > limits.max_yaml_nodes:
            raise YamlTooLarge(f"more than {limits.max_yaml_nodes} values once its aliases are expanded "
                               "(MOCKSERVER_MAX_YAML_NODES)", _line(event))


def _line(event: yaml.Event) -> int:
    """The line an event starts on, from 1: the parser marks every event it makes."""
    mark = event.start_mark
    assert mark is not None
    return mark.line + 1


def _walk(node: yaml.Node, path: Path, lines: dict[Path, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            # an int key as the loader built it (its length was checked then)
            key = yaml_int(key_node.value) if key_node.tag == "tag:yaml.org,2002:int" else key_node.value
            _walk(value_node, path + (key,), lines)
            lines[path + (key,)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, path + (index,), lines)
