"""Conditions: DESIGN.md's dot syntax, compiled to rule-engine item access, validated early."""

from __future__ import annotations

import pytest

from journeys.conditions import InvalidCondition, compile_condition, condition_holds, to_item_access


@pytest.mark.parametrize(
    ("written", "compiled"),
    [
        ("customer.arr >= 50000", "customer['arr'] >= 50000"),
        ('event.data.priority == "urgent"', "event['data']['priority'] == \"urgent\""),
        (
            "customer.attributes.plan == 'customer.x'",
            "customer['attributes']['plan'] == 'customer.x'",
        ),
        ("customer.name.length > 3", "customer['name'].length > 3"),
        ('"event.type" == event.type', "\"event.type\" == event['type']"),
    ],
)
def test_fact_lookups_become_item_access_outside_string_literals(written, compiled):
    assert to_item_access(written) == compiled


@pytest.mark.parametrize(
    ("condition", "holds"),
    [
        ('customer.segment == "enterprise" and customer.arr > 10', True),
        ("customer.name.length == 4", True),
        ('event.data.priority == "urgent"', True),
        ('event.data.missing == "x"', False),
        ("customer.attributes.seats >= 10", True),
    ],
)
def test_conditions_evaluate_against_customer_and_event_facts(condition, holds):
    facts = {
        "customer": {
            "segment": "enterprise",
            "arr": 20,
            "name": "Acme",
            "attributes": {"seats": 12},
        },
        "event": {"type": "ticket.opened", "data": {"priority": "urgent"}},
    }

    assert condition_holds(condition, facts) is holds


@pytest.mark.parametrize(
    ("condition", "reason"),
    [("customer.arr >=", "syntax error"), ("account.arr > 1", "unknown name 'account'")],
)
def test_invalid_conditions_are_refused_with_the_reason(condition, reason):
    with pytest.raises(InvalidCondition, match=reason):
        compile_condition(condition)
