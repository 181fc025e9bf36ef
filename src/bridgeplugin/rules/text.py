"""Text matching: tokenisation, whole-word keywords and phrases, regexes, weighted signals.

Everything here is split into a *load-time* half (compile the rule's terms into sets and
needles) and an *evaluation-time* half that is a handful of C-level set and substring
operations per field, because text predicates run on every issue:

- A text is tokenised once per field per issue (:class:`TextView`, cached in the evaluation
  ``Context``): lower-cased, split on every character that is not a letter or digit. Tokens are
  therefore words, and matching tokens gives word boundaries for free: ``api`` does not match
  "rapid", ``tag manager`` matches "Tag-Manager" and "tag  manager".
- A keyword or phrase is tokenised the same way. A one-token term is looked up in the text's
  token set; a longer one is looked up by its first token and confirmed with a substring test
  of ``" tag manager "`` against the space-joined tokens ``" we use tag manager now "``.
- A trailing ``*`` makes the last word a prefix: ``integrat*`` matches "integration" and
  "integrating"; ``api key*`` matches "API keys".
- Regexes run on the original text (not the tokens), case-insensitively unless the rule says
  ``case_sensitive: true``. They are compiled once, at load.

Tokenising ASCII text uses ``str.translate`` + ``str.split`` (about 3x faster than a regex
``findall``); other text falls back to a regex with the same meaning.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .context import Context

__all__ = [
    "SignalHit",
    "SignalSet",
    "TermError",
    "Terms",
    "TextView",
    "compile_regex",
    "fmt_num",
    "show_list",
    "tokenize",
]

# Every ASCII character that is not a letter or digit becomes a space: the same set as the
# regex [\W_] restricted to ASCII, so both paths of tokenize() agree.
_ASCII_TABLE = str.maketrans({chr(i): " " for i in range(128) if not chr(i).isalnum()})
_NON_WORD = re.compile(r"[\W_]+")


def tokenize(text: str) -> list[str]:
    """Split ``text`` into words: maximal runs of letters and digits. Case is kept."""
    if text.isascii():
        return text.translate(_ASCII_TABLE).split()
    return _NON_WORD.sub(" ", text).split()


class TextView:
    """One field's text prepared for matching: lower-case tokens, their set, joined form.

    The lower-case forms are built eagerly (every text predicate needs them); the
    original-case forms only when a case-sensitive term or an ambiguous vendor asks.
    """

    __slots__ = ("_norm", "_orig_norm", "_orig_set", "raw", "token_set", "tokens")

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.tokens: list[str] = tokenize(raw.lower())
        self.token_set: frozenset[str] = frozenset(self.tokens)
        self._norm: str | None = None
        self._orig_set: frozenset[str] | None = None
        self._orig_norm: str | None = None

    @property
    def norm(self) -> str:
        """Lower-case tokens joined by single spaces, padded: ``" a b c "``."""
        if self._norm is None:
            self._norm = " " + " ".join(self.tokens) + " "
        return self._norm

    def _orig(self) -> None:
        tokens = tokenize(self.raw)
        self._orig_set = frozenset(tokens)
        self._orig_norm = " " + " ".join(tokens) + " "

    @property
    def orig_set(self) -> frozenset[str]:
        if self._orig_set is None:
            self._orig()
        return self._orig_set  # type: ignore[return-value]

    @property
    def orig_norm(self) -> str:
        if self._orig_norm is None:
            self._orig()
        return self._orig_norm  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"TextView({self.raw[:40]!r})"


class TermError(ValueError):
    """A keyword or phrase cannot be matched as written; ``index`` is its place in the list."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(message)
        self.index = index


class Terms:
    """A fixed list of keywords/phrases compiled for whole-word matching (see module doc)."""

    __slots__ = (
        "_always",
        "_by_first",
        "_case_sensitive",
        "_first_keys",
        "_order",
        "_single",
        "_single_keys",
        "terms",
    )

    def __init__(self, terms: Sequence[str], *, case_sensitive: bool = False) -> None:
        self.terms: tuple[str, ...] = tuple(terms)
        self._case_sensitive = case_sensitive
        single: dict[str, list[str]] = {}
        by_first: dict[str, list[tuple[str, str]]] = {}
        always: list[tuple[str, str]] = []
        seen: dict[str, str] = {}
        for index, term in enumerate(self.terms):
            prefix = term.endswith("*")
            body = term[:-1] if prefix else term
            if "*" in body:
                raise TermError(index, f"{term!r}: only a trailing * (a word prefix) is supported")
            tokens = tokenize(body if case_sensitive else body.lower())
            if not tokens:
                raise TermError(index, f"{term!r} has no letters or digits to match")
            needle = " " + " ".join(tokens) + ("" if prefix else " ")
            if needle in seen:
                raise TermError(index, f"{term!r} matches the same words as {seen[needle]!r}")
            seen[needle] = term
            if not prefix and len(tokens) == 1:
                single.setdefault(tokens[0], []).append(term)
            elif prefix and len(tokens) == 1:
                # The first token is itself a prefix, so no token-set lookup can find it.
                always.append((needle, term))
            else:
                by_first.setdefault(tokens[0], []).append((needle, term))
        self._single = single
        self._single_keys = frozenset(single)
        self._by_first = by_first
        self._first_keys = frozenset(by_first)
        self._always = tuple(always)
        self._order = self.terms

    def __bool__(self) -> bool:
        return bool(self.terms)

    def find(self, view: TextView) -> list[str]:
        """The terms (as written in the rule) that occur in ``view``, in rule order."""
        if self._case_sensitive:
            token_set, norm_of = view.orig_set, _orig_norm
        else:
            token_set, norm_of = view.token_set, _norm
        found: set[str] | None = None
        hits = self._single_keys & token_set
        if hits:
            found = set()
            for token in hits:
                found.update(self._single[token])
        firsts = self._first_keys & token_set
        if firsts or self._always:
            norm = norm_of(view)
            for first in firsts:
                for needle, term in self._by_first[first]:
                    if needle in norm:
                        if found is None:
                            found = set()
                        found.add(term)
            for needle, term in self._always:
                if needle in norm:
                    if found is None:
                        found = set()
                    found.add(term)
        if not found:
            return []
        return [t for t in self._order if t in found]


