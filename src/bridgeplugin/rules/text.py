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
  ``case_sensitive: true``. They are compiled once, at load, together with the literal text a
  match cannot do without (``sso`` for ``\\bsso\\b``), which a substring test looks for
  first: most texts are ruled out without running the regex (see :func:`required_literals`).

Tokenising ASCII text uses ``str.translate`` + ``str.split`` (about 3x faster than a regex
``findall``); other text falls back to a regex with the same meaning.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .context import Context

__all__ = [
    "Regex",
    "SignalHit",
    "SignalSet",
    "TermError",
    "Terms",
    "TextView",
    "compile_regex",
    "describe_hit",
    "fmt_num",
    "required_literals",
    "show_list",
    "tokenize",
    "tokenize_lower",
]

# Every ASCII character that is not a letter or digit becomes a space: the same set as the
# regex [\W_] restricted to ASCII, so both paths of tokenize() agree.
_ASCII_TABLE = str.maketrans({chr(i): " " for i in range(128) if not chr(i).isalnum()})
# The same, lower-casing A-Z in the same pass (one scan of the text instead of two).
_ASCII_LOWER_TABLE = str.maketrans(
    {chr(i): (" " if not chr(i).isalnum() else chr(i).lower()) for i in range(128)}
)
_NON_WORD = re.compile(r"[\W_]+")


def tokenize(text: str) -> list[str]:
    """Split ``text`` into words: maximal runs of letters and digits. Case is kept."""
    if text.isascii():
        return text.translate(_ASCII_TABLE).split()
    return _NON_WORD.sub(" ", text).split()


def tokenize_lower(text: str) -> list[str]:
    """``tokenize(text.lower())``, faster for ASCII text."""
    if text.isascii():
        return text.translate(_ASCII_LOWER_TABLE).split()
    return _NON_WORD.sub(" ", text.lower()).split()


class TextView:
    """One field's text prepared for matching: lower-case tokens, their set, joined form.

    The lower-case forms are built eagerly (every text predicate needs them); the
    original-case forms only when a case-sensitive term or an ambiguous vendor asks.
    """

    __slots__ = (
        "_lower",
        "_norm",
        "_orig_norm",
        "_orig_set",
        "is_ascii",
        "raw",
        "token_set",
        "tokens",
    )

    def __init__(self, raw: str) -> None:
        self.raw = raw
        # tokenize_lower() inlined: this runs for every field of every issue
        self.is_ascii = raw.isascii()
        if self.is_ascii:
            self.tokens: list[str] = raw.translate(_ASCII_LOWER_TABLE).split()
        else:
            self.tokens = _NON_WORD.sub(" ", raw.lower()).split()
        self.token_set: frozenset[str] = frozenset(self.tokens)
        self._lower: str | None = None
        self._norm: str | None = None
        self._orig_set: frozenset[str] | None = None
        self._orig_norm: str | None = None

    @property
    def lower(self) -> str:
        """The raw text lower-cased (for regex pre-checks)."""
        if self._lower is None:
            self._lower = self.raw.lower()
        return self._lower

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
        single: dict[str, str] = {}
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
                single[tokens[0]] = term  # one term per word: duplicates were refused above
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
        self._order = {t: i for i, t in enumerate(self.terms)}

    def __bool__(self) -> bool:
        return bool(self.terms)

    def any(self, view: TextView) -> bool:
        """Whether any term occurs in ``view`` (``bool(find(view))``, without building a list)."""
        cs = self._case_sensitive
        token_set = view.orig_set if cs else view.token_set
        if not self._single_keys.isdisjoint(token_set):
            return True
        firsts = self._first_keys & token_set if self._first_keys else ()
        if firsts or self._always:
            norm = view.orig_norm if cs else view.norm
            for first in firsts:
                for needle, _term in self._by_first[first]:
                    if needle in norm:
                        return True
            for needle, _term in self._always:
                if needle in norm:
                    return True
        return False

    def find(self, view: TextView) -> list[str]:
        """The terms (as written in the rule) that occur in ``view``, in rule order."""
        cs = self._case_sensitive
        token_set = view.orig_set if cs else view.token_set
        # Plain loops rather than comprehensions: most texts match nothing, and this path then
        # allocates nothing.
        found: set[str] | None = None
        hits = self._single_keys & token_set
        if hits:
            single = self._single
            found = {single[token] for token in hits}
        firsts = self._first_keys & token_set
        if firsts or self._always:
            norm = view.orig_norm if cs else view.norm
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
        if len(found) == 1:
            return list(found)
        return sorted(found, key=self._order.__getitem__)


