"""The search's ``worklog`` field: Jira embeds the first worklogs (a ``PageOfWorklogs``) and
says how many the issue has; the gateway hands both over on ``Issue``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import responses

from bridgeplugin.jira_gateway import JiraGateway

from .conftest import API, FIELDS

WORKLOG_FIELD = {
    "id": "worklog",
    "name": "Log Work",
    "custom": False,
    "schema": {"type": "array", "items": "worklog", "system": "worklog"},
}


def _worklog(n: int) -> dict[str, Any]:
    return {
        "id": str(n),
        "author": {"accountId": f"acc-{n % 3}", "displayName": f"Person {n % 3}"},
        "started": "2026-03-02T09:00:00.000+0000",
        "timeSpent": "1h",
        "timeSpentSeconds": 3600,
    }


def test_search_returns_the_embedded_worklogs_and_their_total(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    rsps.get(f"{API}/field", json=[*FIELDS, WORKLOG_FIELD])
    few = {"startAt": 0, "maxResults": 20, "total": 2, "worklogs": [_worklog(1), _worklog(2)]}
    many = {
        "startAt": 0,
        "maxResults": 20,
        "total": 25,
        "worklogs": [_worklog(n) for n in range(1, 21)],
    }
    rsps.post(
        f"{API}/search/jql",
        json={
            "issues": [
                {"id": "10001", "key": "MKT-1", "fields": {"summary": "a", "worklog": few}},
                {"id": "10002", "key": "MKT-2", "fields": {"summary": "b", "worklog": many}},
                {"id": "10003", "key": "MKT-3", "fields": {"summary": "c"}},
            ],
            "isLast": True,
        },
    )

    one, two, three = gateway.search("project = MKT", fields=["summary", "worklog"])

    body = json.loads(rsps.calls[-1].request.body)
    assert body["fields"] == ["summary", "worklog"]
    assert one.worklog_total == 2 and one.worklogs is not None
    assert [w.id for w in one.worklogs] == ["1", "2"]
    assert one.worklogs[0].author is not None and one.worklogs[0].author.account_id == "acc-1"
    assert one.worklogs[0].started == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert one.worklogs[0].time_spent_seconds == 3600
    assert two.worklog_total == 25 and len(two.worklogs or ()) == 20  # more to read
    assert three.worklogs is None and three.worklog_total is None  # not asked: unknown
    assert "worklog" not in one.custom
