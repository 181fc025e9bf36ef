"""The fault schedule's modes for the fault matrix: per-path counting, per-item refusals of a
bulk create, and search lag (with reconcileIssues read consistently). Off by default."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from bridgeplugin.sandbox.server import RunningSandbox, start

pytestmark = pytest.mark.sandbox
AUTH = ("admin@example.com", "sandbox-token")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    running = start("demo")
    yield running
    running.stop()


@pytest.fixture
def url(sandbox: RunningSandbox) -> str:
    sandbox.app.reset()
    return sandbox.url


def faults(url: str, **schedule: Any) -> None:
    requests.put(f"{url}/_sandbox/faults", json=schedule, timeout=10).raise_for_status()


def search(url: str, jql: str, reconcile: list[str] | None = None) -> list[str]:
    body: dict[str, Any] = {"jql": jql, "maxResults": 100, "fields": ["summary"]}
    if reconcile:
        body["reconcileIssues"] = [int(i) for i in reconcile]
    resp = requests.post(f"{url}/rest/api/3/search/jql", json=body, auth=AUTH, timeout=10)
    resp.raise_for_status()
    return [i["id"] for i in resp.json()["issues"]]


def create(url: str, n: int) -> requests.Response:
    specs = [
        {"fields": {"project": {"key": "MKT"}, "issuetype": {"name": "Task"}, "summary": f"t{i}"}}
        for i in range(n)
    ]
    return requests.post(
        f"{url}/rest/api/2/issue/bulk", json={"issueUpdates": specs}, auth=AUTH, timeout=10
    )


def test_search_sees_a_new_issue_only_after_the_lag(url: str) -> None:
    faults(url, search_lag=2)
    before = search(url, "project = MKT")
    made = [i["id"] for i in create(url, 1).json()["issues"]]
    assert made[0] not in search(url, "project = MKT")
    assert made[0] not in search(url, "project = MKT")
    assert made[0] in search(url, "project = MKT")
    assert len(search(url, "project = MKT")) == len(before) + 1


def test_reconcile_issues_reads_a_new_issue_at_once(url: str) -> None:
    faults(url, search_lag=5)
    search(url, "project = MKT")
    made = [i["id"] for i in create(url, 1).json()["issues"]]
    assert made[0] in search(url, "project = MKT", reconcile=made)
    assert made[0] not in search(url, "project = MKT")


def test_an_update_shows_late_too(url: str) -> None:
    faults(url, search_lag=1)
    assert search(url, 'labels = "late"') == []
    requests.put(
        f"{url}/rest/api/2/issue/MKT-1",
        json={"update": {"labels": [{"add": "late"}]}},
        auth=AUTH,
        timeout=10,
    ).raise_for_status()
    assert search(url, 'labels = "late"') == []
    assert search(url, 'labels = "late"') == ["10000"]


def test_without_lag_search_is_consistent(url: str) -> None:
    made = [i["id"] for i in create(url, 1).json()["issues"]]
    assert made[0] in search(url, "project = MKT")


def test_bulk_create_refuses_single_items(url: str) -> None:
    faults(url, seed=3, rules=[{"method": "POST", "path": "/issue/bulk$", "item_probability": 0.5}])
    resp = create(url, 8)
    body = resp.json()
    failed = [e["failedElementNumber"] for e in body["errors"]]
    assert resp.status_code == 201
    assert failed and len(body["issues"]) == 8 - len(failed)
    assert all(e["status"] == 400 and e["elementErrors"]["errorMessages"] for e in body["errors"])


def test_bulk_create_with_every_item_refused_is_a_400(url: str) -> None:
    faults(url, rules=[{"method": "POST", "path": "/issue/bulk$", "item_probability": 1.0}])
    resp = create(url, 2)
    assert resp.status_code == 400
    assert [e["failedElementNumber"] for e in resp.json()["errors"]] == [0, 1]


def test_per_path_counts_each_path_apart(url: str) -> None:
    faults(
        url,
        rules=[{"method": "GET", "path": "/issue/", "status": 503, "times": 1, "per_path": True}],
    )
    codes = [
        requests.get(f"{url}/rest/api/2/issue/{key}", auth=AUTH, timeout=10).status_code
        for key in ("MKT-1", "MKT-1", "MKT-2", "MKT-2")
    ]
    assert codes == [503, 200, 503, 200]
    assert requests.get(f"{url}/_sandbox/faults", timeout=10).json()["fired"] == [2]
