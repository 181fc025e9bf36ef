"""``text: {keywords, phrases, regex, in, case_sensitive}``: the text mentions something.

True when any keyword, phrase or regex occurs in any of the fields in ``in`` (default
``[summary, description]``; any other name is a custom field). Keywords are single words
(a trailing ``*`` makes a prefix: ``integrat*``), phrases are several words; both match whole
words, case-insensitively, across any punctuation or spacing ("Tag-Manager" matches
``tag manager``). Regexes run on the raw text, case-insensitively unless ``case_sensitive``.
See :mod:`bridgeplugin.rules.text` for how.

Fields are searched in the order given and the search stops at the first field that matches,
so the reason names where it was found ("summary mentions 'pixel'"). A custom field that is
not on the issue makes a non-match an ``error`` (it might have matched there).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..context import Context, FieldNames
from ..result import ERROR, FALSE, TRUE, Outcome, Result
from ..schema import TextSpec
from ..text import Regex, Terms, show_list
from .base import Predicate

if TYPE_CHECKING:
    from ..parse import Parser
    from ..source import Loc

KEY = "text"

# Left in ``ctx.memo`` by ``rules.evaluate``, whose text index decided every text predicate of
# the rule set: (the predicates' bits by id, the mask of the true ones, of the errors).
# A predicate found false there explains itself without searching the text again.
DECIDED = object()


def where_text(fields: tuple[str, ...]) -> str:
    """``summary or description`` / ``summary, description or Justification``."""
    if len(fields) == 1:
        return fields[0]
    return ", ".join(fields[:-1]) + " or " + fields[-1]


class TextMatch(Predicate):
    __slots__ = ("_kinds", "_miss_reason", "fields", "regexes", "terms")
    key = KEY

    def __init__(
        self,
        fields: list[str],
        keywords: list[str],
        phrases: list[str],
        regexes: list[Regex],
        terms: Terms,
    ) -> None:
        self.fields = tuple(fields)
        self.terms = terms
        self.regexes = tuple(regexes)
        self._kinds = {**{k: "keyword" for k in keywords}, **{p: "phrase" for p in phrases}}
        wanted = []
        if keywords:
            wanted.append(f"keyword of {show_list(keywords)}")
        if phrases:
            wanted.append(f"phrase of {show_list(phrases)}")
        if regexes:
            wanted.append(f"regex of {show_list([f'/{r.source}/' for r in regexes])}")
        joined = wanted[0] if len(wanted) == 1 else ", ".join(wanted[:-1]) + " or " + wanted[-1]
        self._miss_reason = f"no {joined} in {where_text(self.fields)}"

    def test(self, ctx: Context) -> Outcome:
        missing = False
        terms = self.terms if self.terms.terms else None  # tested once, not per field
        regexes = self.regexes
        for field in self.fields:
            view = ctx.text_or_none(field)
            if view is None:
                missing = True
                continue
            if terms is not None and terms.any(view):
                return TRUE
            for rx in regexes:
                if rx.search(view):
                    return TRUE
        return ERROR if missing else FALSE

    def evaluate(self, ctx: Context) -> Result:
        decided = ctx.memo.get(DECIDED)
        if decided is not None:
            bit = decided[0].get(id(self))
            if bit is not None and not (decided[1] | decided[2]) & bit:
                return Result(KEY, FALSE, self._miss_reason)  # as below: no match, none missing
        missing: list[str] = []
        for field in self.fields:
            view = ctx.text_or_none(field)
            if view is None:
                missing.append(field)
                continue
            found = self.terms.find(view) if self.terms else []
            rx_hits = [rx.source for rx in self.regexes if rx.search(view)] if self.regexes else []
            if found or rx_hits:
                return Result(
                    KEY,
                    TRUE,
                    # bind the loop's values now: the reason may be read after the loop moved on
                    lambda f=field, t=found, r=rx_hits: self._found_reason(f, t, r),
                    values={"field": field, "terms": found, "regex": rx_hits},
                )
        if missing:
            gone = ", ".join(repr(m) for m in missing)
            return Result(
                KEY,
                ERROR,
                f"{self._miss_reason}, and field {gone} is not on the "
                "issue (not loaded, or no such field)",
                values={"missing": missing},
            )
        return Result(KEY, FALSE, self._miss_reason)

    def _found_reason(self, field: str, found: list[str], rx_hits: list[str]) -> str:
        what = ", ".join([repr(t) for t in found] + [f"/{s}/" for s in rx_hits])
        if len(found) == 1 and not rx_hits:
            what = f"{self._kinds[found[0]]} {what}"
        return f"{field} mentions {what}"

    def names(self, fields: FieldNames) -> Iterator[tuple[str, str]]:
        for f in self.fields:
            if f not in ("summary", "description"):
                yield "fields", f


def parse(value: Any, at: Loc, parser: Parser) -> TextMatch:
    spec: TextSpec = parser.validate(TextSpec, value, at)
    parser.check_keywords(spec.keywords, (*at, "keywords"))
    terms = parser.terms(
        [*spec.keywords, *spec.phrases],
        [
            *((*at, "keywords", i) for i in range(len(spec.keywords))),
            *((*at, "phrases", i) for i in range(len(spec.phrases))),
        ],
        case_sensitive=spec.case_sensitive,
    )
    regexes = [
        parser.regex(src, (*at, "regex", i), case_sensitive=spec.case_sensitive)
        for i, src in enumerate(spec.regex)
    ]
    return TextMatch(list(spec.in_), spec.keywords, spec.phrases, regexes, terms)
