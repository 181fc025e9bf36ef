"""vendor: the text mentions a vendor of the catalog (optionally of some categories)."""

from __future__ import annotations

import pytest
from rulekit import (
    ERROR,
    FALSE,
    TRUE,
    Case,
    check,
    compile_predicate,
    context,
    ids,
    issue,
    run_case,
)

from bridgeplugin.rules import VendorCatalog

CASES = [
    Case(
        "a vendor named in the summary is found",
        {"vendor": {}},
        {"summary": "Trial of Sprout Social for the brand team"},
        TRUE,
        reason="summary mentions vendor 'Sprout Social' (category saas)",
    ),
    Case(
        "an alias names the vendor too",
        {"vendor": {}},
        {"description": "Set up GA4 on the microsite"},
        TRUE,
        reason="description mentions 'GA4' (vendor Google Analytics, category tracking)",
    ),
    Case(
        "vendor names match case-insensitively", {"vendor": {}}, {"summary": "hubspot seats"}, TRUE
    ),
    Case(
        "a category filter keeps vendors of that category",
        {"vendor": {"categories": ["tracking"]}},
        {"summary": "Meta Pixel on the landing page"},
        TRUE,
        contains=("Meta Pixel",),
    ),
    Case(
        "a vendor of another category is false and is named",
        {"vendor": {"categories": ["tracking"]}},
        {"summary": "HubSpot seats"},
        FALSE,
        reason="no catalog vendor of category [tracking] in summary or description "
        "(mentions vendor 'HubSpot' (category saas))",
    ),
    Case(
        "categories compare case-insensitively",
        {"vendor": {"categories": ["SaaS"]}},
        {"summary": "HubSpot seats"},
        TRUE,
    ),
    Case(
        "a segment filter keeps vendors of that segment",
        {"vendor": {"segments": ["CRM"]}},
        {"summary": "Sprout Social and HubSpot"},
        TRUE,
        contains=("HubSpot",),
    ),
    Case(
        "no vendor at all is false",
        {"vendor": {}},
        {"summary": "new banner"},
        FALSE,
        reason="no catalog vendor in summary or description",
    ),
    Case(
        "an ambiguous name in lower case is not a vendor",
        {"vendor": {}},
        {"summary": "the drift in conversion numbers"},
        FALSE,
    ),
    Case(
        "an ambiguous name with the catalog's capitals is a vendor",
        {"vendor": {}},
        {"summary": "Chat widget from Drift"},
        TRUE,
    ),
    Case(
        "an ambiguous name near a tech word is a vendor",
        {"vendor": {}},
        {"summary": "connect drift to the crm via api"},
        TRUE,
    ),
    Case(
        "the longer of two overlapping names wins",
        {"vendor": {}},
        {"summary": "Google Analytics dashboard"},
        TRUE,
        reason="summary mentions vendor 'Google Analytics' (category tracking)",
    ),
    Case(
        "in: limits the fields searched",
        {"vendor": {"in": ["summary"]}},
        {"description": "HubSpot"},
        FALSE,
    ),
    Case(
        "a custom field that is not on the issue makes a miss an error",
        {"vendor": {"in": ["Tools"]}},
        {"summary": "HubSpot"},
        ERROR,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_vendor(case: Case, catalog: VendorCatalog) -> None:
    run_case(case, catalog=catalog)


def test_values_carry_the_vendor_and_its_category(catalog: VendorCatalog) -> None:
    result = run_case(CASES[1], catalog=catalog)
    assert result.values == {
        "vendor": "Google Analytics",
        "alias": "GA4",
        "category": "tracking",
        "segment": "analytics",
        "field": "description",
    }


def test_without_a_catalog_in_the_context_the_outcome_is_an_error(
    catalog: VendorCatalog,
) -> None:
    pred = compile_predicate({"vendor": {}}, catalog=catalog)
    result = check(pred, context(issue(summary="HubSpot")))  # no catalog given
    assert result.outcome is ERROR
    assert result.reason == "no vendor catalog was given to the evaluation"
