"""The fake Jira at the size of a real site: 100,000 issues load and search fast enough for a
user trying rules locally (seconds, not minutes)."""

from __future__ import annotations

import time

import pytest
from test_jira_support import ADA, seed_doc

from bridgeplugin.sandbox.accounts import Accounts
from bridgeplugin.sandbox.clock import Clock
from bridgeplugin.sandbox.jira.search import Searcher
from bridgeplugin.sandbox.jira.state import JiraState
from bridgeplugin.sandbox.seed import Seed

pytestmark = pytest.mark.sandbox

SIZE = 100_000


@pytest.fixture(scope="module")
def big() -> JiraState:
    doc = seed_doc()
    doc["issues"] += [
        {
            "project": "MKT" if n % 3 else "IT",
            "type": "Task",
            "summary": f"Request {n} about {'crm' if n % 10 == 0 else 'ads'}",
            "reporter": ADA,
            "labels": ["even" if n % 2 == 0 else "odd"],
            "fields": {"Cost": n},
        }
        for n in range(SIZE)
    ]
    seed = Seed.model_validate(doc)
    return JiraState.from_seed(seed, Accounts.from_seed(seed), Clock(seed.site.clock))


def test_a_100k_issue_site_searches_and_pages_in_well_under_seconds(big: JiraState) -> None:
    user = big.accounts.find(ADA)
    assert user is not None and len(big.issues) == SIZE + 5
    searcher = Searcher()
    started = time.perf_counter()
    first, token = searcher.page(
        big, user, "project = MKT AND labels = even ORDER BY Cost DESC", None, 100
    )
    first_search = time.perf_counter() - started
    assert [i.custom["customfield_10000"] for i in first[:3]] == [99998, 99994, 99992]
    # Later pages come from the cursor; a second query reuses the cached rows.
    started = time.perf_counter()
    seen = len(first)
    while token:
        page, token = searcher.page(
            big, user, "project = MKT AND labels = even ORDER BY Cost DESC", token, 5000
        )
        seen += len(page)
    again, _ = searcher.page(big, user, "summary ~ crm AND Cost > 99000", None, 100)
    rest = time.perf_counter() - started
    assert seen == 33_333
    assert len(again) == 99  # 99010, 99020, ... 99990
    # Generous bounds: a loaded CI machine is slow, a quadratic bug is much slower.
    assert first_search < 5.0
    assert rest < 5.0
