"""Conditions on touchpoints and plays, written in rule-engine's expression language.

A condition sees two symbols: `customer` (external_id, name, segment, status, arr,
acquisition_cost, started_on, renewal_date, attributes) and `event`
(type, source, occurred_at, data), e.g. `customer.arr >= 50000 and event.data.priority == "urgent"`.
Conditions are validated when saved or imported, and compiled once per process.
"""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import rule_engine

if TYPE_CHECKING:
    from journeys.models import Customer, Event

logger = logging.getLogger(__name__)

# DESIGN.md's condition language is `customer.arr`, dot access into mappings. rule-engine 5.x
# supports it and warns that 6.0 will not; we pin 5.1 and will move the facts to objects (or
# rewrite `a.b` to `a['b']` at import) before upgrading.
warnings.filterwarnings("ignore", category=rule_engine.errors.MappingAttributeLookupDeprecation)

_MAPPING = rule_engine.DataType.MAPPING(rule_engine.DataType.STRING)
_CONTEXT = rule_engine.Context(
    type_resolver=rule_engine.type_resolver_from_dict({"customer": _MAPPING, "event": _MAPPING}),
    default_timezone="UTC",
)


class InvalidCondition(ValueError):
    pass


@lru_cache(maxsize=2048)
def compile_condition(text: str) -> rule_engine.Rule:
    """Compile `text`, raising InvalidCondition with rule-engine's reason when it is not valid."""
    try:
        return rule_engine.Rule(text, context=_CONTEXT)
    except rule_engine.errors.SymbolResolutionError as exc:
        raise InvalidCondition(
            f"unknown name {exc.symbol_name!r} (use customer.… or event.…)"
        ) from None
    except rule_engine.errors.RuleSyntaxError as exc:
        raise InvalidCondition(f"syntax error in {text!r}: {exc.message}") from None
    except rule_engine.errors.EngineError as exc:
        raise InvalidCondition(f"{text!r}: {exc.message}") from None


def validate_condition(text: str) -> None:
    if text.strip():
        compile_condition(text)


def _as_datetime(value: dt.date | None) -> dt.datetime | None:
    if value is None:
        return None
    return dt.datetime.combine(value, dt.time.min, tzinfo=dt.UTC)


def customer_facts(customer: Customer) -> dict[str, Any]:
    return {
        "external_id": customer.external_id,
        "name": customer.name,
        "segment": customer.segment,
        "status": customer.status,
        "arr": customer.arr,
        "acquisition_cost": customer.acquisition_cost,
        "started_on": _as_datetime(customer.started_on),
        "renewal_date": _as_datetime(customer.renewal_date),
        "attributes": customer.attributes or {},
    }


def event_facts(event: Event) -> dict[str, Any]:
    return {
        "type": event.type,
        "source": event.source,
        "occurred_at": event.occurred_at,
        "data": event.data or {},
    }


def condition_holds(text: str, facts: dict[str, Any]) -> bool:
    """True when `text` is empty or matches. A condition that cannot be evaluated against these
    facts (a missing attribute, a type mismatch) does not match, and says so in the log."""
    if not text.strip():
        return True
    try:
        return bool(compile_condition(text).matches(facts))
    except (rule_engine.errors.EngineError, InvalidCondition) as exc:
        logger.warning("condition.not_evaluated", extra={"condition": text, "reason": str(exc)})
        return False
