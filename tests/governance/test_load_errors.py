"""Every broken review file is refused with file:line, what is wrong and what would be valid."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from bridgeplugin.errors import RuleFileError
from bridgeplugin.governance import load_policy
from bridgeplugin.rules import load_rules

HEAD = """\
kind: reviews
reviews:
  security:
    groups: [security-reviewers]
"""
CATEGORIES = ["saas", "data", "integration"]


@dataclass
class Bad:
    name: str
    text: str  # appended to HEAD unless it starts with "kind:"
    line: int
    message: tuple[str, ...]
    hint: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.name


CASES = [
    Bad(
        "an unknown key in a review suggests the valid ones",
        "    aprovals: 2\n",
        5,
        ("reviews.security: unknown key 'aprovals'",),
        ("did you mean 'approvals'?", "valid keys: approvals, assignee, description"),
    ),
    Bad(
        "a review naming no group is refused",
        "kind: reviews\nreviews:\n  security:\n    title: Security review\n",
        4,
        ("missing key 'groups'",),
        ("required keys: groups",),
    ),
    Bad(
        "a review with an empty group list is refused",
        "kind: reviews\nreviews:\n  security:\n    groups: []\n",
        4,
        ("reviews.security.groups: must not be empty",),
    ),
    Bad(
        "an unknown predicate lists the valid ones",
        "rules:\n  - name: r\n    if: {taged: true}\n    require: [security]\n",
        7,
        ("rule 'r', if: unknown predicate 'taged'",),
        ("did you mean 'tagged'?", "valid predicates: all, any,", "category_in"),
    ),
    Bad(
        "a rule requiring an unknown review names it and the known ones",
        "rules:\n  - name: r\n    if: {tagged: true}\n    require: [security, legal]\n",
        8,
        ("rule 'r' requires unknown review 'legal'",),
        ("reviews: security",),
    ),
    Bad(
        "a misspelt review is suggested",
        "rules:\n  - name: r\n    if: {tagged: true}\n    require: [securty]\n",
        8,
        ("unknown review 'securty'",),
        ("did you mean 'security'?",),
    ),
    Bad(
        "a rule without require is refused",
        "rules:\n  - name: r\n    if: {tagged: true}\n",
        6,
        ("missing key 'require'",),
    ),
    Bad(
        "an unknown category lists the categories the tagging rules conclude",
        "rules:\n  - name: r\n    if: {category_in: [datta]}\n    require: [security]\n",
        7,
        ("rule 'r', if.category_in[0]: unknown category 'datta'",),
        ("did you mean 'data'?", "saas"),
    ),
    Bad(
        "a waiver without expiry is refused",
        "waivers:\n  emergency:\n    groups: [cio-office, cmo-office]\n",
        7,
        ("waivers.emergency: missing key 'expires_after_days'",),
        ("required keys: expires_after_days, groups",),
    ),
    Bad(
        "a waiver naming no group is refused",
        "waivers:\n  emergency:\n    expires_after_days: 7\n",
        7,
        ("missing key 'groups'",),
    ),
    Bad(
        "a waiver covering an unknown review is refused",
        "waivers:\n  emergency:\n    groups: [cio]\n    expires_after_days: 7\n"
        "    covers: [security, privacy]\n",
        9,
        ("waiver 'emergency' covers unknown review 'privacy'",),
    ),
    Bad(
        "a gate that reverts into a gated status is refused",
        "gate:\n  statuses: [Approved, In Review]\n  revert_to: In Review\n",
        7,
        ("gate.revert_to: revert_to 'In Review' is itself a gated status",),
    ),
    Bad(
        "a gate with nothing to gate is refused",
        "gate:\n  statuses: []\n",
        6,
        ("the gate names no status, category or transition",),
    ),
    Bad(
        "an unknown status category lists the valid ones",
        "gate:\n  categories: [finished]\n",
        6,
        ("gate.categories[0]:", "'finished' is not allowed", "'new', 'indeterminate' or 'done'"),
    ),
    Bad(
        "a per-project gate with an unknown key is refused",
        "gate:\n  projects:\n    MKT: {statusses: [Approved]}\n",
        7,
        ("unknown key 'statusses'",),
        ("did you mean 'statuses'?",),
    ),
    Bad(
        "a resolution that approves and rejects is refused",
        "resolutions:\n  approve: [Approved, Done]\n  reject: [done]\n",
        6,
        ("a resolution cannot both approve and reject: done",),
    ),
    Bad(
        "two reviews with one label are refused",
        "  legal:\n    groups: [legal]\n    label: review-security\n",
        7,
        ("label 'review-security' is also the label of review 'security'",),
    ),
    Bad(
        "a material keyword of several words is refused",
        "material:\n  text: {keywords: [data export]}\n",
        6,
        ("keyword 'data export' has several words",),
    ),
    Bad(
        "approvals must be a number, not text",
        '    approvals: "2"\n',
        5,
        ("reviews.security.approvals: expected a whole number",),
    ),
]


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_broken_review_file_is_refused_by_line(case: Bad, tmp_path: Path) -> None:
    text = case.text if case.text.startswith("kind:") else HEAD + case.text
    path = write(tmp_path / "reviews.yaml", text)
    with pytest.raises(RuleFileError) as caught:
        load_policy(tmp_path, vendors=None, categories=CATEGORIES)
    err = caught.value
    assert (err.path, err.line) == (str(path), case.line), str(err)
    for fragment in case.message:
        assert fragment in err.message, f"{fragment!r} not in {err.message!r}"
    for fragment in case.hint:
        assert fragment in (err.hint or ""), f"{fragment!r} not in {err.hint!r}"


def test_review_predicates_are_refused_in_tagging_files(tmp_path: Path) -> None:
    write(
        tmp_path / "tagging.yaml",
        "kind: tagging\nrules:\n  - name: r\n    if: {tagged: true}\n"
        "    then: {tech_request: true}\n",
    )
    with pytest.raises(RuleFileError) as caught:
        load_rules(tmp_path, vendors=None)
    assert caught.value.line == 4
    assert "tagged reads the tagging verdict, which exists only in kind: reviews" in str(
        caught.value
    )


def test_a_review_defined_in_two_files_names_both_places(tmp_path: Path) -> None:
    first = write(tmp_path / "a.yaml", HEAD)
    second = write(tmp_path / "b.yaml", "kind: reviews\nreviews:\n  security:\n    groups: [x]\n")
    with pytest.raises(RuleFileError) as caught:
        load_policy(tmp_path, vendors=None)
    assert (caught.value.path, caught.value.line) == (str(second), 3)
    assert f"review name 'security' is used twice (first at {first}:3)" in str(caught.value)


def test_the_gate_may_be_written_in_one_file_only(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", HEAD + "gate: {statuses: [Approved]}\n")
    second = write(tmp_path / "b.yaml", "kind: reviews\ngate: {statuses: [Done]}\n")
    with pytest.raises(RuleFileError) as caught:
        load_policy(tmp_path, vendors=None)
    assert (caught.value.path, caught.value.line) == (str(second), 2)
    assert "gate: is written in two review files" in str(caught.value)


def test_a_rule_may_require_a_review_defined_in_another_file(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", HEAD)
    write(
        tmp_path / "b.yaml",
        "kind: reviews\nrules:\n  - name: r\n    if: {tagged: true}\n    require: [security]\n",
    )
    policy = load_policy(tmp_path, vendors=None)
    assert policy is not None
    assert [r.require for r in policy.rules] == [("security",)]


def test_a_directory_without_review_files_is_an_error_unless_optional(tmp_path: Path) -> None:
    write(tmp_path / "tagging.yaml", "kind: tagging\nrules: []\n")
    with pytest.raises(RuleFileError, match="no rule file of kind 'reviews' found"):
        load_policy(tmp_path, vendors=None)
    assert load_policy(tmp_path, vendors=None, required=False) is None


def test_vendor_matching_written_out_needs_the_catalog(tmp_path: Path) -> None:
    write(tmp_path / "reviews.yaml", HEAD + "material:\n  text: {vendors: true}\n")
    with pytest.raises(RuleFileError) as caught:
        load_policy(tmp_path, vendors=None)
    assert caught.value.line == 6
    assert "vendor matching needs the vendor catalog" in str(caught.value)
