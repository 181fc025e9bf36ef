"""The public API of bridgeplugin.governance is what __all__ says; changing it is deliberate."""

from __future__ import annotations

from pathlib import Path

import bridgeplugin.governance as governance
from bridgeplugin.governance import categories_of, load_policy
from bridgeplugin.tagging import Tagger

ROOT = Path(__file__).resolve().parents[2]

PUBLIC = [
    "STATES",
    "Approval",
    "Assumptions",
    "Change",
    "CommentInputs",
    "Enforcement",
    "GateVerdict",
    "Missing",
    "Person",
    "Policy",
    "RequestFacts",
    "Revert",
    "Review",
    "ReviewRule",
    "ReviewToCreate",
    "ReviewToReopen",
    "ReviewVerdict",
    "RuleVerdict",
    "Verdict",
    "WaiverDef",
    "WaiverVerdict",
    "categories_of",
    "evaluate",
    "load_policy",
    "parse_assumptions",
    "recorded_reviews",
]


def test_all_is_locked() -> None:
    assert governance.__all__ == PUBLIC
    for name in PUBLIC:
        assert getattr(governance, name) is not None, name


def test_the_shipped_review_file_loads_with_the_shipped_tagging_categories() -> None:
    tagger = Tagger.load(ROOT / "rules")
    policy = load_policy(ROOT / "rules", categories=categories_of(tagger.rules))
    assert policy is not None
    assert list(policy.reviews) == ["integration", "security"]
    assert {r.name: r.groups for r in policy.reviews.values()} == {
        "integration": ("it-architecture",),
        "security": ("security-reviewers",),
    }
    assert [r.name for r in policy.rules] == ["marketing-technology"]
    assert policy.rules[0].mandatory
    assert policy.gate.default.statuses == ("Approved",)
    assert policy.gate.default.revert_to == "In Review"
    assert policy.waivers["emergency"].expires_after_days == 14
    assert policy.groups() == {"it-architecture", "security-reviewers", "cio-office", "cmo-office"}


def test_the_tagging_loader_skips_the_review_file() -> None:
    tagger = Tagger.load(ROOT / "rules")
    assert all(not f.endswith("reviews.yaml") for f in tagger.rules.files)
