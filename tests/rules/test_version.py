"""RuleSet.version: a hash of what the rules mean, not of how the file is typed."""

from __future__ import annotations

from pathlib import Path

import yaml
from rulekit import CATALOG_ENTRIES

from bridgeplugin.rules import load_rules

BLOCK = """\
kind: tagging
# Rules for the marketing project.
rules:
  - name: mkt
    if:
      project_in: [MKT, BRAND]
    then:
      marketing_originated: true
"""

FLOW = """kind: tagging
rules: [{then: {marketing_originated: true}, name: "mkt", if: {project_in: ['MKT', "BRAND"]}}]
"""

CHANGED = BLOCK.replace("BRAND", "BRANDING")


def version(tmp_path: Path, name: str, text: str, catalog: list | None = None) -> str:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "tagging.yaml").write_text(text)
    if catalog is not None:
        (folder / "vendors.yaml").write_text(yaml.safe_dump({"vendors": catalog}))
    return load_rules(folder).version


def test_whitespace_comments_quoting_key_order_and_flow_style_do_not_change_it(
    tmp_path: Path,
) -> None:
    assert version(tmp_path, "a", BLOCK) == version(tmp_path, "b", FLOW)
    spaced = BLOCK.replace("\n", "\n\n").replace(": ", ":    ")
    assert version(tmp_path, "c", BLOCK) == version(tmp_path, "d", spaced)


def test_a_change_of_content_changes_it(tmp_path: Path) -> None:
    assert version(tmp_path, "a", BLOCK) != version(tmp_path, "b", CHANGED)


def test_a_change_of_the_vendor_catalog_changes_it(tmp_path: Path) -> None:
    other = [dict(CATALOG_ENTRIES[0], category="data"), *CATALOG_ENTRIES[1:]]
    assert version(tmp_path, "a", BLOCK, CATALOG_ENTRIES) != version(tmp_path, "b", BLOCK, other)
    assert version(tmp_path, "c", BLOCK, CATALOG_ENTRIES) == version(
        tmp_path, "d", BLOCK, list(CATALOG_ENTRIES)
    )


def test_it_is_a_sha256_hex_digest(tmp_path: Path) -> None:
    digest = version(tmp_path, "a", BLOCK)
    assert len(digest) == 64 and int(digest, 16) >= 0
