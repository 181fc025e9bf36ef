"""``vendor: {categories, segments, in}``: the text mentions a vendor from the catalog.

True when a vendor of the catalog (``rules/vendors.yaml``; of one of ``categories`` /
``segments`` if given, compared case-insensitively) is named in one of the fields in ``in``
(default ``[summary, description]``). Matching rules, aliases and ambiguous names: see
:mod:`bridgeplugin.rules.vendors`. Categories and segments are checked against the catalog at
load, so a misspelt category is an error, not a rule that never fires.

The true node's ``values`` carry ``vendor``, ``alias``, ``category``, ``segment`` and
``field``; ``then: {category_from: vendor}`` reads the category from there.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..context import Context, FieldNames
from ..result import ERROR, FALSE, TRUE, Outcome, Result
from ..schema import VendorPredicateSpec
from ..text import show_list
from .base import Predicate
from .text import where_text

if TYPE_CHECKING:
    from ..parse import Parser
    from ..source import Loc

KEY = "vendor"


class VendorMentioned(Predicate):
    __slots__ = ("_what", "categories", "fields", "segments")
    key = KEY

    def __init__(
        self, fields: list[str], categories: list[str] | None, segments: list[str] | None
    ) -> None:
        self.fields = tuple(fields)
        self.categories = frozenset(c.lower() for c in categories) if categories else None
        self.segments = frozenset(s.lower() for s in segments) if segments else None
        what = "catalog vendor"
        if categories:
            what += f" of category {show_list(categories)}"
        if segments:
            what += f"{' and' if categories else ' of'} segment {show_list(segments)}"
        self._what = f"{what} in {where_text(self.fields)}"

    def _wanted(self, category: str, segment: str | None) -> bool:
        if self.categories is not None and category.lower() not in self.categories:
            return False
        return self.segments is None or (segment or "").lower() in self.segments

    def test(self, ctx: Context) -> Outcome:
        if ctx.vendors is None:
            return ERROR
        missing = False
        unfiltered = self.categories is None and self.segments is None
        for field in self.fields:
            if ctx.text_or_none(field) is None:
                missing = True
                continue
            for m in ctx.vendor_matches(field):
                if unfiltered or self._wanted(m.category, m.segment):
                    return TRUE
        return ERROR if missing else FALSE

    def evaluate(self, ctx: Context) -> Result:
        if ctx.vendors is None:
            return Result(KEY, ERROR, "no vendor catalog was given to the evaluation")
        missing: list[str] = []
        others: list[str] = []
        for field in self.fields:
            if ctx.text_or_none(field) is None:
                missing.append(field)
                continue
            for m in ctx.vendor_matches(field):
                if self._wanted(m.category, m.segment):
                    return Result(
                        KEY,
                        TRUE,
                        lambda f=field, m=m: f"{f} mentions {m.describe()}",
                        values={
                            "vendor": m.vendor,
                            "alias": m.alias,
                            "category": m.category,
                            "segment": m.segment,
                            "field": field,
                        },
                    )
                others.append(m)
        if missing:
            gone = ", ".join(repr(m) for m in missing)
            return Result(
                KEY,
                ERROR,
                f"no {self._what}, and field {gone} is not on the issue (not loaded, or no such "
                "field)",
            )
        if others:
            return Result(
                KEY,
                FALSE,
                lambda: f"no {self._what} (mentions {', '.join(m.describe() for m in others)})",
            )
        return Result(KEY, FALSE, f"no {self._what}")

    def names(self, fields: FieldNames) -> Iterator[tuple[str, str]]:
        for f in self.fields:
            if f not in ("summary", "description"):
                yield "fields", f


def parse(value: Any, at: Loc, parser: Parser) -> VendorMentioned:
    spec: VendorPredicateSpec = parser.validate(VendorPredicateSpec, value, at)
    catalog = parser.catalog(at)
    if spec.categories:
        parser.check_known(spec.categories, catalog.categories, (*at, "categories"), "category")
    if spec.segments:
        parser.check_known(spec.segments, catalog.segments, (*at, "segments"), "segment")
    return VendorMentioned(list(spec.in_), spec.categories, spec.segments)
