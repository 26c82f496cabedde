"""The leaf operators: compare a fact's value with the required value, or say they cannot be.

A comparison answers True, False or None. None means the two values cannot be compared (a
string where a number was required, a fact with no value): the criterion is then unknown and a
clerk looks, rather than the machine deciding on data it does not understand. Dates compare as
dates: an ISO string on either side is read as a date when the other side is one, because form
fields arrive as strings and YAML values as dates.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}
_SYMBOL = {"eq": "=", "ne": "≠", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤"}


def _as_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def comparable(found: object, required: object) -> tuple[Any, Any] | None:
    """The pair in a form that compares meaningfully, or None when it does not."""
    if found is None or required is None:
        return None
    if isinstance(found, bool) or isinstance(required, bool):
        # True == 1 in Python; a yes/no fact never equals a count.
        return (found, required) if isinstance(found, bool) and isinstance(required, bool) else None
    if _is_number(found) and _is_number(required):
        return found, required
    if isinstance(found, date) or isinstance(required, date):
        left, right = _as_date(found), _as_date(required)
        return None if left is None or right is None else (left, right)
    if isinstance(found, str) and isinstance(required, str):
        return found, required
    return None


def _compare(op: str, found: object, required: object) -> bool | None:
    pair = comparable(found, required)
    return None if pair is None else _ORDER[op](*pair)


def _member(found: object, options: list[Any]) -> bool | None:
    answers = [_compare("eq", found, option) for option in options]
    if True in answers:
        return True
    return None if all(answer is None for answer in answers) else False


def apply(op: str, found: object, required: object) -> bool | None:
    """Whether `found` meets `op required`; None when they cannot be compared. `exists` is
    decided by the caller (it needs no required value)."""
    if op in _ORDER:
        return _compare(op, found, required)
    assert isinstance(required, list)
    if op == "in":
        return _member(found, required)
    if op == "not_in":
        member = _member(found, required)
        return None if member is None else not member
    if op == "between":
        low, high = _compare("gte", found, required[0]), _compare("lte", found, required[1])
        return None if low is None or high is None else low and high
    raise ValueError(f"unknown operator {op!r}")


def show(value: object) -> str:
    """A value as a person reads it in a requirement."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(show(item) for item in value)
    return str(value)


def describe(op: str, required: object) -> str:
    """The requirement as text: "≥ 3", "∈ {a, b}", "∈ [0, 90]", "exists"."""
    if op in _SYMBOL:
        return f"{_SYMBOL[op]} {show(required)}"
    if op == "in":
        return f"∈ {{{show(required)}}}"
    if op == "not_in":
        return f"∉ {{{show(required)}}}"
    if op == "between":
        return f"∈ [{show(required)}]"
    return "exists"
