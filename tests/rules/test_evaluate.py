"""The tagging verdict: rules combined per conclusion, vetoes, categories, reasons."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from rulekit import CATALOG_ENTRIES, ERROR, FALSE, FIXTURES, TRUE, context, issue, user

from bridgeplugin.rules import (
    Outcome,
    RuleSet,
    StaticDirectory,
    evaluate,
    evaluate_rule,
    load_rules,
)


def ruleset(tmp_path: Path, rules: str, *, catalog: bool = False) -> RuleSet:
    (tmp_path / "tagging.yaml").write_text("kind: tagging\nrules:\n" + textwrap.dedent(rules))
    if catalog:
        (tmp_path / "vendors.yaml").write_text(yaml.safe_dump({"vendors": CATALOG_ENTRIES}))
    return load_rules(tmp_path)


MKT = """\
- name: mkt-project
  if: {project_in: [MKT]}
  then: {marketing_originated: true}
- name: mkt-reporter
  if: {reporter_in_group: [marketing]}
  then: {marketing_originated: true}
- name: it-veto
  if: {label_in: [it-internal]}
  then: {marketing_originated: false}
"""
GROUPS = {"dana": ["marketing"], "ivan": ["it-architecture"]}

VERDICT_CASES: list[tuple[str, dict[str, Any], Outcome]] = [
    ("one true rule is enough", {"project": "IT", "reporter": "dana"}, TRUE),
    ("no true rule is false", {"project": "IT", "reporter": "ivan"}, FALSE),
    (
        "a true veto wins over true rules",
        {"project": "MKT", "reporter": "dana", "labels": ("it-internal",)},
        FALSE,
    ),
    ("an undecided rule with no true one is an error", {"project": "IT"}, ERROR),
    ("a true rule wins over an undecided one", {"project": "MKT"}, TRUE),
]


@pytest.mark.parametrize(
    ("fields", "outcome"), [c[1:] for c in VERDICT_CASES], ids=[c[0] for c in VERDICT_CASES]
)
def test_marketing_originated(fields: dict[str, Any], outcome: Outcome, tmp_path: Path) -> None:
    rules = ruleset(tmp_path, MKT)
    verdict = evaluate(rules, context(issue(**fields), GROUPS))
    assert verdict.marketing_originated is outcome
    assert verdict.tech_request is FALSE  # no rule concludes it


def test_an_undecided_veto_turns_a_true_verdict_into_an_error(tmp_path: Path) -> None:
    rules = ruleset(
        tmp_path,
        MKT
        + """\
- name: costly-veto
  if: {field: Budget, gt: 0}
  then: {marketing_originated: false}
""",
    )
    verdict = evaluate(rules, context(issue(project="MKT", reporter="dana"), GROUPS))
    assert verdict.marketing_originated is ERROR
    assert "costly-veto: could not decide: field 'Budget' is not on the issue" in " ".join(
        verdict.reasons()
    )


def test_an_undecided_veto_does_not_matter_when_nothing_would_tag(tmp_path: Path) -> None:
    rules = ruleset(
        tmp_path,
        """\
- name: mkt
  if: {project_in: [MKT]}
  then: {marketing_originated: true}
- name: veto
  if: {field: Budget, gt: 0}
  then: {marketing_originated: false}
""",
    )
    verdict = evaluate(rules, context(issue(project="IT")))
    assert verdict.marketing_originated is FALSE


TECH = """\
- name: by-vendor
  if: {vendor: {categories: [tracking]}}
  then: {tech_request: true, category_from: vendor, category: other}
- name: no-category
  if: {text: {keywords: [tool]}}
  then: {tech_request: true}
- name: pixel
  if: {text: {keywords: [pixel]}}
  then: {tech_request: true, category: tracking-pixel}
- name: saas
  if: {any: [{text: {keywords: [seats]}}, {vendor: {}}]}
  then: {tech_request: true, category_from: vendor, category: saas-fallback}
