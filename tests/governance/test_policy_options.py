"""Options of a review file beyond the shipped defaults: mandatory rules, several approvals,
gates per project, by category and by transition, approver groups, material text, --assume."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridgeplugin.errors import InputError
from bridgeplugin.governance import parse_assumptions
from bridgeplugin.governance.facts import RequestFacts

from .kit import (
    approved_request_log,
    check,
    closed,
    day,
    entry,
    facts,
    moved,
    policy_text,
    request,
    shipped,
    sub_task,
    tagged,
)

REVIEWS = """\
kind: reviews
reviews:
  security: {groups: [security-reviewers]}
  privacy: {groups: [security-reviewers], label: review-privacy}
"""


def test_a_mandatory_rule_on_a_missing_field_requires_its_review_and_says_why(
    tmp_path: Path,
) -> None:
    policy = policy_text(
        REVIEWS
        + """\
rules:
  - name: personal-data
    if: {field: Data categories, contains: contact-details}
    require: [privacy]
    mandatory: true
""",
        tmp_path,
    )
    req = request(status="In Review", custom={"Vendor": "X"})  # no "Data categories" loaded
    verdict = check(policy, facts(req))
    (rule,) = verdict.rules
    assert rule.applies and rule.outcome.value == "error"
    assert rule.reason == (
        "could not decide (field 'Data categories' is not on the issue (not loaded, or no such "
        "field)); the rule is mandatory, so it requires privacy"
    )
    assert verdict.review("privacy").state == "pending"
    assert verdict.review("privacy").required_by == ("personal-data",)
    assert [m.name for m in verdict.missing] == ["privacy"]


def test_the_same_rule_not_mandatory_is_skipped_visibly(tmp_path: Path) -> None:
    policy = policy_text(
        REVIEWS
        + """\
rules:
  - name: personal-data
    if: {field: Data categories, contains: contact-details}
    require: [privacy]
""",
        tmp_path,
    )
    verdict = check(policy, facts(request(status="In Review", custom={})))
    (rule,) = verdict.rules
    assert not rule.applies
    assert rule.reason.endswith("not mandatory, so skipped")
    assert verdict.review("privacy").state == "not_required"
    assert verdict.allowed


def test_a_rule_true_on_the_category_requires_its_review(tmp_path: Path) -> None:
    policy = policy_text(
        REVIEWS
        + """\
rules:
  - name: exports
    if: {category_in: [data]}
    require: [privacy]
""",
        tmp_path,
    )
    assert check(policy, facts(request(), tag=tagged(category="data"))).review("privacy").required
    assert not check(policy, facts(request(), tag=tagged())).review("privacy").required


def test_two_approvals_need_two_different_members(tmp_path: Path) -> None:
    policy = policy_text(
        """\
kind: reviews
reviews:
  security: {groups: [security-reviewers], approvals: 2}
rules:
  - {name: all, if: {tagged: true}, require: [security]}
""",
        tmp_path,
    )
    req = request()
    a, b = sub_task("MKT-3", "security"), sub_task("MKT-4", "security", created=day(2))

    def with_closers(first: str, second: str) -> RequestFacts:
        logs = {
            req.id: approved_request_log(),
            a.id: [closed(first, day(9))],
            b.id: [closed(second, day(10))],
        }
        return facts(req, subs=[a, b], logs=logs)

    same = check(policy, with_closers("marcus", "marcus")).review("security")
    assert same.state == "pending"
    assert "1 of 2 approvals" in same.reason
    two = check(policy, with_closers("marcus", "ingrid")).review("security")
    assert two.state == "given"
    assert [p.name for p in two.by] == ["Marcus", "Ingrid"]


GATED = """\
kind: reviews
reviews:
  security: {groups: [security-reviewers]}
rules:
  - {name: all, if: {tagged: true}, require: [security]}
gate:
  statuses: [Approved]
  revert_to: In Review
  projects:
    WEB:
      statuses: []  # replaces [Approved]; keys left out are inherited (revert_to, ...)
      categories: [done]
      transitions: [{from: [Backlog], to: Building}]
      revert_to: Backlog
      approvers: [web-leads]
