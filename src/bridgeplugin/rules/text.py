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
from collections.abc import Iterable, Mapping, Sequence
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .context import Context

__all__ = [
    "Regex",
    "SignalHit",
    "SignalSet",
    "TermError",
    "Terms",
    "TextIndex",
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
# The same as bytes (translating ASCII bytes is about twice as fast as translating a str).
_ASCII_LOWER_BYTES = bytes(
    (ord(chr(i).lower()) if chr(i).isalnum() else 32) if i < 128 else i for i in range(256)
)


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
            self.tokens: list[str] = (
                raw.encode("ascii").translate(_ASCII_LOWER_BYTES).decode("ascii").split()
            )
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
                if add_flags or del_flags:
                    # Scoped flags change the case rules inside: that part requires nothing
                    # here, the rest of the pattern still does ("(?-i:[A-Z])\w* -> ...").
                    continue
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


# Checks left by TextIndex.scan: per field read, (its index, (entry, check) pairs).
Pending = list[tuple["_FieldIndex", list[tuple[int, "Regex | None"]]]]

# A word's triggers are cached per field index; a site's vocabulary is finite, but ids and
# numbers are not, so the cache is emptied when it grows past this many words.
_TRIGGER_CACHE_LIMIT = 100_000
_ALNUM_RUN = re.compile(r"[a-z0-9]+")
_NON_LETTERS = re.compile(r"[^a-zA-Z]+")


class TextIndex:
    """Many text matchers over the same fields, decided together in one pass over the words.

    Built once per rule set from entries ``(fields, terms, regexes)``; entry ``i`` is bit
    ``1 << i`` of the masks :meth:`scan` returns. Each entry means what a ``text:`` predicate
    means: true when one of its terms or regexes occurs in one of its fields, an error when
    not and one of its fields is missing from the issue.

    Per field, what each word of a text implies is worked out once per distinct word and
    cached: the entries it makes true (a one-word term, or a word that a one-word prefix term
    like ``integrat*`` starts), the phrases it is the rarest word of, and which literal groups
    of the regexes it contains (see :func:`required_literals`). Scanning a text is then a set
    intersection with the words that imply anything, a few lookups, and the exact checks of
    the phrases (``" tag manager "`` in the joined words) and regexes (``Regex.search``) all of
    whose conditions hold, skipping entries already true. Entries the index cannot reason
    about (case-sensitive terms or regexes, regexes without a pre-check, regexes on non-ASCII
    text) are confirmed with their own :meth:`Terms.any` and :meth:`Regex.search`.
    """

    __slots__ = ("_fields", "size")

    def __init__(self, entries: Sequence[tuple[Sequence[str], Terms | None, Sequence[Regex]]]):
        self.size = len(entries)
        by_field: dict[str, _FieldIndex] = {}
        for i, (fields, terms, regexes) in enumerate(entries):
            for name in dict.fromkeys(fields):
                if name not in by_field:
                    by_field[name] = _FieldIndex(self.size, name)
                by_field[name].add(i, terms, tuple(regexes))
        self._fields = tuple(by_field.items())

    def scan(self, ctx: Context) -> tuple[int, int, int, Pending | None]:
        """``(true, missing, unresolved, pending)`` for the issue of ``ctx``.

        ``missing``: a field the entry reads is not on the issue, so an entry in ``missing``
        but not in ``true`` (nor confirmed) is an error. ``unresolved``: a field's text could
        not be built (a value ``str()`` fails on); such entries are left to the caller (the
        predicate's own ``test`` decides them exactly). ``pending``: the exact checks (regexes,
        phrases the words cannot settle) of entries the words say may be true, run by
        :meth:`confirm` for the entries a caller needs (``None``: there are none).
        """
        true = missing = unresolved = 0
        pending = None
        for name, index in self._fields:
            try:
                view = ctx.text_or_none(name)
            except Exception:  # not MissingField (that is None): leave it to the predicate
                unresolved |= index.bits
                continue
            if view is None:
                missing |= index.bits
                continue
            sure, maybe = index.triggers(view)
            true |= sure
            if maybe:
                if pending is None:
                    pending = []
                # (the field, not its text: a context may drop its texts and build them again)
                pending.append((index, maybe))
        return true, missing, unresolved, pending

    @staticmethod
    def waiting(pending: Pending) -> int:
        """The entries with a check in ``pending``."""
        bits = 0
        for _index, maybe in pending:
            for bit, _check in maybe:
                bits |= bit
        return bits

    @staticmethod
    def confirm(ctx: Context, pending: Pending, mask: int) -> int:
        """The entries of ``mask`` whose checks in ``pending`` (left by ``scan(ctx)``) match,
        each run once here."""
        true = 0
        for index, maybe in pending:
            view = None
            for bit, check in maybe:
                if not mask & bit or true & bit:
                    continue
                if view is None:
                    view = ctx.text(index.name)  # built by the scan (or again, the same)
                if check is None:  # the entry's own matchers
                    terms, regexes = index.checks[bit.bit_length() - 1]
                    if (terms is not None and terms.any(view)) or any(
                        rx.search(view) for rx in regexes
                    ):
                        true |= bit
                elif check.search(view):  # a regex
                    true |= bit
        return true


# Literals shorter than this (after the discount for common words) are in nearly every text:
# a regex group made of such ("it", "to", "pr") filters nothing and is not a condition.
_USEFUL_LITERAL = 3
# A run of letters/digits in a literal, by (a separator precedes it, one follows it): what a
# word of the text containing it must look like.
_GATE_KIND = {
    (True, True): "eq",
    (False, True): "suffix",
    (True, False): "prefix",
    (False, False): "sub",
}
# Words too common to pick a phrase by ("the" in "the copy"): its other words are rarer.
_COMMON_WORDS = frozenset(
    {"a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "i", "in"}
    | {"is", "it", "its", "my", "of", "on", "or", "our", "that", "the", "this", "to", "was"}
    | {"we", "with", "you", "your"}
)


class _FieldIndex:
    """The entries reading one field, by word (see :class:`TextIndex`).

    A word's cached implications are ``(true, met, phrases)``: the entries it makes true by
    itself; the *conditions* it meets, one bit per literal group of a regex (some word
    contains one of the group's literals, i.e. its longest run of letters and digits; a
    literal without any, like ``->``, is looked for in the text itself); and the phrases it
    is the rarest word of, as ``(needle, entry)``. A regex is tried when every condition of
    it is met; it is found under the bit of its rarest condition.
    """

    __slots__ = (
        "_always",
        "_cond",
        "_eq",
        "_hot",
        "_hot_words",
        "_known",
        "_mask",
        "_nonascii",
        "_phrase_words",
        "_phrases",
        "_prefix",
        "_raw",
        "_raw_always",
        "_raw_gated",
        "_raw_gates",
        "_regex_keys",
        "_regexes",
        "_sub",
        "_suffix",
        "_sure_prefix",
        "_sure_word",
        "_unfiltered",
        "bits",
        "checks",
        "name",
        "size",
    )

    def __init__(self, size: int, name: str) -> None:
        self.name = name  # the field
        self.size = size  # entries in the index
        self._mask = (1 << size) - 1
        self.bits = 0  # the entries reading this field
        self.checks: dict[int, tuple[Terms | None, tuple[Regex, ...]]] = {}
        self._sure_word: dict[str, int] = {}  # word -> entries it makes true
        self._sure_prefix: dict[str, int] = {}  # word prefix -> entries it makes true
        self._phrases: dict[str, list[tuple[str, int]]] = {}  # rarest word -> (needle, entry)
        self._phrase_words: frozenset[str] = frozenset()
        # Regex conditions, one bit each (equal ones shared): letters/digits inside a word,
        # or a literal in the lower-cased text.
        self._cond: dict[tuple[tuple[str, str], ...], int] = {}
        self._sub: dict[str, int] = {}
        self._raw: dict[str, int] = {}
        self._eq: dict[str, int] = {}  # a word is ... (gates of the literals in _raw)
        self._prefix: dict[str, int] = {}  # a word starts with ...
        self._suffix: dict[str, int] = {}  # a word ends with ...
        # Literals looked for in the text, (literal, conditions, has letters): behind a *gate*
        # (its longest run of letters/digits is in a word: "am" for "i am"), or always.
        self._raw_gated: dict[int, list[tuple[str, int, bool, int]]] = {}
        self._raw_gates = 0
        self._raw_always: tuple[tuple[str, int, str | None], ...] = ()  # (literal, bits, probe)
        # Regexes by the bit of their rarest condition: (all their conditions, entry, regex)
        self._regexes: dict[int, list[tuple[int, int, Regex]]] = {}
        self._regex_keys = 0
        self._always: list[tuple[int, None]] = []  # entries always confirmed (by themselves)
        self._unfiltered: list[tuple[int, Regex]] = []  # regexes tried on every ASCII text
        self._nonascii: list[tuple[int, Regex]] = []  # IGNORECASE regexes on non-ASCII text
        self._known: set[str] = set()  # words seen
        self._hot: dict[str, int] = {}  # word -> entries it makes true | conditions << size
        self._hot_words: set[str] = set()  # the words that imply something (keys of _hot)

    def _condition(self, options: tuple[tuple[str, str], ...]) -> int:
        """The bit of the condition "one of ``options``" (kind, literal)."""
        options = tuple(sorted(set(options)))
        bit = self._cond.get(options)
        if bit is None:
            bit = self._cond[options] = 1 << len(self._cond)
            for kind, literal in options:
                table = getattr(self, "_" + kind)
                table[literal] = table.get(literal, 0) | bit
            if any(kind == "raw" for kind, _literal in options):
                self._gate_raw()
        return bit

    def _gate_raw(self) -> None:
        """Index the literals looked for in the text by the words they need: in "we are",
        a word ends with "we" and the next starts with "are"; in "as agreed with", "agreed"
        is a word. A literal is looked for when all of those hold (runs of one letter are
        not worth it)."""
        gated: dict[int, list[tuple[str, int, bool, int]]] = {}
        always = []
        for needle, bits in self._raw.items():
            if not needle.isascii():
                continue  # IGNORECASE literals are searched for on ASCII text only
            cased = needle.lower() != needle.upper()
            gates = []
            for run in _ALNUM_RUN.finditer(needle):
                word = run.group()
                if len(word) < 2:
                    continue
                after = run.end() < len(needle)  # a separator follows: the word ends here
                before = run.start() > 0  # a separator precedes: the word starts here
                kind = _GATE_KIND[before, after]
                rarity = len(word) + (4 if kind == "eq" else 0) - (word in _COMMON_WORDS)
                gates.append((self._condition(((kind, word),)), rarity))
            if gates:
                key = max(gates, key=lambda g: g[1])[0]
                gated.setdefault(key, []).append((needle, bits, cased, sum({g for g, _ in gates})))
            else:
                # Probed first in the text as it is, with what is not a letter in it (the
                # "'" of "i'm"): lower-casing changes only letters.
                probe = max(_NON_LETTERS.findall(needle), key=len, default="")
                always.append((needle, bits, needle if probe == needle else probe or None))
        self._raw_gated = gated  # type: ignore[assignment]
        self._raw_gates = sum(gated)
        self._raw_always = tuple(always)

    def add(self, i: int, terms: Terms | None, regexes: tuple[Regex, ...]) -> None:
        bit = 1 << i
        self.bits |= bit
        self.checks[i] = (terms if terms else None, regexes)
        if terms:
            if terms._case_sensitive:
                self._always.append((bit, None))
            else:
                for word in terms._single:
                    self._sure_word[word] = self._sure_word.get(word, 0) | bit
                for needle, _term in terms._always:  # " integrat": a word starts with it
                    prefix = needle[1:]
                    self._sure_prefix[prefix] = self._sure_prefix.get(prefix, 0) | bit
                for phrases in terms._by_first.values():
                    for needle, _term in phrases:  # " tag manager " / " api key"
                        words = needle.split()
                        if not needle.endswith(" "):
                            words.pop()  # the last word is a prefix: not a word to look up
                        key = max(words, key=lambda w: (w not in _COMMON_WORDS, len(w)))
                        self._phrases.setdefault(key, []).append((needle, bit))
                        self._phrase_words = frozenset(self._phrases)
        for rx in regexes:
            groups = rx._needles
            if groups is None or not rx._insensitive:
                self._always.append((bit, None))
                continue
            self._nonascii.append((bit, rx))
            candidates = []
            for group in groups:
                options: list[tuple[str, str]] = []
                rarity = []
                for needle in group:
                    runs = _ALNUM_RUN.findall(needle)
                    sub = max(runs, key=len) if runs else ""
                    useful = len(sub) >= _USEFUL_LITERAL and sub not in _COMMON_WORDS
                    if useful or sub == needle:
                        options.append(("sub", sub))
                        rarity.append(len(sub) - (sub in _COMMON_WORDS))
                    else:  # "->", "i'm", "we are": looked for in the text itself
                        options.append(("raw", needle))
                        rarity.append(max(len(needle), _USEFUL_LITERAL))
                # One of "->" and "<->" is there whenever "<->" is: the longer needs no look.
                options = [
                    (kind, x)
                    for kind, x in options
                    if not any(k == kind and y != x and y in x for k, y in options)
                ]
                if min(rarity) >= _USEFUL_LITERAL:
                    raw = any(kind == "raw" for kind, _x in options)
                    candidates.append((tuple(options), min(rarity), raw))
            # Literals looked for in the text cost a search each time: only when the words
            # of the text cannot rule the regex out.
            if any(not raw for _o, _r, raw in candidates):
                candidates = [c for c in candidates if not c[2]]
            conditions = [(self._condition(options), rarity) for options, rarity, _ in candidates]
            if not conditions:  # only literals in nearly every text: try it every time
                self._unfiltered.append((bit, rx))
                continue
            key = max(conditions, key=lambda c: c[1])[0]
            self._regex_keys |= key
            needed = sum({c for c, _ in conditions})
            self._regexes.setdefault(key, []).append((needed, bit, rx))

    def _learn(self, words: Iterable[str]) -> None:
        if len(self._known) >= _TRIGGER_CACHE_LIMIT:
            self._known.clear()
            self._hot.clear()
            self._hot_words.clear()
        for word in words:
            true = self._sure_word.get(word, 0)
            for prefix, bits in self._sure_prefix.items():
                if word.startswith(prefix):
                    true |= bits
            met = self._eq.get(word, 0)
            for sub, bits in self._sub.items():
                if sub in word:
                    met |= bits
            for prefix, bits in self._prefix.items():
                if word.startswith(prefix):
                    met |= bits
            for suffix, bits in self._suffix.items():
                if word.endswith(suffix):
                    met |= bits
            if true or met:
                self._hot[word] = true | (met << self.size)
                self._hot_words.add(word)
            self._known.add(word)

    def triggers(self, view: TextView) -> tuple[int, list[tuple[int, Regex | None]] | None]:
        """``(true, maybe)``: the entries ``view`` makes true (words, prefixes, phrases) and
        ``(entry, check)`` pairs that make an entry true if the check (a regex, or with
        ``None`` the entry's own matchers) matches (``None`` if there are none)."""
        words = view.token_set
        if not words <= self._known:
            self._learn(words - self._known)
        # OR of the words' implications, in C: sure entries | conditions met << size
        found = reduce(or_, map(self._hot.__getitem__, words & self._hot_words), 0)
        true = found & self._mask
        met = found >> self.size
        phrase_words = words & self._phrase_words
        if phrase_words:
            norm = view.norm
            for word in phrase_words:
                for needle, bit in self._phrases[word]:
                    if not true & bit and needle in norm:
                        true |= bit
        maybe = self._always or None
        if not view.is_ascii:
            # Lower-casing is IGNORECASE only for ASCII: Regex.search then runs the regex.
            maybe = [*self._always, *self._nonascii]
            return true, maybe
        if self._raw:
            # Lower-casing only changes letters: a literal without any is in the raw text.
            raw = view.raw
            for needle, bits, probe in self._raw_always:
                if (probe is None or probe in raw) and (probe is needle or needle in view.lower):
                    met |= bits
            gates = met & self._raw_gates
            while gates:
                gate = gates & -gates
                gates ^= gate
                for needle, bits, cased, needed in self._raw_gated[gate]:
                    if met & needed == needed and needle in (view.lower if cased else raw):
                        met |= bits
        if self._unfiltered:
            if maybe is None:
                maybe = []
            elif maybe is self._always:
                maybe = list(maybe)
            maybe += self._unfiltered
        keys = met & self._regex_keys
        while keys:
            key = keys & -keys
            keys ^= key
            for needed, bit, rx in self._regexes[key]:
                if met & needed == needed and not true & bit:
                    if maybe is None:
                        maybe = []
                    elif maybe is self._always:
                        maybe = list(maybe)
                    maybe.append((bit, rx))
        return true, maybe


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

    def signals(self) -> list[tuple[Terms | None, tuple[Regex, ...], float]] | None:
        """One matcher per term and regex with its weight, for a :class:`TextIndex`; the
        score is then the sum of the weights of those that occur in one of ``fields``, plus
        the vendor weight. ``None`` when that sum could differ from :meth:`score`'s: weights
        that are not whole numbers (float sums depend on their order), or a regex written
        like a term (``score`` counts each text once).
        """
        weights = [w for _kind, w in self._weights.values()]
        weights += [w for _rx, w in self._regexes]
        weights.append(self.vendor_weight or 0)
        exact = all(float(w).is_integer() for w in weights)
        if not exact or sum(abs(w) for w in weights) >= 2**53:
            return None
        if any(rx.source in self._weights for rx, _w in self._regexes):
            return None
        if len({rx.source for rx, _w in self._regexes}) != len(self._regexes):
            return None
        cs = self._terms._case_sensitive
        out: list[tuple[Terms | None, tuple[Regex, ...], float]] = [
            (Terms([term], case_sensitive=cs), (), self._weights[term][1])
            for term in self._terms.terms
        ]
        out += [(None, (rx,), w) for rx, w in self._regexes]
        return out

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
