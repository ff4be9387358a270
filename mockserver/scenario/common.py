"""Checks every provider's section makes alike: SMS templates and how long they can render, and
values a list must not repeat."""
from __future__ import annotations

import re
import string
from dataclasses import dataclass

from marshmallow import ValidationError

from mockserver.scenario.fields import load_limits
from mockserver.settings import Limits

TEMPLATE_FIELDS = ("service", "code", "number")
TEMPLATE_HELP = "placeholders: {service}, {code}, {number}"
_BAD_TEMPLATE = ("bad template: use only the placeholders {service}, {code} and {number} "
                 "(write {{ and }} for a literal brace)")

# The longest values a placeholder gets, but {service}, which is the catalog's: a code has at
# most 12 characters (code_length, CodeSchema, Provynx's sandbox code) and a number at most 17
# (+ and 16 digits).
CODE_CHARS = 12
NUMBER_CHARS = 17

# Python's format spec: [[fill]align][sign][z][#][0][width][grouping][.precision][type]
_FORMAT_SPEC = re.compile(r"(?:.?[<>=^])?[-+ ]?z?#?0?(?P<width>[0-9]*)[,_]?(?:\.(?P<precision>[0-9]+))?[a-zA-Z%]?",
                          re.DOTALL)


@dataclass(frozen=True)
class Placeholder:
    name: str
    width: int
    precision: int | None


def template_parts(text: str, limits: Limits) -> tuple[int, tuple[Placeholder, ...]]:
    """The characters a template writes itself and its placeholders, or ValidationError. Each
    width and precision is read from the format spec and bounded (MOCKSERVER_MAX_TEMPLATE_WIDTH)
    before anything is formatted: "{code:>200000000}" would otherwise build 200 MB to check."""
    literal, placeholders = 0, []
    try:
        for before, name, spec, conversion in string.Formatter().parse(text):
            literal += len(before)
            if name is None:
                continue
            match = _FORMAT_SPEC.fullmatch(spec or "")
            if name not in TEMPLATE_FIELDS or conversion not in (None, "s") or match is None:
                raise ValidationError(_BAD_TEMPLATE)
            sizes = [match["width"], match["precision"]]
            if any(size and (len(size.lstrip("0")) > 9 or int(size) > limits.max_template_width) for size in sizes):
                raise ValidationError(f"bad template: a width or precision over {limits.max_template_width} "
                                      "(MOCKSERVER_MAX_TEMPLATE_WIDTH)")
            format("", spec or "")    # the rest of the spec, on an empty value: at most the width
            placeholders.append(Placeholder(name, int(match["width"] or 0),
                                            None if match["precision"] is None else int(match["precision"])))
    except ValueError as exc:
        raise ValidationError(_BAD_TEMPLATE) from exc
    return literal, tuple(placeholders)


def check_template(text: str) -> None:
    template_parts(text, load_limits())


def rendered_length(text: str, longest: dict[str, int], limits: Limits) -> int:
    """The most characters ``text`` can render to when each placeholder's value has at most
    ``longest[name]`` characters."""
    literal, placeholders = template_parts(text, limits)
    total = literal
    for placeholder in placeholders:
        value = longest[placeholder.name]
        if placeholder.precision is not None:
            value = min(value, placeholder.precision)
        total += max(value, placeholder.width)
    return total


def sms_length_problems(services, behaviors, *, extra_names: tuple[str, ...] = ()) -> dict:
    """marshmallow errors for each template that can render an SMS longer than MOCKSERVER_MAX_SMS_CHARS:
    ``services`` as (error path, service) pairs, each with its own name and wording; ``behaviors``
    (by index) apply to every service, so they are measured with the longest name."""
    limits = load_limits()
    problem = f"can render an SMS longer than {limits.max_sms_chars} characters (MOCKSERVER_MAX_SMS_CHARS)"
    errors: dict = {}
    longest_name = max([len(name) for name in extra_names] + [len(service.name) for _, service in services],
                       default=0)
    for where, service in services:
        if rendered_length(service.sms, {"service": len(service.name), "code": CODE_CHARS,
                                         "number": NUMBER_CHARS}, limits) > limits.max_sms_chars:
            _file_error(errors, (*where, "sms"), problem)
    longest = {"service": longest_name, "code": CODE_CHARS, "number": NUMBER_CHARS}
    for index, behavior in enumerate(behaviors):
        if any(plan.text is not None and rendered_length(plan.text, longest, limits) > limits.max_sms_chars
               for plan in behavior.sms):
            _file_error(errors, ("behaviors", index, "sms"), problem)
    return errors


def _file_error(errors: dict, path: tuple, message: str) -> None:
    node = errors
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node.setdefault(path[-1], []).append(message)


def no_repeats(values: list, where: str, field: str) -> None:
    """Refuse a value given twice, naming both places (never the value: see paths.format_path)."""
    seen: dict = {}
    for index, value in enumerate(values):
        if value in seen:
            raise ValidationError({where: {index: {field: [f"the same as {where}[{seen[value]}]"]}}})
        seen[value] = index
