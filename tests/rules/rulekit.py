"""Helpers for the rule-engine tests (imported as ``rulekit``): issues, predicates, checks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bridgeplugin.model import Issue, User
from bridgeplugin.rules import Context, FieldNames, Outcome, Result, StaticDirectory
from bridgeplugin.rules.parse import parse_tagging
from bridgeplugin.rules.predicates.base import Predicate, run, test
from bridgeplugin.rules.source import read_text
from bridgeplugin.rules.vendors import VendorCatalog, catalog_from_data

FIXTURES = Path(__file__).parent / "fixtures"

TRUE, FALSE, ERROR = Outcome.TRUE, Outcome.FALSE, Outcome.ERROR

# A small catalog for the tests (the shipped one is rules/vendors.yaml).
CATALOG_ENTRIES: list[dict[str, Any]] = [
    {
        "name": "Sprout Social",
        "aliases": ["SproutSocial"],
        "category": "saas",
        "segment": "social media management",
    },
    {"name": "HubSpot", "aliases": ["Hub Spot"], "category": "saas", "segment": "CRM"},
    {
        "name": "Google Analytics",
        "aliases": ["GA4"],
        "category": "tracking",
        "segment": "analytics",
    },
    {"name": "Google", "category": "saas", "segment": "collaboration"},
    # starts inside "Google Analytics": must not match there
    {"name": "Analytics", "category": "data", "segment": "BI"},
    {"name": "Meta Pixel", "category": "tracking", "segment": "tracking"},
    {"name": "Drift", "category": "saas", "segment": "chat", "ambiguous": True},
    {"name": "Segment", "category": "data", "segment": "CDP", "ambiguous": True},
]


def make_catalog() -> VendorCatalog:
    return catalog_from_data(CATALOG_ENTRIES)


def user(account_id: str, display_name: str | None = None) -> User:
    return User(account_id=account_id, display_name=display_name or account_id)


def issue(**kw: Any) -> Issue:
    """An issue with harmless defaults; pass only what the case is about."""
    kw.setdefault("id", "10001")
    kw.setdefault("key", "MKT-1")
    for role in ("reporter", "creator", "assignee"):
        if isinstance(kw.get(role), str):
            kw[role] = user(kw[role])
    return Issue(**kw)


def compile_predicate(
    spec: Any,
    *,
    catalog: VendorCatalog | None = None,
    signals: Mapping[str, Any] | None = None,
    definitions: Mapping[str, Any] | None = None,
) -> Predicate:
    """Compile one predicate the way the loader does (through a whole rule document)."""
    doc: dict[str, Any] = {"kind": "tagging"}
    if signals:
        doc["signals"] = dict(signals)
    if definitions:
        doc["definitions"] = dict(definitions)
    doc["rules"] = [{"name": "case", "if": spec, "then": {"tech_request": True}}]
    text = yaml.safe_dump(doc, sort_keys=False)
    (rule,) = parse_tagging(read_text(text, "case.yaml"), catalog=catalog)
    return rule.condition


def context(
    the_issue: Issue,
    groups: Mapping[str, Iterable[str]] | None = None,
    *,
    catalog: VendorCatalog | None = None,
    fields: FieldNames | None = None,
) -> Context:
    return Context(the_issue, StaticDirectory(groups or {}), catalog, fields or FieldNames())


def check(pred: Predicate, ctx: Context) -> Result:
    """Evaluate with the explaining path and the fast path; they must agree."""
    result = run(pred, ctx)
    fast = test(pred, ctx)
    assert fast is result.outcome, f"test() says {fast}, evaluate() says {result.outcome}"
    assert result.reason, "every result node has a reason"
    return result


@dataclass
class Case:
    """One row of a predicate's table: ``name`` reads as a sentence (the test id)."""

    name: str
    spec: Any
    issue: dict[str, Any]
    outcome: Outcome
    reason: str | None = None  # exact reason, when the wording is part of the contract
    contains: tuple[str, ...] = ()  # words the reason must name
    groups: dict[str, list[str]] = field(default_factory=dict)
    fields: FieldNames | None = None

    def __str__(self) -> str:
        return self.name


def run_case(case: Case, catalog: VendorCatalog | None = None) -> Result:
    pred = compile_predicate(case.spec, catalog=catalog)
    result = check(
        pred, context(issue(**case.issue), case.groups, catalog=catalog, fields=case.fields)
    )
    assert result.outcome is case.outcome, result.reason
    if case.reason is not None:
        assert result.reason == case.reason
    for word in case.contains:
        assert word in result.reason, f"{word!r} not in {result.reason!r}"
    return result


def ids(cases: list[Case]) -> list[str]:
    return [c.name for c in cases]
