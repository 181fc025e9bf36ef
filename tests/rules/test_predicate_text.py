"""text: keywords, phrases or regexes in summary/description (or named custom fields)."""

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

TRACKING = {"text": {"keywords": ["pixel", "cookie*"], "phrases": ["tag manager"]}}

CASES = [
    Case(
        "a keyword in the summary is found",
        TRACKING,
        {"summary": "Add the Meta pixel"},
        TRUE,
        reason="summary mentions keyword 'pixel'",
    ),
    Case("keywords are case-insensitive", TRACKING, {"summary": "PIXEL for the campaign"}, TRUE),
    Case(
        "a keyword inside another word is not found",
        TRACKING,
        {"summary": "Pixelated banner images"},
        FALSE,
        reason="no keyword of [pixel, cookie*] or phrase of [tag manager] in summary or "
        "description",
    ),
    Case(
        "a trailing star matches a word prefix",
        TRACKING,
        {"description": "Update the cookies banner"},
        TRUE,
        reason="description mentions keyword 'cookie*'",
    ),
    Case(
        "a phrase matches across punctuation and spacing",
        TRACKING,
        {"description": "Install Google Tag-Manager\non the site"},
        TRUE,
        reason="description mentions phrase 'tag manager'",
    ),
    Case(
        "a phrase needs its words next to each other",
        TRACKING,
        {"description": "tag the manager in the thread"},
        FALSE,
    ),
    Case(
        "the summary is searched before the description",
        TRACKING,
        {"summary": "new pixel", "description": "and a cookie banner"},
        TRUE,
        reason="summary mentions keyword 'pixel'",
    ),
    Case(
        "several matches in one field are all named in rule order",
        TRACKING,
        {"description": "tag manager container and pixel"},
        TRUE,
        reason="description mentions 'pixel', 'tag manager'",
    ),
    Case("no text at all is false", TRACKING, {}, FALSE),
    Case(
        "a regex matches case-insensitively on the raw text",
        {"text": {"regex": [r"utm_[a-z]+="]}},
        {"description": "link?UTM_source=x"},
        TRUE,
        reason="description mentions /utm_[a-z]+=/",
    ),
    Case(
        "a case-sensitive regex respects case",
        {"text": {"regex": ["SSO"], "case_sensitive": True}},
        {"summary": "sso login"},
        FALSE,
    ),
    Case(
        "a case-sensitive keyword respects case",
        {"text": {"keywords": ["Segment"], "case_sensitive": True}},
        {"summary": "Send events to Segment"},
        TRUE,
    ),
    Case(
        "a case-sensitive keyword does not match other case",
        {"text": {"keywords": ["Segment"], "case_sensitive": True}},
        {"summary": "a new customer segment"},
        FALSE,
    ),
    Case(
        "in: limits the fields searched",
        {"text": {"keywords": ["pixel"], "in": ["summary"]}},
        {"description": "pixel"},
        FALSE,
        reason="no keyword of [pixel] in summary",
    ),
    Case(
        "in: may name a custom field",
        {"text": {"phrases": ["customer data"], "in": ["Justification"]}},
        {"custom": {"Justification": "we send customer data to the vendor"}},
        TRUE,
        reason="Justification mentions phrase 'customer data'",
    ),
    Case(
        "a custom field that is not on the issue makes a miss an error",
        {"text": {"keywords": ["pixel"], "in": ["summary", "Justification"]}},
        {"summary": "new banner"},
        ERROR,
        contains=("'Justification' is not on the issue",),
    ),
    Case(
        "a match elsewhere wins over a missing custom field",
        {"text": {"keywords": ["pixel"], "in": ["Justification", "summary"]}},
        {"summary": "new pixel"},
        TRUE,
    ),
    Case(
        "non-ASCII text is tokenised too",
        {"text": {"phrases": ["données clients"]}},
        {"description": "Export des Données-clients vers l'outil"},
        TRUE,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_text(case: Case) -> None:
    run_case(case)


def test_the_fields_are_tokenised_once_per_issue() -> None:
    pred = compile_predicate(TRACKING)
    other = compile_predicate({"text": {"keywords": ["crm"]}})
    ctx = context(issue(summary="crm", description="nothing"))
    check(pred, ctx)
    view = ctx.text("summary")
    check(other, ctx)
    assert ctx.text("summary") is view


def test_values_say_where_and_what_matched() -> None:
    result = run_case(CASES[0])
    assert result.values == {"field": "summary", "terms": ["pixel"], "regex": []}