def compile_regex(pattern: str, *, case_sensitive: bool = False) -> re.Pattern[str]:
    """Compile a rule's regex (raises ``re.error``); case-insensitive unless asked otherwise."""
    return re.compile(pattern, 0 if case_sensitive else re.IGNORECASE)


def required_literals(pattern: str) -> tuple[tuple[str, ...], ...] | None:
    """Groups of texts that every match of ``pattern`` contains: at least one of each group.

    ``\\bsso\\b`` -> (("sso",),); ``\\b(api|sdk)s?\\b`` -> (("api", "sdk"),);
    ``\\b(give|grant) .{0,40}(access|admin)`` -> (("give", "grant"), ("access", "admin"));
    ``[a-z]+`` -> None (nothing is required).

    Python's regex engine only skips ahead fast when a pattern starts with a literal and is
    case-sensitive; a leading ``\\b`` or IGNORECASE makes it try every position (about 6 us
    for 450 characters, more with bounded gaps like ``.{0,40}``). Substring tests for what a
    match cannot do without cost a tenth of a microsecond each and rule most texts out before
    the regex runs. Built on the stdlib's own regex parser; any surprise from it (a private
    module) just means "no pre-check". At most the four most selective groups are kept.
    """
    try:
        from re import _constants as c
        from re import _parser as sre_parse

        parsed = sre_parse.parse(pattern)
    except Exception:  # private API or odd pattern: no pre-check, still correct
        return None

    def shortest(group: list[str]) -> int:
        return min(len(x) for x in group)

    def leading(items: Any) -> str:
        """The literal text an alternative starts with."""
        out = []
        for op, av in items:
            if op is c.LITERAL:
                out.append(chr(av))
            elif op is not c.AT:
                break
        return "".join(out)

    def required(items: Any) -> list[list[str]]:
        """Every group here is required (each group: one of its texts)."""
        groups: list[list[str]] = []
        run: list[str] = []
        for op, av in items:
            if op is c.LITERAL:
                run.append(chr(av))
                continue
            if op is c.AT:  # zero-width (\\b, ^): the literals around it stay adjacent
                continue
            if op is c.BRANCH and run:
                # The parser factors a shared prefix out of alternatives ("access|admin" is
                # "a" + "ccess|dmin"): put it back in front of each alternative's start.
                leads = [leading(alternative) for alternative in av[1]]
                if all(leads):
                    prefix = "".join(run)
                    groups.append([prefix + lead for lead in leads])
                    run = []
                    continue
            if run:
                groups.append(["".join(run)])
                run = []
            if op is c.SUBPATTERN:
                _group, add_flags, del_flags, sub = av
                if add_flags or del_flags:  # scoped flags change case rules: give up
                    raise _GiveUp
                groups.extend(required(sub))
            elif op is c.BRANCH:
                # One alternative matches, so one of the alternatives' (best) texts is present.
                chosen = []
                for alternative in av[1]:
                    options = required(alternative)
                    if not options:
                        break  # an alternative that needs nothing: the branch needs nothing
                    chosen.append(max(options, key=shortest))
                else:
                    groups.append([x for group in chosen for x in group])
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
                low, _high, sub = av
                if low >= 1:
                    groups.extend(required(sub))
        if run:
            groups.append(["".join(run)])
        return groups

    try:
        groups = required(parsed)
    except Exception:  # _GiveUp, or a parser shape not foreseen: no pre-check
        return None
    # One ASCII character is in nearly every text; a rare symbol ("→") is still worth a look.
    useful = [g for g in groups if all(len(x) >= 2 or not x.isascii() for x in g)]
    if not useful:
        return None
    useful.sort(key=shortest, reverse=True)  # longer texts are rarer: test them first
    out: list[tuple[str, ...]] = []
    for group in useful:
        unique = tuple(dict.fromkeys(group))
        if unique not in out:
            out.append(unique)
    return tuple(out[:4])


