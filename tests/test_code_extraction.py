"""One code extraction for every provider: an SMS pushed with its own text gets the code that text
carries, whichever provider's number it reaches."""
from __future__ import annotations

import pytest

from harness import AIRBNB

TEXT = "Your Airbnb verification code is 4821. Don't share it."


def test_a_pvadeals_number_gets_the_code_of_a_pushed_text(mock):
    [bought] = mock.buy(AIRBNB)
    pushed = mock.control("POST", "/sms", json={"id": bought["_id"], "text": TEXT})
    assert pushed.status_code == 200
    assert pushed.json()["code"] == "4821" and pushed.json()["text"] == TEXT


def test_a_provynx_number_gets_the_code_of_a_pushed_text(mock):
    number = mock.pnx_buy(service="telegram")
    pushed = mock.control("POST", "/sms", json={"id": number["id"], "text": TEXT})
    assert pushed.status_code == 200 and pushed.json()["code"] == "4821"


@pytest.mark.parametrize(("text", "code"), [("no digits at all", None), ("reply 123 to stop", None),
                                             ("G-123456 is your code", "123456"), ("code 12345678901", None)])
def test_a_text_without_a_standalone_code_gets_none(mock, text, code):
    [bought] = mock.buy(AIRBNB)
    assert mock.control("POST", "/sms", json={"id": bought["_id"], "text": text}).json()["code"] == code
