"""Text matching: tokens, whole words, phrases, prefixes, regex pre-checks."""

from __future__ import annotations

import re

import pytest

from bridgeplugin.rules.text import (
    Regex,
    TermError,
    Terms,
    TextView,
    required_literals,
    show_list,
    tokenize,
)


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Add the Meta pixel!", ["Add", "the", "Meta", "pixel"]),
        ("Tag-Manager, e-mail & API_key", ["Tag", "Manager", "e", "mail", "API", "key"]),
        ("  spaces\tand\nnewlines  ", ["spaces", "and", "newlines"]),
        ("Données clients \u2013 réunion", ["Données", "clients", "réunion"]),
        ("€4,500/year", ["4", "500", "year"]),
        ("", []),
    ],
    ids=[
        "words are split on spaces and punctuation",
        "hyphens and underscores split words",
        "any whitespace separates words",
        "letters outside ASCII are letters",
        "symbols are separators, digits are words",
        "an empty text has no words",
    ],
)
def test_tokenize(text: str, tokens: list[str]) -> None:
    assert tokenize(text) == tokens


def test_a_view_lower_cases_its_tokens_and_keeps_the_raw_text() -> None:
    view = TextView("Install Google Tag-Manager")
    assert view.tokens == ["install", "google", "tag", "manager"]
    assert view.norm == " install google tag manager "
    assert view.orig_norm == " Install Google Tag Manager "
    assert view.raw == "Install Google Tag-Manager"


TERMS = Terms(["pixel", "tag manager", "integrat*", "api key*", "e-mail"])

FIND_CASES = [
    ("a keyword matches a whole word", "new Pixel on the site", ["pixel"]),
    ("a keyword does not match inside a word", "pixelated pixels", []),
    ("a phrase matches consecutive words", "Tag  Manager container", ["tag manager"]),
    ("a phrase does not match split words", "tag the manager", []),
    ("a prefix matches longer words", "Integration with the CRM", ["integrat*"]),
    ("a prefix in a phrase matches its last word", "rotate the API keys", ["api key*"]),
    ("a hyphenated keyword matches with or without the hyphen", "send an e mail", ["e-mail"]),
    ("matches are listed in the order of the rule", "e-mail + pixel", ["pixel", "e-mail"]),
]


@pytest.mark.parametrize(
    ("text", "found"), [c[1:] for c in FIND_CASES], ids=[c[0] for c in FIND_CASES]
)
def test_terms_find(text: str, found: list[str]) -> None:
    view = TextView(text)
    assert TERMS.find(view) == found
    assert TERMS.any(view) is bool(found)


def test_case_sensitive_terms_compare_the_original_case() -> None:
    terms = Terms(["Segment", "Drift*"], case_sensitive=True)
    assert terms.find(TextView("events to Segment via Drifting")) == ["Segment", "Drift*"]
    assert terms.find(TextView("a customer segment drifts")) == []


@pytest.mark.parametrize(
    ("terms", "message"),
    [
        (["pixel", "PIXEL"], "'PIXEL' matches the same words as 'pixel'"),
        (["***"], "only a trailing *"),
        (["..."], "has no letters or digits"),
    ],
    ids=["duplicates are refused", "inner stars are refused", "punctuation only is refused"],
)
def test_terms_refuse_what_cannot_match(terms: list[str], message: str) -> None:
    with pytest.raises(TermError, match=re.escape(message)) as caught:
        Terms(terms)
    assert caught.value.index == len(terms) - 1


LITERAL_CASES = [
    ("a literal between word boundaries is required", r"\bsso\b", (("sso",),)),
    ("a literal prefix is required", r"utm_[a-z]+", (("utm_",),)),
    ("one of a group's alternatives is required", r"\b(api|sdk)s?\b", (("api", "sdk"),)),
    (
        "every required group is kept, most selective first",
        r"\b(give|grant)\b[^.?!]{0,40}\b(access|admin)\b",
        (("access", "admin"), ("give", "grant")),
    ),
    ("an optional part is not required", r"(foo)?bar", (("bar",),)),
    ("a repeated literal is required", r"(ab)+c", (("ab",),)),
    ("a character class has no literal", r"[a-z]+", None),
    ("one letter is not worth checking", r"a\d+", None),
    ("a rare symbol is worth checking", r"\w\s*(->|\u2192)\s*\w", (("->", "\u2192"),)),
    ("an alternative without a literal spoils the group", r"api|\d+", None),
    ("a part with scoped flags requires nothing", r"(?i:Foo)bar", (("bar",),)),
    (
        "literals around parts with scoped flags are still required",
        r"\b(?-i:[A-Z])[\w.]*\s*(->|=>)\s*(?-i:[A-Z])",
        (("->", "=>"),),
    ),
]


@pytest.mark.parametrize(
    ("pattern", "literals"), [c[1:] for c in LITERAL_CASES], ids=[c[0] for c in LITERAL_CASES]
)
def test_required_literals(pattern: str, literals: tuple[tuple[str, ...], ...] | None) -> None:
    assert required_literals(pattern) == literals


PATTERNS = [
    r"\bsso\b",
    r"utm_[a-z]+",
    r"\b(api|sdk)s?\b",
    r"SSO",
    r"(?i)Foo",
    r"k\w+",
    "x{2}yz",
    r"\b(give|grant)\b[^.]{0,20}\b(access|admin)\b",
    r"\w\s*(->|\u2192)\s*\w",
    r"(?i:Foo)bar",
    r"\b(?-i:[A-Z])\w*\s*->\s*(?-i:[A-Z])",
]
TEXTS = [
    "SSO login",
    "sso",
    "Single sign-on",
    "link?utm_source=x",
    "The SDKs",
    "FOO bar",
    "\u212aelvin",  # KELVIN SIGN: matches k under IGNORECASE
    "\u017fso",  # LATIN SMALL LETTER LONG S: matches s under IGNORECASE
    "xxyz",
    "please grant me admin",
    "grant it. admin later",
    "admin access, give",
    "CRM \u2192 ERP",
    "crm -> erp",
    "recieve -> receive",
    "Foobar fooBAR",
    "",
]


@pytest.mark.parametrize("case_sensitive", [False, True], ids=["ignoring case", "with case"])
@pytest.mark.parametrize("pattern", PATTERNS)
def test_the_pre_check_never_changes_what_a_regex_finds(pattern: str, case_sensitive: bool) -> None:
    rx = Regex(pattern, case_sensitive=case_sensitive)
    flags = 0 if case_sensitive else re.IGNORECASE
    for text in TEXTS:
        expected = re.search(pattern, text, flags) is not None
        assert rx.search(TextView(text)) is expected, (pattern, text)


def test_show_list_keeps_a_reason_on_one_line() -> None:
    assert show_list(["a", "b"]) == "[a, b]"
    assert show_list([str(i) for i in range(10)], limit=3) == "[0, 1, 2, … 7 more]"
