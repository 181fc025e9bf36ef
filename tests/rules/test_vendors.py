"""The vendor catalog: strict loading, fast whole-word matching, ambiguous names."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridgeplugin.errors import RuleFileError
from bridgeplugin.rules import VendorCatalog, catalog_from_data, load_vendors

MATCH_CASES = [
    (
        "a vendor name is found whole and case-insensitively",
        "we pay for sprout social",
        [("Sprout Social", "Sprout Social")],
    ),
    ("an alias finds its vendor", "Connect the hub-spot CRM", [("HubSpot", "Hub Spot")]),
    ("a name inside a word is not a vendor", "sproutsocialize the team", []),
    (
        "the longer name wins where two overlap",
        "Google Analytics and Google Docs",
        [("Google Analytics", "Google Analytics"), ("Google", "Google")],
    ),
    ("the shorter name alone still matches", "ask Google", [("Google", "Google")]),
    (
        "a name inside a longer match is not matched again",
        "Google Analytics reports",
        [("Google Analytics", "Google Analytics")],
    ),
    (
        "the same name outside the longer match is matched",
        "Google Analytics, then Analytics",
        [("Google Analytics", "Google Analytics"), ("Analytics", "Analytics")],
    ),
    (
        "a vendor named twice is reported once",
        "HubSpot seats, more HubSpot",
        [("HubSpot", "HubSpot")],
    ),
    (
        "vendors come in order of first mention",
        "GA4 then Meta Pixel then HubSpot",
        [("Google Analytics", "GA4"), ("Meta Pixel", "Meta Pixel"), ("HubSpot", "HubSpot")],
    ),
    ("an ambiguous name in other case is a word", "let the segment drift", []),
    (
        "an ambiguous name in the catalog's case is a vendor",
        "send events to Segment",
        [("Segment", "Segment")],
    ),
    (
        "an ambiguous name near a tech word is a vendor",
        "drift chat widget on the site",
        [("Drift", "Drift")],
    ),
    ("a tech word six words away is too far", "drift a b c d e widget", []),
]


@pytest.mark.parametrize(
    ("text", "found"), [c[1:] for c in MATCH_CASES], ids=[c[0] for c in MATCH_CASES]
)
def test_find(text: str, found: list[tuple[str, str]], catalog: VendorCatalog) -> None:
    assert [(m.vendor, m.alias) for m in catalog.find_text(text)] == found


def test_a_match_carries_category_and_segment(catalog: VendorCatalog) -> None:
    (match,) = catalog.find_text("GA4")
    assert (match.category, match.segment) == ("tracking", "analytics")
    assert match.describe() == "'GA4' (vendor Google Analytics, category tracking)"


def test_the_catalog_knows_its_categories_and_segments(catalog: VendorCatalog) -> None:
    assert catalog.categories == {"saas", "tracking", "data"}
    assert "CRM" in catalog.segments
    assert catalog.get("hubspot") is not None and catalog.get("nope") is None


def test_the_catalog_may_name_its_own_tech_words(tmp_path: Path) -> None:
    path = tmp_path / "vendors.yaml"
    path.write_text(
        "kind: vendors\ntech_words: [banner]\nvendors:\n"
        "  - {name: Drift, category: saas, ambiguous: true}\n"
    )
    catalog = load_vendors(path)
    assert [m.vendor for m in catalog.find_text("drift banner")] == ["Drift"]
    assert catalog.find_text("drift api") == ()


def test_a_bare_list_is_a_catalog_too(tmp_path: Path) -> None:
    path = tmp_path / "vendors.yaml"
    path.write_text("- name: HubSpot\n  category: saas\n")
    assert [v.name for v in load_vendors(path).vendors] == ["HubSpot"]


BAD_CATALOGS = [
    (
        "an unknown key is refused with a suggestion",
        "vendors:\n  - name: A\n    category: saas\n    aliasses: [a]\n",
        4,
        "vendors[0]: unknown key 'aliasses' (did you mean 'aliases'?",
    ),
    (
        "a name two vendors share is refused",
        "vendors:\n  - {name: Hub, category: saas}\n  - name: HubSpot\n    aliases: [hub]\n"
        "    category: saas\n",
        4,
        "'hub' of 'HubSpot' also names 'Hub' (as 'Hub')",
    ),
    (
        "a vendor without a category is refused",
        "vendors:\n  - name: A\n",
        2,
        "vendors[0]: missing key 'category'",
    ),
    (
        "ambiguous takes true or false",
        "vendors:\n  - {name: A, category: b, ambiguous: maybe}\n",
        2,
        "expected true or false, got 'maybe'",
    ),
    (
        "a name without letters is refused",
        "vendors:\n  - {name: '++', category: saas}\n",
        2,
        "'++' has no letters or digits to match",
    ),
]


@pytest.mark.parametrize(
    ("text", "line", "message"), [c[1:] for c in BAD_CATALOGS], ids=[c[0] for c in BAD_CATALOGS]
)
def test_a_broken_catalog_is_refused_with_its_line(
    text: str, line: int, message: str, tmp_path: Path
) -> None:
    path = tmp_path / "vendors.yaml"
    path.write_text(text)
    with pytest.raises(RuleFileError) as caught:
        load_vendors(path)
    assert str(caught.value).startswith(f"{path}:{line}: "), str(caught.value)
    assert message in str(caught.value)


def test_the_catalog_version_changes_with_its_content() -> None:
    a = catalog_from_data([{"name": "A", "category": "saas"}])
    b = catalog_from_data([{"name": "A", "category": "data"}])
    again = catalog_from_data("vendors:\n  - name: A      # comment\n    category: saas\n")
    assert a.version != b.version
    assert a.version == again.version
