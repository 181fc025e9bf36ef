"""Parse a validated rule document into compiled rules (policy-bot's ``parse.go``).

``schema.py`` checks the shape of the file; this module walks the predicate trees key by key,
lets each predicate module validate its own arguments, compiles regexes and term sets, resolves
``ref:`` and ``signals:`` names, and checks vendor categories against the catalog. Every
problem becomes a :class:`~bridgeplugin.errors.RuleFileError` with the file, the line and what
would be valid. Nothing here runs per issue.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from ..errors import RuleFileError
from .predicates import PREDICATES, Predicate
from .predicates import field as field_predicate
from .ruleset import Conclusion, Rule
from .schema import SignalSetSpec, TaggingFileSpec
from .source import Document, Loc, suggest
from .text import Regex, SignalSet, TermError, Terms
from .vendors import VENDORS_FILENAME, VendorCatalog

__all__ = ["Parser", "parse_tagging"]


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 50 else text[:47] + "..."


class Parser:
    """Compiles predicates of one document; handed to every predicate module's ``parse``."""

    def __init__(
        self,
        doc: Document,
        *,
        catalog: VendorCatalog | None,
        definitions: dict[str, Any] | None = None,
        signals: dict[str, SignalSetSpec] | None = None,
        kind: str = "tagging",
        categories: Iterable[str] | None = None,
    ) -> None:
        self.doc = doc
        # The kind of file being parsed: predicates that read the tagging verdict (tagged,
        # category_in) exist only in files evaluated after tagging (kind: reviews).
        self.kind = kind
        # Categories the tagging rules can conclude; None: not known, so not checked.
        self.categories = sorted(set(categories)) if categories is not None else None
        self._catalog = catalog
        self._definition_sources = definitions or {}
        self._definitions: dict[str, Predicate] = {}
        self._resolving: list[str] = []
        self._signal_specs = signals or {}
        self._signals: dict[str, SignalSet] = {}

    # -- plumbing used by predicate modules --------------------------------------------------

    def error(
        self, at: Loc, message: str, *, hint: str | None = None, key: bool = False
    ) -> RuleFileError:
        return self.doc.error(at, message, hint=hint, key=key)

    def validate(self, tp: Any, value: Any, at: Loc) -> Any:
        return self.doc.validate(tp, value, at)

    def predicate(self, value: Any, at: Loc) -> Predicate:
        """Parse one predicate mapping found at ``at``."""
        valid = "valid predicates: " + ", ".join(sorted(PREDICATES))
        if not isinstance(value, dict):
            raise self.error(
                at,
                f"expected a predicate such as {{project_in: [MKT]}}, got {_show(value)}",
                hint=valid,
            )
        if "field" in value:
            return field_predicate.parse(value, at, self)
        if len(value) != 1:
            keys = ", ".join(str(k) for k in value) or "none"
            raise self.error(
                at,
                f"a predicate has exactly one key, found {len(value)}: {keys}",
                hint="combine predicates with all: [...] or any: [...]",
            )
        ((key, arg),) = value.items()
        parse = PREDICATES.get(key) if isinstance(key, str) else None
        if parse is None:
            close = suggest(str(key), list(PREDICATES))
            raise self.error(
                (*at, key),
                f"unknown predicate {key!r}",
                hint=(f"did you mean {close!r}? " if close else "") + valid,
                key=True,
            )
        return parse(arg, (*at, key), self)

    def definition(self, name: str, at: Loc) -> Predicate:
        """The compiled predicate of ``definitions: {name: ...}`` (parsed once, cycles refused)."""
        done = self._definitions.get(name)
        if done is not None:
            return done
        if name not in self._definition_sources:
            known = sorted(self._definition_sources)
            close = suggest(name, known)
            hint = (f"did you mean {close!r}? " if close else "") + (
                "definitions in this file: " + ", ".join(known)
                if known
                else "add it under a top-level definitions: mapping"
            )
            raise self.error(at, f"unknown definition {name!r}", hint=hint)
        if name in self._resolving:
            cycle = " -> ".join([*self._resolving[self._resolving.index(name) :], name])
            raise self.error(
                ("definitions", name), f"definitions refer to each other in a circle: {cycle}"
            )
        self._resolving.append(name)
        try:
            pred = self.predicate(self._definition_sources[name], ("definitions", name))
        finally:
            self._resolving.pop()
        self._definitions[name] = pred
        return pred

    def signal_set(self, name: str, at: Loc) -> SignalSet:
        """The compiled signal set ``signals: {name: ...}`` of this file."""
        done = self._signals.get(name)
        if done is not None:
            return done
        spec = self._signal_specs.get(name)
        if spec is None:
            known = sorted(self._signal_specs)
            close = suggest(name, known)
            hint = (f"did you mean {close!r}? " if close else "") + (
                "signal sets in this file: " + ", ".join(known)
                if known
                else "define it under a top-level signals: mapping"
            )
            raise self.error(at, f"unknown signal set {name!r}", hint=hint)
        base: Loc = ("signals", name)
        self.check_keywords(list(spec.keywords), (*base, "keywords"), by_key=True)
        keys = [*spec.keywords, *spec.phrases]
        locs = [
            *((*base, "keywords", k) for k in spec.keywords),
            *((*base, "phrases", p) for p in spec.phrases),
        ]
        self.terms(keys, locs, case_sensitive=spec.case_sensitive, key=True)  # validates them
        regexes = [
            (
                self.regex(
                    src, (*base, "regex", src), case_sensitive=spec.case_sensitive, key=True
                ),
                w,
            )
            for src, w in spec.regex.items()
        ]
        vendor_weight = vendor_categories = None
        if spec.vendors is not None:
            catalog = self.catalog((*base, "vendors"))
            vendor_weight = spec.vendors.weight
            if spec.vendors.categories:
                self.check_known(
                    spec.vendors.categories,
                    catalog.categories,
                    (*base, "vendors", "categories"),
                    "category",
                )
                vendor_categories = frozenset(c.lower() for c in spec.vendors.categories)
        compiled = SignalSet(
            name,
            threshold=spec.threshold,
            fields=spec.in_,
            keywords=spec.keywords,
            phrases=spec.phrases,
            regexes=regexes,
            vendor_weight=vendor_weight,
            vendor_categories=vendor_categories,
            case_sensitive=spec.case_sensitive,
            description=spec.description,
        )
        self._signals[name] = compiled
        return compiled

    def check_keywords(self, keywords: Sequence[str], at: Loc, *, by_key: bool = False) -> None:
        """A keyword is one word; several words belong under ``phrases``."""
        for i, kw in enumerate(keywords):
            if len(kw.split()) > 1:
                raise self.error(
                    at + ((kw,) if by_key else (i,)),
                    f"keyword {kw!r} has several words",
                    hint="list it under phrases:",
                    key=by_key,
                )

    def terms(
        self,
        terms: Sequence[str],
        locs: Sequence[Loc],
        *,
        case_sensitive: bool,
        key: bool = False,
    ) -> Terms:
        """Compile keywords/phrases; ``locs[i]`` is where term i is (``key``: a mapping key)."""
        try:
            return Terms(terms, case_sensitive=case_sensitive)
        except TermError as exc:
            raise self.error(locs[exc.index], str(exc), key=key) from None

    def regex(self, pattern: str, at: Loc, *, case_sensitive: bool, key: bool = False) -> Regex:
        try:
            return Regex(pattern, case_sensitive=case_sensitive)
        except re.error as exc:
            where = f" at position {exc.pos}" if exc.pos is not None else ""
            raise self.error(
                at,
                f"bad regex {pattern!r}: {exc.msg}{where}",
                key=key,
                hint="in YAML, write regexes in single quotes so backslashes stay as written",
            ) from None

    def require_kind(self, kind: str, at: Loc, key: str) -> None:
        """Refuse predicate ``key`` outside files of ``kind`` (it reads what they add)."""
        if self.kind != kind:
            raise self.error(
                at,
                f"{key} reads the tagging verdict, which exists only in kind: {kind} files "
                f"(this file is kind: {self.kind})",
                hint="tagging rules decide the verdict; test what it is made of instead",
                key=True,
            )

    def catalog(self, at: Loc) -> VendorCatalog:
        if self._catalog is None:
            raise self.error(
                at,
                "vendor matching needs the vendor catalog, and none was loaded",
                hint=f"put {VENDORS_FILENAME} next to the rule files, or pass vendors= to "
                "load_rules",
            )
        return self._catalog

    def check_known(self, values: Iterable[str], known: Iterable[str], at: Loc, noun: str) -> None:
        known_list = sorted(known)
        lower = {k.lower() for k in known_list}
        for i, value in enumerate(values):
            if value.lower() not in lower:
                close = suggest(value, known_list)
                raise self.error(
                    (*at, i),
                    f"unknown vendor {noun} {value!r}",
                    hint=(f"did you mean {close!r}? " if close else "")
                    + f"the catalog's {noun} values: {', '.join(known_list)}",
                )


