"""`bridge sync` keeps the sprint pages current (``sync.publish``), and only when due."""

from __future__ import annotations

from .conftest import SyncSite


def _page_writes(site: SyncSite) -> list[str]:
    return [f"{c.method} {c.route}" for c in site.calls() if c.is_write and "/wiki/" in c.path]


def test_a_closed_sprint_gets_its_page_once(site: SyncSite) -> None:
    first = site.sync("--full", BRIDGE_SYNC__PUBLISH="closed")
    assert first.code == 0, first.err
    # The demo's last closed sprint is IT Sprint 24: its page and the index are created.
    assert "Marketing x IT — IT Sprint 24" in first.out
    created = _page_writes(site)
    assert created.count("POST /wiki/rest/api/content") == 2
    site.sandbox.app.ledger.clear()
    second = site.sync("--full", BRIDGE_SYNC__PUBLISH="closed")
    assert second.code == 0, second.err
    assert _page_writes(site) == []  # published once, not on every run
    # Once published after closing, the sprint's page is not even read again.
    assert not [c for c in site.calls() if "/wiki/" in c.path]


def test_changed_also_keeps_the_active_sprint_page_current(site: SyncSite) -> None:
    first = site.sync("--full", BRIDGE_SYNC__PUBLISH="changed")
    assert first.code == 0, first.err
    assert "IT Sprint 25" in first.out and "IT Sprint 24" in first.out
    site.sandbox.app.ledger.clear()
    second = site.sync("--full", BRIDGE_SYNC__PUBLISH="changed")
    assert second.code == 0, second.err
    assert _page_writes(site) == []  # nothing changed: no new version


def test_never_publishes_nothing(site: SyncSite) -> None:
    run = site.sync("--full", BRIDGE_SYNC__PUBLISH="never")
    assert run.code == 0, run.err
    assert _page_writes(site) == []


def test_pages_are_left_to_a_run_that_is_publishing_them(site: SyncSite) -> None:
    """The sync lease ends with the Jira work; pages have their own, so two runs that
    followed each other closely do not both upload the same chart (fault matrix, cron row)."""
    import os
    import socket

    store = site.store()
    store.acquire_lease("publish", "other", f"pid {os.getpid()} on {socket.gethostname()}", 600)
    store.close()
    run = site.sync("--full", BRIDGE_SYNC__PUBLISH="changed")
    assert run.code == 0, run.err
    assert "another run is publishing them" in run.out
    assert _page_writes(site) == []
