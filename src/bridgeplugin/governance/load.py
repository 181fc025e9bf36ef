"""``load_policy``: the one loader of review rules behind ``bridge check``, ``sync`` and validate.

Which files: the same as ``rules.load_rules`` (every ``*.yaml``/``*.yml`` of a directory, by
name, the vendor catalog beside them); only ``kind: reviews`` files are read here. Several
files merge: reviews, rules and waivers add up (a name used twice is an error naming both
places); ``gate`` and ``resolutions`` may be written in one file only. After merging, every
review a rule requires and every review a waiver covers must exist.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from ..errors import RuleFileError
from ..rules.load import Source, kind_of, rule_files
from ..rules.ruleset import RuleSet
from ..rules.source import read_document, suggest
from ..rules.vendors import VendorCatalog, load_vendors
from .parse import FilePolicy, parse_reviews
from .policy import Gate, Policy, Resolutions, Review, ReviewRule, WaiverDef, Where

__all__ = ["KIND", "categories_of", "load_policy"]

KIND = "reviews"


def categories_of(tagging: RuleSet) -> set[str]:
    """Categories the tagging rules (and their vendor catalog) can conclude."""
    found = {r.then.category for r in tagging.rules if r.then.category}
    if tagging.vendors is not None:
        found |= set(tagging.vendors.categories)
    return found


def load_policy(
    source: Source,
    *,
    vendors: VendorCatalog | str | Path | Literal["auto"] | None = "auto",
    categories: Iterable[str] | None = None,
    required: bool = True,
) -> Policy | None:
    """Load, validate and compile every ``kind: reviews`` file found in ``source``.

    ``categories``: what ``category_in`` may name (``categories_of(tagger.rules)``); None skips
    that check. ``required``: a source without any reviews file is an error (True) or None.
    Raises :class:`~bridgeplugin.errors.RuleFileError` naming file, line and fix.
    """
    files, found_catalog = rule_files(source)
    catalog: VendorCatalog | None
    if isinstance(vendors, VendorCatalog) or vendors is None:
        catalog = vendors
    elif vendors == "auto":
        catalog = load_vendors(found_catalog) if found_catalog is not None else None
    else:
        catalog = load_vendors(vendors)
    known = sorted(set(categories)) if categories is not None else None

    parts: list[FilePolicy] = []
    contents: list[Any] = []
    for path in files:
        doc = read_document(path)
        if kind_of(doc) != KIND:
            continue
        parts.append(parse_reviews(doc, catalog=catalog, categories=known))
        contents.append(doc.data)
    if not parts:
        if not required:
            return None
        where = ", ".join(str(f) for f in files) or str(source)
        raise RuleFileError(
            f"no rule file of kind {KIND!r} found",
            path=where,
            hint="copy the shipped rules/reviews.yaml next to your rules (bridge init does)",
        )
    return _merge(parts, contents, catalog)


def _merge(parts: list[FilePolicy], contents: list[Any], catalog: VendorCatalog | None) -> Policy:
    reviews: dict[str, Review] = {}
    rules: list[ReviewRule] = []
    waivers: dict[str, WaiverDef] = {}
    covers_where: dict[str, tuple[Where, ...]] = {}
    gate: Gate | None = None
    gate_where: Where | None = None
    resolutions: Resolutions | None = None
    resolutions_where: Where | None = None
    rule_names: dict[str, Where] = {}
    for part in parts:
        for name, review in part.reviews.items():
            _once("review", name, review.where, {n: r.where for n, r in reviews.items()})
            reviews[name] = review
        for rule in part.rules:
            _once("rule", rule.name, rule.where, rule_names)
            rule_names[rule.name] = rule.where
            rules.append(rule)
        for name, waiver in part.waivers.items():
            _once("waiver", name, waiver.where, {n: w.where for n, w in waivers.items()})
            waivers[name] = waiver
            covers_where[name] = part.waiver_covers_where.get(name, ())
        if part.gate is not None:
            assert part.gate_where is not None
            if gate_where is not None:
                _twice("gate", part.gate_where, gate_where)
            gate, gate_where = Gate(*part.gate), part.gate_where
        if part.resolutions is not None:
            assert part.resolutions_where is not None
            if resolutions_where is not None:
                _twice("resolutions", part.resolutions_where, resolutions_where)
            resolutions, resolutions_where = part.resolutions, part.resolutions_where

    for rule in rules:
        for name, at in zip(rule.require, rule.require_where, strict=True):
            _known_review(name, at, reviews, f"rule {rule.name!r} requires")
    for name, waiver in list(waivers.items()):
        for review, at in zip(waiver.covers, covers_where[name], strict=True):
            _known_review(review, at, reviews, f"waiver {name!r} covers")
        if not waiver.covers:  # default: every review
            waivers[name] = WaiverDef(
                name=waiver.name,
                groups=waiver.groups,
                expires_after_days=waiver.expires_after_days,
                covers=tuple(reviews),
                where=waiver.where,
                self_approval=waiver.self_approval,
                description=waiver.description,
            )

    return Policy(
        reviews=reviews,
        rules=tuple(rules),
        gate=gate or Gate(),
        resolutions=resolutions or Resolutions(),
        waivers=waivers,
        version=_version(contents, catalog),
        files=tuple(p.path for p in parts),
        vendors=catalog,
    )


def _once(noun: str, name: str, at: Where, seen: dict[str, Where]) -> None:
    if name in seen:
        raise RuleFileError(
            f"{noun} name {name!r} is used twice (first at {seen[name]})",
            path=at.path,
            line=at.line,
            hint=f"{noun} names identify verdicts and sub-tasks: give each {noun} its own",
        )


def _twice(key: str, at: Where, first: Where) -> None:
    raise RuleFileError(
        f"{key}: is written in two review files (first at {first})",
        path=at.path,
        line=at.line,
        hint=f"keep one {key}: section; per-project gates go under gate.projects",
    )


def _known_review(name: str, at: Where, reviews: dict[str, Review], what: str) -> None:
    if name in reviews:
        return
    known = sorted(reviews)
    close = suggest(name, known)
    raise RuleFileError(
        f"{what} unknown review {name!r}",
        path=at.path,
        line=at.line,
        hint=(f"did you mean {close!r}? " if close else "")
        + ("reviews: " + ", ".join(known) if known else "define it under reviews:"),
    )


def _version(contents: list[Any], catalog: VendorCatalog | None) -> str:
    """sha256 of the parsed content: stable across comments, whitespace, key order, quoting."""
    payload = {
        "kind": KIND,
        "files": contents,
        "vendors": catalog.version if catalog is not None else None,
    }
    text = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