"""

CATEGORY_CASES = [
    (
        "the vendor's category is taken from the vendor that matched",
        "GA4 tag on the site",
        "tracking",
    ),
    ("the first true rule with a category decides", "new tool: a pixel", "tracking-pixel"),
    ("a rule without a category lets a later one decide", "a tool with seats", "saas-fallback"),
    (
        "category_from falls back when the true branch had no vendor",
        "more seats please",
        "saas-fallback",
    ),
    ("the vendor branch gives its category", "HubSpot", "saas"),
    ("no tech request has no category", "quarterly newsletter", None),
]


@pytest.mark.parametrize(
    ("summary", "category"), [c[1:] for c in CATEGORY_CASES], ids=[c[0] for c in CATEGORY_CASES]
)
def test_category(summary: str, category: str | None, tmp_path: Path) -> None:
    rules = ruleset(tmp_path, TECH, catalog=True)
    verdict = evaluate(rules, rules.context(issue(summary=summary), StaticDirectory()))
    assert verdict.category == category
    assert verdict.tech_request is (TRUE if category else FALSE)


def test_reasons_name_each_true_rule_with_the_facts_that_made_it_true(tmp_path: Path) -> None:
    rules = ruleset(
        tmp_path,
        MKT
        + """\
- name: big
  if: {all: [{issue_type_in: [Task]}, {field: Cost, gt: 1000}]}
  then: {tech_request: true, category: spend}
""",
    )
    the_issue = issue(
        project="MKT", reporter=user("dana", "Dana"), issue_type="Task", custom={"Cost": 4500.0}
    )
    verdict = evaluate(rules, context(the_issue, GROUPS))
    assert verdict.tagged
    assert verdict.reasons() == [
        "mkt-project: project MKT is in [MKT]",
        "mkt-reporter: reporter Dana is in group marketing",
        "big: issue type Task is in [Task]; Cost is 4500, more than 1000",
    ]


def test_a_true_veto_is_marked_in_the_reasons(tmp_path: Path) -> None:
    rules = ruleset(tmp_path, MKT)
    verdict = evaluate(rules, context(issue(project="MKT", labels=("it-internal",))))
    assert "it-veto (veto): label it-internal is in [it-internal]" in verdict.reasons()


def test_the_lazy_tree_is_the_tree_evaluate_rule_builds(tmp_path: Path) -> None:
    rules = load_rules(FIXTURES / "basic")
    the_issue = issue(
        project="MKT",
        issue_type="Task",
        summary="Add Meta pixel + Tag-Manager",
        description="Connect HubSpot to the CRM via the API",
        reporter="dana",
        custom={"Cost": 4500.0, "Requested by": None},
    )
    ctx = rules.context(the_issue, StaticDirectory(GROUPS))
    verdict = evaluate(rules, ctx)
    for lazy in verdict.rules:
        eager = evaluate_rule(lazy.rule, rules.context(the_issue, StaticDirectory(GROUPS)))
        assert lazy.outcome is eager.outcome is lazy.condition.outcome
        assert lazy.condition == eager.condition
        assert lazy.category == eager.category


def test_the_example_rules_tag_a_marketing_pixel_request(tmp_path: Path) -> None:
    rules = load_rules(FIXTURES / "basic")
    the_issue = issue(
        key="MKT-7",
        project="MKT",
        issue_type="Task",
        summary="Add Meta pixel",
        description="Google Analytics on the microsite",
        reporter="dana",
        custom={"Cost": 200, "Requested by": None},
    )
    verdict = evaluate(rules, rules.context(the_issue, StaticDirectory(GROUPS)))
    assert (verdict.marketing_originated, verdict.tech_request, verdict.category) == (
        TRUE,
        TRUE,
        "analytics",
    )
    data = verdict.to_dict()
    assert data["key"] == "MKT-7" and data["tagged"] is True
    assert data["version"] == rules.version
    assert [r["name"] for r in data["rules"]] == [r.name for r in rules.rules]
    assert data["rules"][0]["result"]["children"][0]["predicate"] == "any"


def test_an_issue_that_breaks_a_predicate_does_not_break_the_run(tmp_path: Path) -> None:
    class Flaky:
        def groups_of(self, account_id: str) -> frozenset[str]:
            raise ConnectionError("directory down")

    rules = ruleset(tmp_path, MKT)
    from bridgeplugin.rules import Context

    verdict = evaluate(rules, Context(issue(project="IT", reporter="dana"), Flaky()))
    assert verdict.marketing_originated is ERROR
    assert verdict.rule("mkt-reporter").outcome is ERROR
    assert "directory down" in verdict.rule("mkt-reporter").reason
