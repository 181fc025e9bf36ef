"""bridge publish end to end against the demo sandbox (real HTTP, the real gateways)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bridgeplugin.config import load_config
from bridgeplugin.model import Page
from bridgeplugin.report.page import page_title
from bridgeplugin.report.run import publish_from_config
from bridgeplugin.sandbox.server import RunningSandbox, start
from bridgeplugin.site import Site, open_site
from bridgeplugin.sync import SyncOptions, sync_from_config

TITLE = page_title("IT Sprint 25")


@pytest.fixture()
def site(tmp_path: Path, monkeypatch) -> Iterator[RunningSandbox]:
    sandbox = start("demo")
    env = {
        "BRIDGE_JIRA_URL": sandbox.url,
        "BRIDGE_JIRA_EMAIL": "admin@example.com",
        "BRIDGE_JIRA_TOKEN": "sandbox-token",
        "BRIDGE_STATE": str(tmp_path / "state.db"),
        "BRIDGE_RETRY__MAX_ATTEMPTS": "1",
    }
    for key in [k for k in os.environ if k.startswith("BRIDGE_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    config = load_config(None)
    with open_site(config) as s:  # tag the requests, so governance has something to show
        sync_from_config(config, s, SyncOptions(full=True))
    yield sandbox
    sandbox.stop()


def bridge(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    return subprocess.run(
        [sys.executable, "-m", "bridgeplugin", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def page(site: RunningSandbox, title: str = TITLE) -> Page:
    with open_site(load_config(None)) as s:
        found = s.confluence.find_page("BRIDGE", title)
        assert found is not None
        return s.confluence.get_page(found.id, body=True)


def writes(site: RunningSandbox) -> list[str]:
    return [f"{c.method} {c.path}" for c in site.app.ledger.calls() if c.is_write]


def test_publish_twice_makes_one_version_and_no_second_write(site):
    first = bridge("publish")
    assert first.returncode == 0, first.stderr
    p1 = page(site)
    assert p1.version == 1 and "IT Sprint 25" in (p1.body or "")
    with open_site(load_config(None)) as s:
        assert [a.title for a in s.confluence.attachments(p1.id)] == ["burnup.png"]
    site.app.ledger.clear()
    second = bridge("publish")
    assert second.returncode == 0, second.stderr
    assert "unchanged" in second.stdout
    assert writes(site) == []
    assert page(site).version == 1
    index = page(site, "Marketing x IT — sprint pages")
    assert TITLE in (index.body or "") and index.version == 1


def test_hand_edits_outside_the_managed_part_survive_a_republish(site):
    assert bridge("publish").returncode == 0
    with open_site(load_config(None)) as s:
        p = s.confluence.get_page(page(site).id, body=True)
        body = (p.body or "").replace("USD", "EUR", 1)  # stale managed figures ...
        body += "<p>Diane: we agreed to move 5k to the campaign.</p>"  # ... and a human note
        s.confluence.update_page(p, p.title, body)
    assert bridge("publish").returncode == 0
    after = page(site)
    assert after.version == 3  # one repair, no more
    assert "Diane: we agreed to move 5k to the campaign." in (after.body or "")
    assert "<h2>Notes</h2>" in (after.body or "")
    assert bridge("publish").returncode == 0 and page(site).version == 3


class StaleOnce:
    """Someone saves the page between our read and our write, once."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.conflicts = 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def update_page(self, p: Page, title: str, body: str) -> Page:
        if self.conflicts == 0:
            self.conflicts += 1
            self.inner.update_page(p, title, (p.body or "") + "<p>edited meanwhile</p>")
            return self.inner.update_page(p, title, body)  # now stale: raises Conflict
        return self.inner.update_page(p, title, body)


def test_a_stale_version_is_reread_and_retried(site):
    config = load_config(None)
    assert bridge("publish").returncode == 0
    with open_site(config) as s:
        p = s.confluence.get_page(page(site).id, body=True)
        s.confluence.update_page(p, p.title, (p.body or "").replace("USD", "EUR", 1))
        wrapped = StaleOnce(s.confluence)
        out = publish_from_config(
            config, Site(s.jira, wrapped, config), sprint="active", as_of=datetime.now(UTC)
        )
    assert wrapped.conflicts == 1
    assert any("changed meanwhile" in a for a in out.published.actions)
    final = page(site)
    assert final.version == 4  # ours, theirs, ours again on top of theirs
    assert "edited meanwhile" in (final.body or "")
    assert "EUR" not in (final.body or "")


def test_dry_run_writes_nothing_and_output_has_an_inline_png(site, tmp_path):
    site.app.ledger.clear()
    out = tmp_path / "page.html"
    proc = bridge("publish", "--dry-run", "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "would create page" in proc.stdout
    assert writes(site) == []
    html = out.read_text(encoding="utf-8")
    assert "data:image/png;base64,iVBOR" in html and "IT Sprint 25" in html


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"BRIDGE_BOARD_ID": "99"}, "board 99 does not exist"),
        ({"BRIDGE_REPORT_PARENT": "No such page"}, "'No such page' does not exist"),
    ],
)
def test_bad_board_or_parent_is_one_line_and_nothing_published(site, monkeypatch, env, needle):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    site.app.ledger.clear()
    proc = bridge("publish")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], lines
    assert writes(site) == []


def test_a_republish_a_minute_later_with_the_same_figures_writes_nothing(site):
    config = load_config(None)
    noon = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # hours after the seed and the sync
    with open_site(config) as s:
        publish_from_config(config, s, sprint=None, as_of=noon)
        site.app.ledger.clear()
        later = publish_from_config(config, s, sprint=None, as_of=noon.replace(minute=1))
    # Only the "as of" minute differs: no new version for it (a sync would write one each run).
    assert writes(site) == [], later.published.actions
