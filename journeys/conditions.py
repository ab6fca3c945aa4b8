"""Conditions on touchpoints and plays, written in rule-engine's expression language.

A condition sees two symbols: `customer` (external_id, name, segment, status, arr,
acquisition_cost, started_on, renewal_date, attributes) and `event`
(type, source, occurred_at, data), e.g. `customer.arr >= 50000 and event.data.priority == "urgent"`.
Conditions are validated when saved or imported, and compiled once per process.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import warnings
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import rule_engine

if TYPE_CHECKING:
    from journeys.models import Customer, Event

logger = logging.getLogger(__name__)

# DESIGN.md's condition language is `customer.arr`: dot access into mappings. rule-engine 5.x
# resolves it through a deprecated fallback that is three times slower than item access (it
# computes spelling suggestions on every lookup) and goes away in 6.0. So before compiling,
# `customer.x` / `event.x` (and one level into `attributes` / `data`) become `customer['x']`;
# deeper dots still take the fallback, hence the filter.
warnings.filterwarnings("ignore", category=rule_engine.errors.MappingAttributeLookupDeprecation)

_STRING_LITERAL = re.compile(r"""("(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')""")
_FACT_ACCESS = re.compile(r"\b(customer|event)\.([A-Za-z_]\w*)(?:\.([A-Za-z_]\w*))?")
_NESTED_MAPPINGS = {"attributes", "data"}


def _item_access(match: re.Match[str]) -> str:
    symbol, key, nested = match.groups()
    text = f"{symbol}['{key}']"
    if nested is None:
        return text
    if key in _NESTED_MAPPINGS:
        return f"{text}['{nested}']"
    return f"{text}.{nested}"  # an attribute of a value, e.g. customer.name.length


def to_item_access(text: str) -> str:
    """Rewrite fact lookups outside string literals to item access."""
    parts = _STRING_LITERAL.split(text)
    return "".join(
        part if index % 2 else _FACT_ACCESS.sub(_item_access, part)
        for index, part in enumerate(parts)
    )


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
        return rule_engine.Rule(to_item_access(text), context=_CONTEXT)
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