def _uses(pred: Predicate, key: str) -> bool:
    return pred.key == key or any(_uses(c, key) for c in pred.children())


def parse_tagging(doc: Document, *, catalog: VendorCatalog | None) -> list[Rule]:
    """Compile a ``kind: tagging`` document into rules (in file order)."""
    spec: TaggingFileSpec = doc.validate(TaggingFileSpec, doc.data, ())
    parser = Parser(doc, catalog=catalog, definitions=spec.definitions, signals=spec.signals)
    rules: list[Rule] = []
    for i, r in enumerate(spec.rules):
        at: Loc = ("rules", i)
        condition = parser.predicate(r.if_, (*at, "if"))
        then = Conclusion(
            marketing_originated=r.then.marketing_originated,
            tech_request=r.then.tech_request,
            category=r.then.category,
            category_from=r.then.category_from,
        )
        if then.category_from == "vendor" and not _uses(condition, "vendor"):
            raise parser.error(
                (*at, "then", "category_from"),
                "category_from: vendor needs a vendor predicate in the rule's if",
                hint="add {vendor: {}} to the if, or write a fixed category:",
            )
        rules.append(
            Rule(
                name=r.name,
                condition=condition,
                then=then,
                path=doc.path,
                line=doc.line(at),
                description=r.description,
            )
        )
    # Unused definitions and signal sets are still compiled, so their errors show today.
    for name in spec.definitions:
        parser.definition(name, ("definitions", name))
    for name in spec.signals:
        parser.signal_set(name, ("signals", name))
    return rules