class _GiveUp(Exception):
    pass


class Regex:
    """A rule's compiled regex, with a substring pre-check when one is possible."""

    __slots__ = ("_insensitive", "_needles", "pattern", "source")

    def __init__(self, source: str, *, case_sensitive: bool = False) -> None:
        self.source = source
        self.pattern = compile_regex(source, case_sensitive=case_sensitive)  # re.error
        self._insensitive = bool(self.pattern.flags & re.IGNORECASE)
        groups = required_literals(source)
        if groups and self._insensitive:
            # Lower-casing the text is only equivalent to IGNORECASE for ASCII (and for
            # characters without case, like "→").
            if all(n.isascii() or n.lower() == n.upper() for group in groups for n in group):
                groups = tuple(tuple(n.lower() for n in group) for group in groups)
            else:
                groups = None
        self._needles = groups

    def search(self, view: TextView) -> bool:
        needles = self._needles
        if needles is not None:
            if not self._insensitive:
                hay: str | None = view.raw
            elif view.is_ascii:
                hay = view.lower
            else:
                hay = None  # non-ASCII case folding has surprises (long s matches s): just search
            if hay is not None:
                for group in needles:  # every group needs one of its texts in the text
                    for needle in group:
                        if needle in hay:
                            break
                    else:
                        return False
        return self.pattern.search(view.raw) is not None

    def __repr__(self) -> str:
        return f"Regex({self.source!r})"


def fmt_num(x: float) -> str:
    """2.0 -> "2", 2.5 -> "2.5": weights and thresholds read as people wrote them."""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def show_list(items: Sequence[object], limit: int = 6) -> str:
    """``[a, b, c]``, shortened to ``[a, b, … 12 more]`` so a reason stays one line."""
    shown = [str(i) for i in items[:limit]]
    if len(items) > limit:
        shown.append(f"… {len(items) - limit} more")
    return "[" + ", ".join(shown) + "]"


# One signal that matched: (kind, signal, weight, field). kind is "keyword", "phrase", "regex"
# or "vendor"; signal is the term, the regex source or the vendor name. A plain tuple because
# a handful are built per issue on the hot path.
SignalHit = tuple[str, str, float, str]


def describe_hit(hit: SignalHit) -> str:
    """``keyword 'pixel' (+3, summary)``."""
    kind, signal, weight, field = hit
    sign = "+" if weight >= 0 else "-"
    return f"{kind} {signal!r} ({sign}{fmt_num(abs(weight))}, {field})"


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
        regexes: Sequence[tuple[Regex, float]],
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
        weights = [*words.values(), *(w for _, w in regexes), vendor_weight or 0]
        self.has_negative = any(w < 0 for w in weights)

    def score(self, ctx: Context) -> tuple[float, tuple[SignalHit, ...], tuple[str, ...]]:
        """(score, the signals that matched, fields that were not on the issue)."""
        hits: list[SignalHit] = []
        seen: set[str] = set()
        missing: list[str] = []
        total = 0.0
        vendor_hit = self.vendor_weight is None
        terms, weights = self._terms, self._weights
        for field in self.fields:
            view = ctx.text_or_none(field)
            if view is None:
                missing.append(field)
                continue
            if terms:
                for term in terms.find(view):
                    if term not in seen:
                        seen.add(term)
                        kind, weight = weights[term]
                        total += weight
                        hits.append((kind, term, weight, field))
            for rx, weight in self._regexes:
                if rx.source not in seen and rx.search(view):
                    seen.add(rx.source)
                    total += weight
                    hits.append(("regex", rx.source, weight, field))
            if not vendor_hit:
                for match in ctx.vendor_matches(field):
                    cats = self.vendor_categories
                    if cats is None or match.category.lower() in cats:
                        vendor_hit = True
                        weight = self.vendor_weight or 0.0
                        total += weight
                        hits.append(("vendor", match.vendor, weight, field))
                        break
        return total, tuple(hits), tuple(missing)
