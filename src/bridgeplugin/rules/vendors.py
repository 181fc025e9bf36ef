"""The vendor catalog (``rules/vendors.yaml``): load it strictly, find vendors in text fast.

File format (a mapping with ``vendors:``, or just the list)::

    kind: vendors                 # optional
    description: SaaS and ad-tech vendors marketing buys from
    tech_words: [api, pixel, ...] # optional: replaces the default list (see DEFAULT_TECH_WORDS)
    vendors:
      - name: Sprout Social
        aliases: [SproutSocial, Sprout]
        category: social-media
        segment: marketing        # optional
      - name: Drift
        category: conversational
        ambiguous: true           # "drift" is also an English word

Matching works on the tokens of :mod:`.text` (whole words, case-insensitive): every name and
alias is tokenised at load and indexed by its first token, so finding the vendors in a text is
one set intersection with the text's tokens plus a substring check per candidate. When two
aliases overlap ("Google" inside "Google Analytics"), the longer one wins.

An ``ambiguous: true`` vendor's names are common words. They match only when written with the
catalog's capitalisation ("Drift", not "drift"), or when a tech word (``api``, ``integration``,
``pixel`` ...) is within five words of them ("connect drift to the CRM").
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .schema import VendorCatalogSpec, VendorSpec
from .source import Document, read_document, read_text
from .text import TextView, tokenize

__all__ = [
    "DEFAULT_TECH_WORDS",
    "VENDORS_FILENAME",
    "Vendor",
    "VendorCatalog",
    "VendorMatch",
    "catalog_from_data",
    "load_vendors",
]

VENDORS_FILENAME = "vendors.yaml"

# Words that make an ambiguous vendor name mean the vendor ("hook drift up to the api").
DEFAULT_TECH_WORDS = frozenset(
    """
    account accounts ai analytics api apis app apps automation bot chatbot cloud cms connect
    connector crm dashboard data export extension import install integrate integrated
    integration integrations licence license licenses login oauth pixel platform plugin saas
    script sdk seat seats service software sso subscription sync tag tool tools tracking trial
    vendor webhook widget
    """.split()  # noqa: SIM905 - a word list reads better as text
)
PROXIMITY = 5  # words either side of an ambiguous name searched for a tech word


@dataclass(frozen=True, slots=True)
class Vendor:
    name: str
    aliases: tuple[str, ...]
    category: str
    segment: str | None = None
    ambiguous: bool = False


@dataclass(frozen=True, slots=True)
class VendorMatch:
    """A vendor found in a text: the catalog name, the alias as written in the catalog."""

    vendor: str
    alias: str
    category: str
    segment: str | None = None

    def describe(self) -> str:
        """``vendor 'Sprout Social' (category social-media)``, naming the alias if different."""
        if self.alias == self.vendor:
            return f"vendor {self.vendor!r} (category {self.category})"
        return f"{self.alias!r} (vendor {self.vendor}, category {self.category})"


class _Alias:
    __slots__ = ("alias", "ambiguous", "match", "n", "orig_needle", "tokens", "vendor")

    def __init__(self, vendor: Vendor, alias: str, tokens: list[str]) -> None:
        self.vendor = vendor
        self.alias = alias
        self.tokens = tokens  # a list, to compare with a slice of the text's token list
        self.n = len(tokens)
        self.orig_needle = " " + " ".join(tokenize(alias)) + " "
        self.ambiguous = vendor.ambiguous
        # Built once: every mention of this alias returns the same immutable match.
        self.match = VendorMatch(vendor.name, alias, vendor.category, vendor.segment)


class CatalogError(ValueError):
    """A catalog entry cannot be indexed; ``at`` locates it inside the ``vendors`` list."""

    def __init__(self, at: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.at = at


class VendorCatalog:
    """Vendors indexed for matching; built by :func:`load_vendors` or :func:`catalog_from_data`."""

    def __init__(
        self,
        vendors: Sequence[Vendor],
        *,
        tech_words: Iterable[str] | None = None,
        source: str = "<memory>",
        version: str | None = None,
    ) -> None:
        self.vendors: tuple[Vendor, ...] = tuple(vendors)
        self.source = source
        self.tech_words = frozenset(
            w.lower() for w in (DEFAULT_TECH_WORDS if tech_words is None else tech_words)
        )
        self.categories: frozenset[str] = frozenset(v.category for v in self.vendors)
        self.segments: frozenset[str] = frozenset(v.segment for v in self.vendors if v.segment)
        single: dict[str, _Alias] = {}
        multi: dict[tuple[str, str], list[_Alias]] = {}
        owner: dict[tuple[str, ...], tuple[int, str]] = {}
        for i, vendor in enumerate(self.vendors):
            for j, alias in enumerate((vendor.name, *vendor.aliases)):
                at: tuple[str | int, ...] = (i, "name") if j == 0 else (i, "aliases", j - 1)
                tokens = tuple(tokenize(alias.lower()))
                if not tokens:
                    raise CatalogError(at, f"{alias!r} has no letters or digits to match")
                if tokens in owner:
                    other_i, other_alias = owner[tokens]
                    if other_i == i:
                        continue  # the same vendor spelling a name twice is harmless
                    raise CatalogError(
                        at,
                        f"{alias!r} of {vendor.name!r} also names "
                        f"{self.vendors[other_i].name!r} (as {other_alias!r})",
                    )
                owner[tokens] = (i, alias)
                entry = _Alias(vendor, alias, list(tokens))
                if len(tokens) == 1:
                    single[tokens[0]] = entry
                else:
                    multi.setdefault(tokens[:2], []).append(entry)
        for aliases in multi.values():
            aliases.sort(key=lambda a: -a.n)  # the longest alias at a position wins
        # Index: one-word aliases by word; longer ones by their first two words, so a text
        # position is checked against the one or two aliases that can start there.
        self._single = single
        self._multi = multi
        self._first_keys = frozenset([*single, *(first for first, _ in multi)])
        # Second words of the multi-word aliases by first word: "the" is the first word of
        # "The Trade Desk", and a text with "the" but not "trade" need not be scanned for it.
        seconds: dict[str, set[str]] = {}
        for first, second in multi:
            seconds.setdefault(first, set()).add(second)
        self._seconds = {k: frozenset(v) for k, v in seconds.items()}
        # Words that are a whole alias wherever they occur: not ambiguous, and no longer
        # alias starts with them. When such a word is the only candidate in a text, its
        # vendor is the answer without looking at positions (a longer alias covering it
        # would have to start with another candidate).
        self._plain = {
            word: alias.match
            for word, alias in single.items()
            if not alias.ambiguous and word not in seconds
        }
        self._by_name = {v.name.lower(): v for v in self.vendors}
        self.version = version or _digest([_vendor_data(v) for v in self.vendors])

    def __len__(self) -> int:
        return len(self.vendors)

    def __repr__(self) -> str:
        return f"VendorCatalog({len(self.vendors)} vendors from {self.source})"

    def get(self, name: str) -> Vendor | None:
        return self._by_name.get(name.lower())

    def find_text(self, text: str) -> tuple[VendorMatch, ...]:
        """Vendors mentioned in ``text`` (evaluation calls ``find`` on a cached view)."""
        return self.find(TextView(text))

    def find(self, view: TextView) -> tuple[VendorMatch, ...]:
        """Vendors mentioned in a tokenised text, once each, in order of first mention.

        Where aliases overlap ("Google" and "Google Analytics"), the longest one starting at
        the earliest position wins and the words it covers are not matched again.
        """
        firsts = self._first_keys & view.token_set
        if not firsts:
            return ()
        token_set = view.token_set
        if len(firsts) == 1:
            for first in firsts:
                match = self._plain.get(first)
                if match is not None:
                    return (match,)
                if first not in self._single and self._seconds[first].isdisjoint(token_set):
                    return ()  # "the" without "trade": no alias starts here
        tokens = view.tokens
        count = len(tokens)
        spans: list[tuple[int, int, _Alias]] = []
        for first in firsts:
            single = self._single.get(first)
            if single is None and self._seconds.get(first, _NONE).isdisjoint(token_set):
                continue
            i = -1
            # count() then index(): no ValueError to end the scan (a raise costs ~1 us)
            for _ in range(tokens.count(first)):
                i = tokens.index(first, i + 1)
                found = None
                if i + 1 < count:
                    for alias in self._multi.get((first, tokens[i + 1]), ()):
                        n = alias.n
                        if (n == 2 or tokens[i : i + n] == alias.tokens) and (
                            not alias.ambiguous or self._ambiguous_ok(alias, view, i)
                        ):
                            found = alias
                            break
                if (
                    found is None
                    and single is not None
                    and (not single.ambiguous or self._ambiguous_ok(single, view, i))
                ):
                    found = single
                if found is not None:
                    spans.append((i, -found.n, found))
        if not spans:
            return ()
        spans.sort(key=_span_key)
        out: list[VendorMatch] = []
        seen: set[str] = set()
        end = -1
        for start, minus_n, alias in spans:
            if start < end:
                continue  # inside a longer alias that starts earlier
            end = start - minus_n
            name = alias.vendor.name
            if name not in seen:
                seen.add(name)
                out.append(alias.match)
        return tuple(out)

    def _ambiguous_ok(self, alias: _Alias, view: TextView, i: int) -> bool:
        """An ambiguous name at token ``i`` counts if capitalised as in the catalog, or if a
        tech word is near it."""
        if alias.orig_needle in view.orig_norm:
            return True
        tokens, tech = view.tokens, self.tech_words
        before = tokens[max(0, i - PROXIMITY) : i]
        after = tokens[i + alias.n : i + alias.n + PROXIMITY]
        return not tech.isdisjoint(before) or not tech.isdisjoint(after)


_NONE: frozenset[str] = frozenset()


def _span_key(span: tuple[int, int, _Alias]) -> tuple[int, int]:
    return span[0], span[1]


def _vendor_data(v: Vendor) -> dict[str, Any]:
    return {
        "name": v.name,
        "aliases": list(v.aliases),
        "category": v.category,
        "segment": v.segment,
        "ambiguous": v.ambiguous,
    }


def _digest(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_vendors(path: str | Path) -> VendorCatalog:
    """Load a vendor catalog file strictly (unknown keys, duplicates -> RuleFileError)."""
    return _catalog_from_document(read_document(path))


def catalog_from_data(data: Any, *, source: str = "<memory>") -> VendorCatalog:
    """Build a catalog from already-parsed data (a list of entries or ``{vendors: [...]}``)."""
    if isinstance(data, str):
        return _catalog_from_document(read_text(data, source))
    doc = read_text(json.dumps(data), source)
    return _catalog_from_document(doc)


def _catalog_from_document(doc: Document) -> VendorCatalog:
    data = doc.data
    prefix: tuple[str | int, ...] = ("vendors",)
    if isinstance(data, list):
        wrapped: Any = {"vendors": data}
        prefix = ()
    else:
        wrapped = data
    if not isinstance(wrapped, dict):
        raise doc.error((), "a vendor catalog is a list of vendors or a mapping with vendors:")
    if isinstance(data, list):
        # Validate the list on its own so error locations match the file's layout.
        entries = doc.validate(list[VendorSpec], data, ())
        spec = VendorCatalogSpec(vendors=entries)
    else:
        spec = doc.validate(VendorCatalogSpec, wrapped, ())
    vendors = [
        Vendor(e.name, tuple(e.aliases), e.category, e.segment, e.ambiguous) for e in spec.vendors
    ]
    try:
        return VendorCatalog(
            vendors,
            tech_words=spec.tech_words,
            source=doc.path,
            version=_digest(
                {"vendors": [_vendor_data(v) for v in vendors], "tech_words": spec.tech_words}
            ),
        )
    except CatalogError as exc:
        raise doc.error(prefix + exc.at, str(exc)) from None
