"""``{field: Cost, gt: 1000}``: one comparison on a custom field, found by the field's name.

Exactly one operator per predicate (combine several with ``all:``):

=============  ==================================================================
``eq``/``ne``  equal / not equal (text compares case-insensitively; no coercion
               between text and numbers: "1000" is not 1000)
``gt`` ``gte`` ``lt`` ``lte``   numeric comparisons
``in``/``not_in``  the value (or, for a multi-value field, any element) is one of
               the list / none of them is
``contains``   text contains the given text (case-insensitive); a list contains
               an element equal to it
``is_empty``   ``true``: the value is null, blank text or an empty list
=============  ==================================================================

Outcomes: a field that is not on the issue at all (not loaded, or no such field) is an
``error``. An *empty* value decides ``eq``/``in``/``contains`` as false and ``ne``/``not_in``
as true, but makes the numeric comparisons an ``error``: "is the cost above 1000?" has no
answer when nobody entered a cost, and a review rule must not read that as "no". A value of
the wrong type (text where a number is needed, several values for ``eq``) is an ``error`` too.

Option and user values arrive from the gateway as plain strings or as Jira objects; objects
are compared by their ``value``/``name``/``displayName``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ..context import Context, FieldNames
from ..result import ERROR, FALSE, TRUE, Outcome, Result
from ..schema import FieldSpec
from ..text import fmt_num, show_list
from .base import Predicate

if TYPE_CHECKING:
    from ..parse import Parser
    from ..source import Loc

KEY = "field"

_ORDER_WORDS = {"gt": "more than", "gte": "at least", "lt": "less than", "lte": "at most"}


def _plain(value: Any) -> Any:
    if value is None or type(value) in (str, int, float, bool):  # the common case, fast
        return value
    if isinstance(value, Mapping):
        for key in ("value", "name", "displayName"):
            if key in value:
                return value[key]
        return value
    display = getattr(value, "display_name", None)
    if isinstance(display, str):
        return display
    return value


def _is_empty(value: Any) -> bool:
    return (
        value is None
        or (isinstance(value, str) and not value.strip())
        or (isinstance(value, list | tuple | dict) and not value)
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _key(value: Any) -> Any:
    """Comparison key: text case-folded; bools kept apart from 0/1; numbers as numbers."""
    if isinstance(value, str):
        return ("s", value.casefold())
    if isinstance(value, bool):
        return ("b", value)
    if _is_number(value):
        return ("n", value)
    return ("o", repr(value))


def _show(value: Any) -> str:
    if _is_number(value):
        return fmt_num(value)
    if isinstance(value, list | tuple):
        return show_list([_show(v) for v in value])
    return repr(value)


class FieldCompare(Predicate):
    __slots__ = ("_keys", "_shown", "field", "op", "operand")
    key = KEY

    def __init__(self, field: str, op: str, operand: Any) -> None:
        self.field = field
        self.op = op
        self.operand = operand
        if op in ("in", "not_in"):
            self._keys = frozenset(_key(v) for v in operand)
        elif op in ("eq", "ne", "contains"):
            self._keys = frozenset([_key(operand)])
        else:
            self._keys = frozenset()
        self._shown = _show(operand)

    def names(self, fields: FieldNames) -> Iterator[tuple[str, str]]:
        yield "fields", self.field

    def _result(self, outcome: Outcome, reason: str, value: Any) -> Result:
        return Result(KEY, outcome, reason, values={"field": self.field, "value": value})

    def test(self, ctx: Context) -> Outcome:
        if self.op == "is_empty":  # as evaluate() decides it, without the result node
            raw = ctx.custom(self.field)
            empty = not raw if isinstance(raw, list | tuple) else _is_empty(_plain(raw))
            return TRUE if empty == self.operand else FALSE
        if self.op in _ORDER_WORDS:
            value = ctx.custom(self.field)
            if type(value) in (int, float):  # the usual case, decided without a result node
                limit, op = self.operand, self.op
                holds = (
                    value > limit
                    if op == "gt"
                    else value >= limit
                    if op == "gte"
                    else value < limit
                    if op == "lt"
                    else value <= limit
                )
                return TRUE if holds else FALSE
        return self.evaluate(ctx).outcome

    def evaluate(self, ctx: Context) -> Result:
        raw = ctx.custom(self.field)  # MissingField -> error node, by run()
        if isinstance(raw, list | tuple):
            value: Any = [_plain(v) for v in raw]
        else:
            value = _plain(raw)
        name, op = self.field, self.op
        empty = _is_empty(value)
        if op == "is_empty":
            if empty == self.operand:
                state = "empty" if empty else f"{_show(value)}"
                return self._result(TRUE, f"{name} is {state}", value)
            return self._result(
                FALSE,
                f"{name} is {'empty' if empty else _show(value)}, "
                f"{'not ' if self.operand else ''}empty",
                value,
            )
        if op in _ORDER_WORDS:
            return self._ordered(value, empty)
        if empty:
            outcome = TRUE if op in ("ne", "not_in") else FALSE
            return self._result(outcome, f"{name} is empty", value)
        if op in ("eq", "ne"):
            if isinstance(value, list):
                if len(value) != 1:
                    return self._result(
                        ERROR,
                        f"{name} holds several values {_show(value)}; "
                        f"use contains or in to test one of them",
                        value,
                    )
                value = value[0]
            same = _key(value) in self._keys
            if op == "eq":
                if same:
                    return self._result(TRUE, f"{name} is {_show(value)}", value)
                return self._result(FALSE, f"{name} is {_show(value)}, not {self._shown}", value)
            if same:
                return self._result(FALSE, f"{name} is {self._shown}", value)
            return self._result(TRUE, f"{name} is {_show(value)}, not {self._shown}", value)
        if op in ("in", "not_in"):
            items = value if isinstance(value, list) else [value]
            hits = [v for v in items if _key(v) in self._keys]
            shown = _show(value)
            if op == "in":
                if hits:
                    return self._result(TRUE, f"{name} is {shown}, in {self._shown}", value)
                return self._result(FALSE, f"{name} is {shown}, not in {self._shown}", value)
            if hits:
                return self._result(FALSE, f"{name} is {shown}, in {self._shown}", value)
            return self._result(TRUE, f"{name} is {shown}, not in {self._shown}", value)
        # contains
        if isinstance(value, list):
            if _key(self.operand) in {_key(v) for v in value}:
                return self._result(TRUE, f"{name} {_show(value)} contains {self._shown}", value)
            return self._result(
                FALSE, f"{name} {_show(value)} does not contain {self._shown}", value
            )
        if isinstance(value, str):
            needle = str(self.operand).casefold()
            if needle in value.casefold():
                return self._result(TRUE, f"{name} {_show(value)} contains {self._shown}", value)
            return self._result(
                FALSE, f"{name} {_show(value)} does not contain {self._shown}", value
            )
        return self._result(
            ERROR,
            f"{name} is {_show(value)}, neither text nor a list, so "
            f"'contains {self._shown}' cannot be decided",
            value,
        )

    def _ordered(self, value: Any, empty: bool) -> Result:
        name, words = self.field, _ORDER_WORDS[self.op]
        question = f"'{name} {words} {self._shown}'"
        if empty:
            return self._result(ERROR, f"{name} is empty, so {question} cannot be decided", value)
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if not _is_number(value):
            return self._result(
                ERROR,
                f"{name} is {_show(value)}, not a number, so {question} cannot be decided",
                value,
            )
        op, limit = self.op, self.operand
        holds = (
            value > limit
            if op == "gt"
            else value >= limit
            if op == "gte"
            else value < limit
            if op == "lt"
            else value <= limit
        )
        if holds:
            return self._result(TRUE, f"{name} is {_show(value)}, {words} {self._shown}", value)
        return self._result(FALSE, f"{name} is {_show(value)}, not {words} {self._shown}", value)


def parse(value: Any, at: Loc, parser: Parser) -> FieldCompare:
    """``value`` is the whole mapping ``{field: ..., <op>: ...}``."""
    spec: FieldSpec = parser.validate(FieldSpec, value, at)
    (op,) = spec.operators()
    operand = getattr(spec, "in_" if op == "in" else op)
    return FieldCompare(spec.field, op, operand)
