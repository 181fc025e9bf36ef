"""Keys, the strict loader of epics.yaml (file:line errors) and the site checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridgeplugin.epics.keys import MAX_KEY, initiative_key, initiative_label, key_of_label
from bridgeplugin.epics.load import load_epic_rules, read_epic_rules, site_problems
from bridgeplugin.errors import RuleFileError

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Customer data platform", "customer-data-platform"),
        ("  Customer  Data-Platform ", "customer-data-platform"),
        ("Autumn campaign 2026", "autumn-campaign-2026"),
        ("Été 2026: Relaunch!", "ete-2026-relaunch"),
    ],
)
def test_keys_are_normalised(name: str, key: str) -> None:
    assert initiative_key(name) == key


def test_long_names_are_cut_and_hashed_distinctly() -> None:
    a = initiative_key("Replatforming of the customer loyalty programme, phase one")
    b = initiative_key("Replatforming of the customer loyalty programme, phase two")
    assert len(a) <= MAX_KEY and len(b) <= MAX_KEY and a != b
    assert a.startswith("replatforming-of-the")
    assert initiative_key("Replatforming of the customer loyalty programme, phase one") == a


def test_names_without_latin_letters_still_get_a_stable_key() -> None:
    assert initiative_key("顧客データ") == initiative_key("顧客データ ")
    assert initiative_key("顧客データ") != initiative_key("広告")
    assert initiative_key("顧客データ").startswith("i-")


def test_labels_carry_the_key() -> None:
    label = initiative_label("cdp")
    assert label == "bridge-initiative-cdp"
    assert key_of_label(("marketing", label)) == "cdp"
    assert key_of_label(("bridge-initiative-",)) is None


def test_the_shipped_file_loads_and_is_off() -> None:
    rules = load_epic_rules(ROOT / "rules")
    assert rules.enabled is False
    assert rules.spec.epic.issue_type == "Epic"
    assert [i.id for i in rules.spec.checklist.categories["saas"]] == [
        "sso",
        "security-questionnaire",
        "dpa",
        "offboarding",
    ]


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("kind: tagging\n", 1, "not an epics file"),
        ("kind: epics\nepik: {}\n", 2, "epik"),
        ("kind: epics\nwhen: [shared, sometimes]\n", 2, "when"),
        ("kind: epics\nepic:\n  project: it\n", 3, "project key"),
        ("kind: epics\ninitiative:\n  field: null\n", 3, "exactly one"),
        (
            "kind: epics\nchecklist:\n  categories:\n    saas:\n      - {id: sso, title: A}\n"
            "      - {id: sso, title: B}\n",
            6,
            "appears twice",
        ),
        (
            "kind: epics\nchecklist:\n  categories:\n    saas:\n      - {id: SSO!, title: A}\n",
            5,
            "id",
        ),
    ],
)
def test_loader_errors_name_file_and_line(text: str, line: int, words: str) -> None:
    with pytest.raises(RuleFileError) as caught:
        read_epic_rules(text, "epics.yaml")
    assert caught.value.line == line, str(caught.value)
    assert words in str(caught.value)
    assert str(caught.value).startswith(f"epics.yaml:{line}:")


def test_a_project_without_an_epic_type_is_a_site_problem() -> None:
    rules = read_epic_rules(
        "kind: epics\nepic:\n  project: MKT\n  issue_type: Epic\nchecklist:\n  project: IT\n"
        "  categories:\n    saas: [{id: sso, title: SSO setup}]\n",
        "epics.yaml",
    )
    problems = site_problems(rules, {"MKT": ["Task", "Sub-task"], "IT": ["Story", "Epic"]}, "IT")
    assert len(problems) == 1
    assert problems[0].line == 4
    assert "project MKT has no issue type 'Epic'" in str(problems[0])
    missing = site_problems(rules, {"IT": ["Story", "Epic"]}, "IT")
    assert [p.line for p in missing] == [3]
    assert "does not exist" in str(missing[0])
    assert site_problems(rules, {"MKT": ["Epic"], "IT": ["Story"]}, "IT") == []


def test_counts_if_is_parsed_by_the_rule_engine_with_lines() -> None:
    rules = read_epic_rules("kind: epics\ncounts_if:\n  not: {status_in: [Done]}\n", "e.yaml")
    assert rules.counts_if is not None
    assert rules.names().get("statuses") == {"Done"}
    with pytest.raises(RuleFileError) as caught:
        read_epic_rules("kind: epics\ncounts_if:\n  projekt_in: [MKT]\n", "e.yaml")
    assert caught.value.line == 3 and "project_in" in str(caught.value)
