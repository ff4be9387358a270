"""Text UTF-8 cannot carry (a lone surrogate, sent as a JSON escape) echoed in an answer: the
answer is still JSON, with the character escaped, and the journal and dashboard still render."""
from __future__ import annotations

from harness import LIVE


def test_a_lone_surrogate_is_answered_escaped_everywhere(mock):
    sent = b'{"service":"\\ud800"}'
    response = mock.pnx("POST", "/us/numbers", data=sent, headers={"Content-Type": "application/json"})
    assert (response.status_code, response.content) == (
        404, b'{"error":"Pricing not found for service \'\\ud800\' on server 1"}')
    replay = {"Content-Type": "application/json", "Idempotency-Key": "lone-surrogate"}
    answers = [mock.pnx("POST", "/us/numbers", key=LIVE, data=sent, headers=replay) for _ in range(2)]
    assert [a.status_code for a in answers] == [404, 404] and answers[0].content == answers[1].content
    reset = mock.control("POST", "/reset", data=b'{"key":"\\ud800"}', headers={"Content-Type": "application/json"})
    assert (reset.status_code, reset.json()["status"]) == (400, 400)     # the control API takes no such text
    journal = mock.control("GET", "/requests")
    assert journal.status_code == 200
    assert journal.json()["requests"][0]["body"] == sent.decode()
    assert mock.control("GET", "/dashboard/live").status_code == 200