"""


@pytest.mark.parametrize(
    ("key", "status", "log", "active", "revert_to"),
    [
        ("MKT-1", "Approved", [moved("priya", day(2), "Approved", "In Review")], True, "In Review"),
        ("MKT-1", "Approved", [], True, "In Review"),  # no history: the fallback
        ("MKT-1", "In Review", [], False, None),
        ("WEB-1", "Approved", [], False, None),  # WEB's statuses replace the file-wide ones
        ("WEB-1", "Done", [moved("priya", day(2), "Done", "Testing")], True, "Testing"),
        ("WEB-1", "Building", [moved("priya", day(2), "Building", "Backlog")], True, "Backlog"),
        ("WEB-1", "Building", [moved("priya", day(2), "Building", "Design")], False, None),
    ],
)
def test_the_gate_per_project(tmp_path, key, status, log, active, revert_to) -> None:
    policy = policy_text(GATED, tmp_path)
    req = request(key, status=status)
    verdict = check(policy, facts(req, logs={req.id: log}))
    assert verdict.gate.active is active, verdict.gate.reason
    assert verdict.gate.revert_to == revert_to
    if active:
        assert verdict.enforcement.revert is not None
        assert verdict.enforcement.revert.to_status == revert_to


def test_a_gate_with_approver_groups_refuses_others(tmp_path: Path) -> None:
    policy = policy_text(GATED, tmp_path)
    req = request("WEB-1", status="Done")
    verdict = check(policy, facts(req, logs={req.id: [moved("priya", day(2), "Done", "Testing")]}))
    assert verdict.gate.approval_counts is False
    assert [m.name for m in verdict.missing] == ["security", "approval"]
    assert "approved by Priya, who is not in web-leads" in verdict.missing[-1].reason


def test_coming_from_another_gated_status_goes_back_to_the_fallback(tmp_path: Path) -> None:
    policy = policy_text(
        GATED.replace("statuses: [Approved]", "statuses: [Approved, Signed]"), tmp_path
    )
    req = request(status="Approved")
    verdict = check(
        policy, facts(req, logs={req.id: [moved("priya", day(2), "Approved", "Signed")]})
    )
    assert (verdict.gate.revert_to, verdict.gate.revert_source) == ("In Review", "fallback")


def test_a_vendor_appearing_in_the_summary_lapses_the_review(tmp_path: Path) -> None:
    (tmp_path / "vendors.yaml").write_text(
        "vendors:\n  - {name: HubSpot, category: saas}\n  - {name: Zapier, category: integration}\n"
    )
    policy = policy_text(
        """\
kind: reviews
reviews:
  security: {groups: [security-reviewers]}
rules:
  - {name: all, if: {tagged: true}, require: [security]}
material:
  text: {in: [summary], vendors: true, keywords: [export]}
""",
        tmp_path,
        vendors=True,
    )
    req = request()
    sec = sub_task("MKT-3", "security")

    def after(old: str, new: str) -> RequestFacts:
        log = [*approved_request_log(), entry("mateo", day(21), ("summary", old, new))]
        return facts(req, subs=[sec], logs={req.id: log, sec.id: [closed("marcus", day(10))]})

    lapsed = check(policy, after("Sync HubSpot leads", "Sync HubSpot leads via Zapier"))
    assert lapsed.review("security").state == "lapsed"
    assert "in summary: vendor 'Zapier' appeared" in lapsed.review("security").reason
    reworded = check(policy, after("Sync HubSpot leads", "Sync leads from HubSpot, weekly"))
    assert reworded.review("security").state == "given"
    keyword = check(policy, after("Sync HubSpot leads", "Export HubSpot leads"))
    assert "keyword 'export' appeared" in keyword.review("security").reason


# -- --assume ------------------------------------------------------------------------------------


def test_assuming_a_review_approved_simulates_the_verdict() -> None:
    policy = shipped()
    req = request()
    integ = sub_task("MKT-2", "integration")
    f = facts(
        req,
        subs=[integ],
        logs={req.id: approved_request_log(), integ.id: [closed("grace", day(8))]},
    )
    assert not check(policy, f).allowed
    verdict = check(policy, f, assume=parse_assumptions(["security=approved"], policy))
    assert verdict.allowed
    assert verdict.review("security").assumed
    assert verdict.review("security").reason.startswith(
        "assumed given (--assume); in Jira: pending"
    )
    assert verdict.assumed == ("security=approved",)
    assert verdict.enforcement.revert is None


def test_assuming_a_status_shows_what_the_gate_would_do() -> None:
    policy = shipped()
    req = request(status="In Review")
    assert not check(policy, facts(req)).gate.active
    verdict = check(policy, facts(req), assume=parse_assumptions(["status=Approved"], policy))
    assert verdict.gate.active and verdict.gate.came_from == "In Review"
    assert verdict.violation
    assert verdict.enforcement.revert is not None
    assert verdict.enforcement.revert.to_status == "In Review"


def test_assuming_a_waiver_active_lets_it_through() -> None:
    policy = shipped()
    req = request()
    f = facts(req, logs={req.id: approved_request_log()})
    verdict = check(policy, f, assume=parse_assumptions(["waiver.emergency=active"], policy))
    assert verdict.allowed
    assert {r.waived_by for r in verdict.reviews} == {"emergency"}


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("secruity=approved", "unknown review 'secruity'"),
        ("security", "expected NAME=VALUE"),
        ("security=maybe", "unknown state 'maybe'"),
        ("waiver.nope=active", "unknown waiver 'nope'"),
        ("waiver.emergency=later", "active or expired"),
    ],
)
def test_bad_assumptions_are_usage_errors(item: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_assumptions([item], shipped())
    assert message in str(caught.value)
    assert caught.value.exit_code == 2
