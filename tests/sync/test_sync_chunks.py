"""``bridge sync`` over more issues than one chunk (``sync.chunk_size``): the same end state as
one pass, bulk calls still full, and a run stopped between chunks leaves the watermark where it
was, so the next run completes the rest without a second comment anywhere.

A generated site of 2,500 issues, the real CLI and gateway over HTTP; Jira's end state is read
from the sandbox's own records (2,500 issues through the client would take most of the test).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bridgeplugin.render import marker_of
from bridgeplugin.sandbox.generate import scaled_seed
from bridgeplugin.sandbox.server import RunningSandbox, start

from .conftest import LABEL, SyncSite

pytestmark = pytest.mark.sandbox

N = 2_500
SEARCH = "POST /rest/api/{ver}/search/jql"
BULK_EDIT = "POST /rest/api/{ver}/bulk/issues/fields"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    running = start(scaled_seed(N, seed=3, with_history=True))
    yield running
    running.stop()


def end_state(site: SyncSite) -> dict[str, Any]:
    """Per issue: labels, the tagging record, and the plugin comments' marker lines."""
    out: dict[str, Any] = {}
    for key, issue in site.sandbox.app.site.jira.issues.items():
        record = (issue.properties.get("bridge") or {}).get("tagging")
        markers = [c for c in (_text(c.body) for c in issue.comments) if marker_of(c)]
        out[key] = (sorted(issue.labels), record, [m.split("\n", 1)[0] for m in markers])
    return out


def _text(body: Any) -> str:
    from bridgeplugin.sandbox.jira.adf import to_text

    return body if isinstance(body, str) else to_text(body)


def test_a_chunked_sync_ends_where_one_pass_ends(site: SyncSite, tmp_path: Path) -> None:
    chunked = site.sync("--full", "--format", "json", BRIDGE_SYNC__CHUNK_SIZE="1000")
    assert chunked.code == 0, chunked.err
    doc = chunked.json()
    assert doc["issues_seen"] == N and doc["chunks"] == 3
    assert doc["tagged"] > 500  # the generated mix tags about a third
    # The report lists the first 2,000 actions and counts every one (the journal has them).
    done = sum(doc["counts"]["done"].values())
    assert done > 2_000 and len(doc["actions"]) == 2_000
    assert doc["actions_omitted"] == done - 2_000
    # One bulk label edit per chunk: full chunks keep bulk calls full.
    assert site.writes()[BULK_EDIT] == 3
    after_chunks = end_state(site)

    site.sandbox.app.reset()
    site.state = tmp_path / "one-pass" / "state.db"
    one = site.sync("--full", "--format", "json", BRIDGE_SYNC__CHUNK_SIZE="100000")
    assert one.code == 0, one.err
    assert one.json()["chunks"] == 1
    assert end_state(site) == after_chunks
    assert one.json()["tagged"] == doc["tagged"]


def test_an_unchanged_second_chunked_run_writes_nothing(site: SyncSite) -> None:
    assert site.sync("--full", BRIDGE_SYNC__CHUNK_SIZE="700").code == 0
    site.clear_ledger()
    second = site.sync("--full", "--format", "json", BRIDGE_SYNC__CHUNK_SIZE="700")
    assert second.code == 0
    assert second.json()["chunks"] == math.ceil(N / 700)
    assert sum(site.writes().values()) == 0


def test_a_run_stopped_between_chunks_keeps_the_watermark_and_the_next_completes_it(
    site: SyncSite,
) -> None:
    # Chunks of 500 are five search pages each; the eighth page (in the second chunk) fails
    # after the first chunk was applied.
    site.faults({"method": "POST", "path": "/search/jql", "status": 500, "skip": 7, "times": 99})
    stopped = site.sync("--format", "json", BRIDGE_SYNC__CHUNK_SIZE="500")
    assert stopped.code == 3
    doc = stopped.json()
    assert doc["watermark"] is None and doc["issues_seen"] == 500
    with site.store() as store:
        assert store.watermark(_scope(site)) is None
    half = end_state(site)
    first_chunk = sorted(site.sandbox.app.site.jira.issues, key=_order)[:500]
    later = sorted(site.sandbox.app.site.jira.issues, key=_order)[500:]
    assert any(LABEL in half[k][0] for k in first_chunk)  # the first chunk was applied
    assert not any(LABEL in half[k][0] for k in later)  # nothing after it

    site.faults()
    done = site.sync("--format", "json", BRIDGE_SYNC__CHUNK_SIZE="500")
    assert done.code == 0, done.err
    assert done.json()["mode"] == "full" and done.json()["watermark"] is not None
    with site.store() as store:
        assert store.watermark(_scope(site)) is not None
    final = end_state(site)
    assert any(LABEL in final[k][0] for k in later)
    # Nothing twice: every tagged issue has exactly one tagging comment.
    for key, (_labels, record, markers) in final.items():
        if record and record.get("tag"):
            assert len(markers) == 1, (key, markers)


def _order(key: str) -> tuple[str, int]:
    project, number = key.split("-")
    return (project, int(number))


def _scope(site: SyncSite) -> str:
    return f"{site.url.rstrip('/')} project in (MKT, IT)"