def _norm(view: TextView) -> str:
    return view.norm


def _orig_norm(view: TextView) -> str:
    return view.orig_norm


def compile_regex(pattern: str, *, case_sensitive: bool = False) -> re.Pattern[str]:
    """Compile a rule's regex (raises ``re.error``); case-insensitive unless asked otherwise."""
    return re.compile(pattern, 0 if case_sensitive else re.IGNORECASE)


def fmt_num(x: float) -> str:
    """2.0 -> "2", 2.5 -> "2.5": weights and thresholds read as people wrote them."""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def show_list(items: Sequence[object], limit: int = 6) -> str:
    """``[a, b, c]``, shortened to ``[a, b, … 12 more]`` so a reason stays one line."""
    shown = [str(i) for i in items[:limit]]
    if len(items) > limit:
        shown.append(f"… {len(items) - limit} more")
    return "[" + ", ".join(shown) + "]"


@dataclass(frozen=True, slots=True)
class SignalHit:
    """One signal that matched: its kind, what it is, its weight and the field it was found in."""

    kind: str  # "keyword", "phrase", "regex" or "vendor"
    signal: str
    weight: float
    field: str

    def describe(self) -> str:
        sign = "+" if self.weight >= 0 else "-"
        return f"{self.kind} {self.signal!r} ({sign}{fmt_num(abs(self.weight))}, {self.field})"


class SignalSet:
    """A named set of weighted signals with a threshold (top-level ``signals:`` in a rule file).

    Each signal counts once however often and in however many fields it occurs; the score is
    the sum of the weights of the signals that occur. Vendor signals add ``vendor_weight`` once
    if any catalog vendor (of the listed categories, if any) is mentioned.
    """

    __slots__ = (
        "_regexes",
        "_terms",
        "_weights",
        "description",
        "fields",
        "has_negative",
        "name",
        "threshold",
        "vendor_categories",
        "vendor_weight",
    )

    def __init__(
        self,
        name: str,
        *,
        threshold: float,
        fields: Sequence[str],
        keywords: Mapping[str, float],
        phrases: Mapping[str, float],
        regexes: Sequence[tuple[str, re.Pattern[str], float]],
        vendor_weight: float | None = None,
        vendor_categories: frozenset[str] | None = None,
        case_sensitive: bool = False,
        description: str | None = None,
    ) -> None:
        self.name = name
        self.description = description
        self.threshold = threshold
        self.fields = tuple(fields)
        words = {**keywords, **phrases}
        self._weights: dict[str, tuple[str, float]] = {
            **{k: ("keyword", w) for k, w in keywords.items()},
            **{p: ("phrase", w) for p, w in phrases.items()},
        }
        self._terms = Terms(list(words), case_sensitive=case_sensitive)
        self._regexes = tuple(regexes)
        self.vendor_weight = vendor_weight
        self.vendor_categories = vendor_categories
        weights = [*words.values(), *(w for _, _, w in regexes), vendor_weight or 0]
        self.has_negative = any(w < 0 for w in weights)

    def score(self, ctx: Context) -> tuple[float, tuple[SignalHit, ...], tuple[str, ...]]:
        """(score, the signals that matched, fields that were not on the issue)."""
        hits: list[SignalHit] = []
        seen: set[str] = set()
        missing: list[str] = []
        vendor_hit = self.vendor_weight is None
        for field in self.fields:
            view = ctx.text_or_none(field)
            if view is None:
                missing.append(field)
                continue
            if self._terms:
                for term in self._terms.find(view):
                    if term not in seen:
                        seen.add(term)
                        kind, weight = self._weights[term]
                        hits.append(SignalHit(kind, term, weight, field))
            for source, rx, weight in self._regexes:
                if source not in seen and rx.search(view.raw) is not None:
                    seen.add(source)
                    hits.append(SignalHit("regex", source, weight, field))
            if not vendor_hit:
                for match in ctx.vendor_matches(field):
                    cats = self.vendor_categories
                    if cats is None or match.category.lower() in cats:
                        vendor_hit = True
                        hits.append(
                            SignalHit("vendor", match.vendor, self.vendor_weight or 0.0, field)
                        )
                        break
        return sum(h.weight for h in hits), tuple(hits), tuple(missing)
