"""Mutations of a JSON answer (engine/mutations.py): pure data in, data out; what a scenario's
``mutate`` does to an answer on the wire is tested in test_faults_on_the_wire.py."""
from __future__ import annotations

import pytest

from mockserver.engine.mutations import Mutation, mutated

ANSWER = {"data": {"requests": [{"number": "+1", "price": 0.2}, {"number": "+2", "price": 0.3}], "total": 2}}


def apply(answer, *mutations):
    return mutated(answer, tuple(Mutation.parse(**m) for m in mutations))


def test_each_op_on_every_element():
    assert apply(ANSWER, {"op": "remove", "path": "data.requests.*.number"}) == {
        "data": {"requests": [{"price": 0.2}, {"price": 0.3}], "total": 2}}
    assert apply(ANSWER, {"op": "rename", "path": "data.requests.*.price", "to": "cost"})["data"]["requests"][1] == {
        "number": "+2", "cost": 0.3}
    assert apply(ANSWER, {"op": "null", "path": "data.total"})["data"]["total"] is None
    assert apply(ANSWER, {"op": "retype", "path": "data.requests.*.price", "to": "string"})["data"]["requests"][0][
        "price"] == "0.2"
    assert apply(ANSWER, {"op": "retype", "path": "data.requests.0.number", "to": "number"})["data"]["requests"][0][
        "number"] == 1.0
    assert apply(ANSWER, {"op": "add", "path": "data.extra", "value": [1]})["data"]["extra"] == [1]
    assert apply(ANSWER, {"op": "empty", "path": "data.requests"})["data"]["requests"] == []


def test_removing_every_element_of_a_list_leaves_it_empty():
    assert apply(ANSWER, {"op": "remove", "path": "data.requests.*"})["data"]["requests"] == []


def test_a_path_that_names_nothing_changes_nothing_and_the_answer_given_is_untouched():
    before = repr(ANSWER)
    assert apply(ANSWER, {"op": "remove", "path": "data.nothing.here"}, {"op": "null", "path": "data.requests.9"}) \
        == ANSWER
    assert apply("ACCESS_BALANCE:100", {"op": "remove", "path": "data"}) == "ACCESS_BALANCE:100"
    assert repr(ANSWER) == before


@pytest.mark.parametrize("mutation, problem", [
    ({"op": "drop", "path": "a"}, "not a mutation"),
    ({"op": "remove", "path": "a..b"}, "single dots"),
    ({"op": "add", "path": "a.*"}, "not *"),
    ({"op": "rename", "path": "a"}, "needs `to`"),
    ({"op": "retype", "path": "a", "to": "date"}, "one of string"),
])
def test_a_mutation_that_cannot_be_is_refused(mutation, problem):
    with pytest.raises(ValueError, match=problem):
        Mutation.parse(**mutation)
