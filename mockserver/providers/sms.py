"""What an SMS to a number says, the same for both providers: a PVADeals request and a Provynx
number each carry the service, the matched behavior and the phone number this needs."""
from __future__ import annotations


def code_shape(target) -> tuple[int, str]:
    """Length and alphabet of the target's codes: the behavior's length, else the service's."""
    return target.behavior.code.length or target.service.code_length, target.behavior.code.alphabet


def sms_text(target, code: str, template: str | None = None) -> str:
    """A behavior's template, else the service's own wording, around a code."""
    return (template or target.service.sms).format(service=target.service.name, code=code, number=target.number)
