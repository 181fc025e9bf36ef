"""Every shipped comment template renders; the marker line is the code's, not the template's."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridgeplugin.config import shipped_dir
from bridgeplugin.errors import ConfigError
from bridgeplugin.model import Comment
from bridgeplugin.render import (
    TAGGED_MARKER,
    UNTAGGED_MARKER,
    Renderer,
    last_marker,
    marker_of,
)

REASONS = ("mkt: reporter Dana is in group marketing", "vendor: summary mentions 'HubSpot'")


def tagging(renderer: Renderer) -> str:
    return renderer.tagging_comment(
        key="MKT-1",
        category="saas",
        reasons=REASONS,
        label="marketing-tech-request",
        rules_version="0123456789abcdef",
    )


def test_every_shipped_template_is_rendered_here() -> None:
    shipped = {p.name for p in shipped_dir("templates").glob("*.j2")}
    assert {"tagging_comment.txt.j2", "untagging_comment.txt.j2"} <= shipped
    renderer = Renderer()
    assert tagging(renderer)
    for change in ("removed", "kept", "absent"):
        text = renderer.untagging_comment(
            key="MKT-1",
            label="marketing-tech-request",
            label_change=change,  # type: ignore[arg-type]
            reasons=REASONS,
            rules_version="0123456789abcdef",
        )
        assert text.startswith(UNTAGGED_MARKER + "\n\n")
        assert "0123456789ab" in text and "marketing-tech-request" in text


def test_the_tagging_comment_says_why_and_what_happens_next() -> None:
    text = tagging(Renderer())
    lines = text.splitlines()
    assert lines[0] == f"{TAGGED_MARKER} (saas)"
    assert lines[1] == ""
    assert f"- {REASONS[0]}" in lines and f"- {REASONS[1]}" in lines
    assert "integration review" in text and "security review" in text
    assert "\n\n\n" not in text


def test_a_sites_template_wins_and_cannot_drop_the_marker(tmp_path: Path) -> None:
    (tmp_path / "tagging_comment.txt.j2").write_text("Hello {{ key }}.\n")
    text = tagging(Renderer(tmp_path))
    assert text == f"{TAGGED_MARKER} (saas)\n\nHello MKT-1."
    # ... and a template the site lacks comes from the shipped folder.
    assert "no longer" in Renderer(tmp_path).untagging_comment(
        key="MKT-1", label="x", label_change="absent", reasons=(), rules_version="v"
    )


def test_a_misspelt_variable_is_a_config_error_with_the_file(tmp_path: Path) -> None:
    (tmp_path / "tagging_comment.txt.j2").write_text("line\n{{ reasonz }}\n")
    with pytest.raises(ConfigError, match=r"tagging_comment.txt.j2:2: 'reasonz' is undefined"):
        tagging(Renderer(tmp_path))


def test_markers_are_read_from_the_first_line_and_the_latest_wins() -> None:
    def comment(n: int, body: str) -> Comment:
        return Comment(id=str(n), body=body)

    assert marker_of(f"{TAGGED_MARKER} (ai)\n\nwhy") == "tagged"
    assert marker_of(f"  {UNTAGGED_MARKER}\n\nwhy") == "untagged"
    assert marker_of(f"quoting: {TAGGED_MARKER}") is None
    thread = [comment(1, f"{TAGGED_MARKER} (saas)"), comment(2, "a person")]
    assert last_marker(thread) == "tagged"
    assert last_marker([*thread, comment(3, UNTAGGED_MARKER)]) == "untagged"
    assert last_marker([comment(1, "nothing of ours")]) is None
