"""``bridge rules validate --site`` and ``bridge doctor`` check epics.yaml against the site."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from bridgeplugin.cli import main

from .conftest import ADMIN, TOKEN, EpicSite

pytestmark = pytest.mark.sandbox


def run(site: EpicSite, *args: str, **extra: str) -> tuple[int, str]:
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("BRIDGE_")}
    env.update(
        BRIDGE_JIRA_URL=site.url,
        BRIDGE_JIRA_EMAIL=ADMIN,
        BRIDGE_JIRA_TOKEN=TOKEN,
        BRIDGE_STATE=str(site.state),
        BRIDGE_RULES=str(site.rules),
    )
    env.update(extra)
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.stdout + result.stderr


def set_epics(site: EpicSite, old: str, new: str) -> int:
    path = site.rules / "epics.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(old, new), encoding="utf-8")
    return next(
        n for n, line in enumerate(new and text.replace(old, new).splitlines(), 1) if new in line
    )


def test_validate_finds_nothing_wrong_with_the_epics_on_the_demo(site: EpicSite) -> None:
    # (The shipped tagging rules name groups the demo lacks: those lines are not ours.)
    _, out = run(site, "rules", "validate", "--site")
    assert "epics.yaml" not in out and "epic." not in out, out


def test_an_epic_project_without_the_epic_type_fails_validate_and_doctor(site: EpicSite) -> None:
    line = set_epics(site, "  issue_type: Epic", "  issue_type: Initiative")
    code, out = run(site, "rules", "validate", "--site")
    assert code == 1
    assert f"epics.yaml:{line}: epic.issue_type: project IT has no issue type 'Initiative'" in out
    code, out = run(site, "doctor")
    assert code != 0
    assert "no issue type 'Initiative'" in out


def test_a_template_that_fails_to_render_fails_validate(site: EpicSite) -> None:
    set_epics(site, "summary: epic_summary.txt.j2", "summary: broken.txt.j2")
    code, out = run(site, "rules", "validate", "--no-site")
    assert code == 1
    assert "template broken.txt.j2 is missing" in out
    templates = site.rules.parent / "templates"
    templates.mkdir()
    (templates / "broken.txt.j2").write_text("{{ nmae }}", encoding="utf-8")
    code, out = run(site, "rules", "validate", "--no-site", BRIDGE_TEMPLATES=str(templates))
    assert code == 1
    assert "broken.txt.j2: 'nmae' is undefined" in out
