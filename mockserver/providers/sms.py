"""What an SMS to a number says, the same for both providers: a PVADeals request and a Provynx
number each carry the service, the matched behavior and the phone number this needs."""
from __future__ import annotations

import re

# A code in a text someone wrote (an SMS pushed with its own text): the first run of 4 to 8
# digits standing alone, as verification codes are written ("Your Airbnb verification code is 4821.").
_CODE_IN_TEXT = re.compile(r"(?<!\d)\d{4,8}(?!\d)")


def code_shape(target) -> tuple[int, str]:
    """Length and alphabet of the target's codes: the behavior's length, else the service's."""
    return target.behavior.code.length or target.service.code_length, target.behavior.code.alphabet


def sms_text(target, code: str, template: str | None = None) -> str:
    """A behavior's template, else the service's own wording, around a code."""
    return (template or target.service.sms).format(service=target.service.name, code=code, number=target.number)


def code_in(text: str) -> str | None:
    """The verification code a text carries, for every provider alike; None if it has none."""
    found = _CODE_IN_TEXT.search(text)
    return found.group(0) if found else None
