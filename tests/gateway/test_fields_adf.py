"""The pure helpers: field-name resolution and ADF <-> text."""

from __future__ import annotations

import pytest

from bridgeplugin.adf import adf_to_text, text_to_adf
from bridgeplugin.errors import FieldNameError
from bridgeplugin.fields import FieldCatalog
from bridgeplugin.model import FieldInfo

CATALOG = FieldCatalog(
    [
        FieldInfo(id="summary", name="Summary"),
        FieldInfo(id="customfield_1", name="Cost", custom=True),
        FieldInfo(id="customfield_2", name="Budget owner", custom=True),
        FieldInfo(id="customfield_3", name="Team", custom=True),
        FieldInfo(id="customfield_4", name="Team", custom=True),
        FieldInfo(id="customfield_5", name="Risk", custom=True),
        FieldInfo(id="customfield_6", name="risk", custom=True),
    ]
)


@pytest.mark.parametrize(
    ("asked", "found"),
    [
        ("Cost", "customfield_1"),
        ("cost", "customfield_1"),
        ("  Budget Owner ", "customfield_2"),
        ("customfield_3", "customfield_3"),
        ("summary", "summary"),
        ("Risk", "customfield_5"),  # two case-insensitive matches, one exact
    ],
)
def test_a_field_is_found_by_exact_name_or_id(asked: str, found: str) -> None:
    assert CATALOG.resolve(asked).id == found


def test_two_fields_with_one_name_are_ambiguous() -> None:
    with pytest.raises(FieldNameError) as info:
        CATALOG.resolve("team")
    assert info.value.ambiguous
    assert info.value.candidates == ["Team (customfield_3)", "Team (customfield_4)"]
    assert "customfield_NNNNN" in str(info.value)


def test_an_unknown_name_lists_close_matches() -> None:
    with pytest.raises(FieldNameError) as info:
        CATALOG.resolve("Budget ownr")
    assert info.value.candidates == ["Budget owner"]


def test_an_unknown_id_is_an_error_without_guesses() -> None:
    with pytest.raises(FieldNameError) as info:
        CATALOG.resolve("customfield_999")
    assert info.value.candidates == []


@pytest.mark.parametrize(
    "text",
    ["one line", "two\nlines", "para one\n\npara two", "a\n\nb\nc\n\nd", ""],
)
def test_text_survives_a_round_trip_through_adf(text: str) -> None:
    assert adf_to_text(text_to_adf(text)) == text


def test_adf_is_flattened_to_what_a_person_reads() -> None:
    doc = {
        "type": "doc",
        "version": 1,
        "content": [
            {
                "type": "heading",
                "attrs": {"level": 2},
                "content": [{"type": "text", "text": "Why"}],
            },
            {
                "type": "paragraph",
                "content": [
                    {"type": "text", "text": "Ask ", "marks": [{"type": "strong"}]},
                    {"type": "mention", "attrs": {"id": "u1", "text": "@Alice"}},
                    {"type": "text", "text": " about "},
                    {"type": "inlineCard", "attrs": {"url": "https://vendor.example"}},
                ],
            },
            {
                "type": "bulletList",
                "content": [
                    {
                        "type": "listItem",
                        "content": [
                            {"type": "paragraph", "content": [{"type": "text", "text": "pixels"}]}
                        ],
                    },
                    {
                        "type": "listItem",
                        "content": [
                            {"type": "paragraph", "content": [{"type": "text", "text": "CRM"}]}
                        ],
                    },
                ],
            },
        ],
    }
    assert adf_to_text(doc) == ("Why\n\nAsk @Alice about https://vendor.example\n\n- pixels\n- CRM")


def test_plain_text_and_none_pass_through() -> None:
    assert adf_to_text("wiki *markup*") == "wiki *markup*"
    assert adf_to_text(None) == ""
