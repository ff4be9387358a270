"""Wrong-shaped success: a real answer with declared changes, as when a provider's API drifts
(a field removed, renamed, null, of another JSON type, an extra one, a list emptied), so a
client's parser can be tested against schema drift. No Flask; the answer is JSON data.

A path names fields from the top of the answer, dot by dot (a list's element by its index, from
0); ``*`` stands for every element of a list or every value of an object: ``data.requests.*.number``.
Removing elements of a list by index goes from the last, so ``*`` empties it rather than skipping."""
from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass

OPS = ("remove", "rename", "null", "retype", "add", "empty")
TYPES = ("string", "number", "boolean", "array", "object", "null")


@dataclass(frozen=True)
class Mutation:
    op: str                      # one of OPS
    path: tuple[str, ...]        # the field it changes (add: the field it adds)
    to: str | None = None        # rename: the new name; retype: one of TYPES
    value: object = None         # add: the new field's value

    @classmethod
    def parse(cls, op: str, path: str, *, to: str | None = None, value: object = None) -> Mutation:
        parts = tuple(path.split("."))
        if op not in OPS:
            raise ValueError(f"{op!r}: not a mutation ({', '.join(OPS)})")
        if not all(parts):
            raise ValueError(f"{path!r}: a path is names separated by single dots")
        if op == "add" and parts[-1] == "*":
            raise ValueError(f"{path!r}: add names the field it adds, not *")
        if op == "rename" and not to:
            raise ValueError("rename needs `to`, the field's new name")
        if op == "retype" and to not in TYPES:
            raise ValueError(f"retype needs `to`, one of {', '.join(TYPES)}")
        return cls(op, parts, to, value)

    def describe(self) -> str:
        where = ".".join(self.path)
        return {"rename": f"rename {where} to {self.to}", "retype": f"{where} as {self.to}",
                "add": f"add {where}"}.get(self.op, f"{self.op} {where}")


def mutated(answer: object, mutations: tuple[Mutation, ...]) -> object:
    """A copy of ``answer`` with each mutation applied in order; a path that names nothing in this
    answer changes nothing (the same rule then fits answers of several shapes)."""
    changed = copy.deepcopy(answer)
    for mutation in mutations:
        # From the last place to the first: removing a list's elements leaves the earlier indices valid.
        for holder, name in reversed(list(_holders(changed, mutation.path))):
            _apply(mutation, holder, name)
    return changed


def _holders(node: object, path: tuple[str, ...]) -> Iterator[tuple[dict | list, str]]:
    """Each (container, last name) the path reaches: the places the mutation acts on."""
    *parents, last = path
    nodes = [node]
    for name in parents:
        nodes = [child for parent in nodes for child in _children(parent, name)]
    for parent in nodes:
        if last == "*":
            if isinstance(parent, dict):
                yield from ((parent, key) for key in list(parent))
            elif isinstance(parent, list):
                yield from ((parent, str(index)) for index in range(len(parent)))
        elif isinstance(parent, dict):
            yield parent, last
        elif isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
            yield parent, last


def _children(node: object, name: str) -> list:
    if name == "*":
        return list(node.values()) if isinstance(node, dict) else list(node) if isinstance(node, list) else []
    if isinstance(node, list):              # a list's element by its index: data.requests.0.number
        return [node[int(name)]] if name.isdigit() and int(name) < len(node) else []
    return [node[name]] if isinstance(node, dict) and name in node else []


def _apply(mutation: Mutation, holder: dict | list, name: str) -> None:
    key: int | str = int(name) if isinstance(holder, list) else name
    present = isinstance(holder, list) or name in holder
    if mutation.op == "add":
        holder[key] = copy.deepcopy(mutation.value)         # type: ignore[index]
    elif not present:
        return
    elif mutation.op == "remove":
        del holder[key]                                     # type: ignore[arg-type]
    elif mutation.op == "rename" and isinstance(holder, dict):
        holder[mutation.to] = holder.pop(name)
    elif mutation.op == "null":
        holder[key] = None                                  # type: ignore[index]
    elif mutation.op == "empty":
        value = holder[key]                                 # type: ignore[index]
        holder[key] = [] if isinstance(value, list) else {} if isinstance(value, dict) else ""  # type: ignore[index]
    elif mutation.op == "retype":
        holder[key] = _as(mutation.to, holder[key])        # type: ignore[index]


def _as(kind: str | None, value: object) -> object:
    """``value`` as a JSON value of another type, keeping what it says where the type can."""
    if kind == "string":
        return value if isinstance(value, str) else json.dumps(value)
    if kind == "number":
        if isinstance(value, bool) or value is None:
            return int(bool(value))
        if isinstance(value, (int, float)):
            return value
        try:
            return float(value)                             # type: ignore[arg-type]
        except (TypeError, ValueError):
            return 0
    if kind == "boolean":
        return bool(value)
    if kind == "array":
        return value if isinstance(value, list) else [value]
    if kind == "object":
        return value if isinstance(value, dict) else {"value": value}
    return None
