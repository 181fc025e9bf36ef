"""JiraGateway's bulk writes over ``responses``: chunking, task polling, the 403 fallback,
per-issue outcomes by key, and the read/write call counter."""

from __future__ import annotations

import json

import pytest
import responses

from bridgeplugin.errors import AtlassianError, PayloadTooLarge, ServerError
from bridgeplugin.jira_gateway import TASK_POLL_TIMEOUT, JiraGateway

from .conftest import API, SleepRecorder

BULK = f"{API}/bulk/issues/fields"
MULTI = f"{API}/issue/properties/multi"


def bodies(rsps: responses.RequestsMock, url: str) -> list[dict]:
    return [json.loads(c.request.body) for c in rsps.calls if c.request.url.split("?")[0] == url]


def complete(task: str, processed: list[int], failed: dict | None = None) -> dict:
    return {
        "taskId": task,
        "status": "COMPLETE",
        "progressPercent": 100,
        "processedAccessibleIssues": processed,
        "failedAccessibleIssues": failed or {},
        "invalidOrInaccessibleIssueCount": 0,
    }


def test_2500_issues_go_in_bulk_edits_of_1000_without_notifications(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    keys = [f"MKT-{n}" for n in range(1, 2501)]
    ids = {k: str(10000 + n) for n, k in enumerate(keys)}
    for task, chunk in (("1", keys[:1000]), ("2", keys[1000:2000]), ("3", keys[2000:])):
        rsps.post(BULK, json={"taskId": task}, status=201)
        rsps.get(f"{API}/bulk/queue/{task}", json=complete(task, [int(ids[k]) for k in chunk]))

    result = gateway.bulk_edit_labels(keys, add=["marketing-tech-request"], ids=ids)

    sent = bodies(rsps, BULK)
    assert [len(b["selectedIssueIdsOrKeys"]) for b in sent] == [1000, 1000, 500]
    assert sent[0]["sendBulkNotification"] is False
    assert sent[0]["selectedActions"] == ["labels"]
    assert sent[0]["editedFieldsInput"]["labelsFields"] == [
        {
            "fieldId": "labels",
            "bulkEditMultiSelectFieldOption": "ADD",
            "labels": [{"name": "marketing-tech-request"}],
        }
    ]
    assert result.ok == tuple(keys) and not result.failed and result.tasks == ("1", "2", "3")


def test_the_task_is_polled_with_growing_waits_until_it_completes(
    gateway: JiraGateway, rsps: responses.RequestsMock, sleeps: SleepRecorder
) -> None:
    rsps.post(BULK, json={"taskId": "7"}, status=201)
    queue = f"{API}/bulk/queue/7"
    rsps.get(queue, json={"taskId": "7", "status": "ENQUEUED"})
    rsps.get(queue, json={"taskId": "7", "status": "RUNNING", "progressPercent": 50})
    rsps.get(queue, json=complete("7", [10001]))

    result = gateway.bulk_edit_labels(["MKT-1"], remove=["x"], ids={"MKT-1": "10001"})

    assert result.ok == ("MKT-1",)
    assert sleeps.calls == [0.5, 1.0]
    assert (
        bodies(rsps, BULK)[0]["editedFieldsInput"]["labelsFields"][0][
            "bulkEditMultiSelectFieldOption"
        ]
        == "REMOVE"
    )


def test_polling_is_bounded(
    gateway: JiraGateway, rsps: responses.RequestsMock, sleeps: SleepRecorder
) -> None:
    rsps.post(BULK, json={"taskId": "8"}, status=201)
    rsps.get(f"{API}/bulk/queue/8", json={"taskId": "8", "status": "RUNNING"})

    with pytest.raises(AtlassianError, match="did not finish within"):
        gateway.bulk_edit_labels(["MKT-1"], add=["x"])

    assert sum(sleeps.calls) >= TASK_POLL_TIMEOUT
    assert max(sleeps.calls) == 5.0
    assert len(sleeps.calls) < 80  # bounded: waits grow to 5 s, not a busy loop


def test_a_poll_answered_503_is_retried_by_the_one_retry_layer(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    rsps.post(BULK, json={"taskId": "9"}, status=201)
    rsps.get(f"{API}/bulk/queue/9", status=503, json={"errorMessages": ["busy"]})
    rsps.get(f"{API}/bulk/queue/9", json=complete("9", [10001]))

    assert gateway.bulk_edit_labels(["MKT-1"], add=["x"]).ok == ("MKT-1",)


def test_per_issue_failures_come_back_by_key(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    rsps.post(BULK, json={"taskId": "4"}, status=201)
    rsps.get(
        f"{API}/bulk/queue/4",
        json={
            **complete("4", [10001], {"10002": ["You do not have permission to edit issues"]}),
            "invalidOrInaccessibleIssueCount": 1,
        },
    )
    # MKT-3's id is unknown to the caller: the gateway looks it up, once, to name it.
    rsps.post(f"{API}/issue/bulkfetch", json={"issues": [{"id": "10003", "key": "MKT-3"}]})

    result = gateway.bulk_edit_labels(
        ["MKT-1", "MKT-2", "MKT-3"], add=["x"], ids={"MKT-1": "10001", "MKT-2": "10002"}
    )

    assert result.ok == ("MKT-1",)
    assert result.failed["MKT-2"] == ("You do not have permission to edit issues",)
    assert "not process" in result.failed["MKT-3"][0]


def test_403_on_bulk_edit_falls_back_to_per_issue_edits_for_good(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    denied = {"errors": [{"message": "You do not have the global permission Make bulk changes"}]}
    rsps.post(BULK, json=denied, status=403)
    for key in ("MKT-1", "MKT-2", "MKT-3"):
        rsps.put(f"{API}/issue/{key}", status=204)

    first = gateway.bulk_edit_labels(["MKT-1", "MKT-2"], add=["a"], remove=["b"])
    second = gateway.bulk_edit_labels(["MKT-3"], add=["a"])

    assert first.ok == ("MKT-1", "MKT-2") and first.per_issue
    assert second.ok == ("MKT-3",) and second.per_issue
    assert len(bodies(rsps, BULK)) == 1  # not asked again after the first refusal
    edits = [json.loads(c.request.body) for c in rsps.calls if c.request.method == "PUT"]
    assert edits[0] == {"update": {"labels": [{"add": "a"}, {"remove": "b"}]}}


def test_per_issue_fallback_records_an_issue_it_may_not_edit_and_goes_on(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    gateway._may_bulk_edit = False
    rsps.put(f"{API}/issue/MKT-1", status=400, json={"errorMessages": ["Issue is archived"]})
    rsps.put(f"{API}/issue/MKT-2", status=204)

    result = gateway.bulk_edit_labels(["MKT-1", "MKT-2"], add=["a"])

    assert result.ok == ("MKT-2",)
    assert "archived" in result.failed["MKT-1"][0]


def test_nothing_to_do_sends_nothing(gateway: JiraGateway, rsps: responses.RequestsMock) -> None:
    before = len(rsps.calls)
    assert gateway.bulk_edit_labels([], add=["x"]).ok == ()
    assert gateway.bulk_edit_labels(["MKT-1"]).ok == ()
    assert gateway.set_properties_bulk({}).ok == ()
    assert len(rsps.calls) == before


def test_properties_go_by_issue_id_100_per_request_through_a_303_task(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    keys = [f"MKT-{n}" for n in range(1, 151)]
    ids = {k: str(10000 + n) for n, k in enumerate(keys)}
    for task in ("11", "12"):
        rsps.post(MULTI, status=303, headers={"Location": f"{API}/task/{task}"})
        rsps.get(f"{API}/task/{task}", json={"id": task, "status": "COMPLETE", "progress": 100})

    result = gateway.set_properties_bulk({k: {"bridge": {"n": 1}} for k in keys}, ids=ids)

    sent = bodies(rsps, MULTI)
    assert [len(b["issues"]) for b in sent] == [100, 50]
    assert sent[0]["issues"][0] == {"issueID": 10000, "properties": {"bridge": {"n": 1}}}
    assert result.ok == tuple(keys) and result.tasks == ("11", "12")


def test_property_ids_unknown_to_the_caller_are_looked_up_once(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    rsps.post(
        f"{API}/issue/bulkfetch",
        json={"issues": [{"id": "10001", "key": "MKT-1"}, {"id": "10002", "key": "MKT-2"}]},
    )
    rsps.post(MULTI, status=303, headers={"Location": f"{API}/task/5"})
    rsps.get(
        f"{API}/task/5",
        json={
            "id": "5",
            "status": "COMPLETE",
            "result": {"failedIssues": [{"issueID": 10002, "errors": ["no permission"]}]},
        },
    )

    result = gateway.set_properties_bulk(
        {"MKT-1": {"bridge": {"a": 1}}, "MKT-2": {"bridge": {"a": 2}}, "MKT-404": {"b": {"a": 3}}}
    )

    assert result.ok == ("MKT-1",)
    assert result.failed["MKT-2"] == ("no permission",)
    assert "no such issue" in result.failed["MKT-404"][0]  # not in the bulk fetch's answer
    assert bodies(rsps, MULTI)[0]["issues"][0]["issueID"] == 10001


def test_a_failed_property_task_fails_every_issue_of_its_request(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    rsps.post(MULTI, status=303, headers={"Location": f"{API}/task/6"})
    rsps.get(f"{API}/task/6", json={"id": "6", "status": "FAILED"})

    result = gateway.set_properties_bulk({"10001": {"bridge": {"a": 1}}})

    assert result.ok == () and "FAILED" in result.failed["10001"][0]


def test_an_oversized_property_is_refused_before_anything_is_sent(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    before = len(rsps.calls)
    with pytest.raises(PayloadTooLarge):
        gateway.set_properties_bulk({"10001": {"bridge": {"x": "y" * 40_000}}})
    assert len(rsps.calls) == before


def test_comments_bulk_reads_the_comment_field_and_pages_only_when_truncated(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    def comment(n: int) -> dict:
        return {"id": str(n), "body": f"comment {n}", "created": "2026-03-01T10:00:00.000+0000"}

    rsps.post(
        f"{API}/issue/bulkfetch",
        json={
            "issues": [
                {"key": "MKT-1", "fields": {"comment": {"comments": [comment(1)], "total": 1}}},
                {"key": "MKT-2", "fields": {"comment": {"comments": [comment(2)], "total": 2}}},
            ]
        },
    )
    rsps.get(
        f"{API}/issue/MKT-2/comment",
        json={"comments": [comment(2), comment(3)], "startAt": 0, "total": 2, "isLast": True},
    )

    found = gateway.comments_bulk(["MKT-1", "MKT-2"])

    assert [c.body for c in found["MKT-1"]] == ["comment 1"]
    assert [c.body for c in found["MKT-2"]] == ["comment 2", "comment 3"]
    assert bodies(rsps, f"{API}/issue/bulkfetch")[0]["fields"] == ["comment"]


def test_the_counter_counts_every_request_as_a_read_or_a_write(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    before = (gateway.calls.reads, gateway.calls.writes)
    rsps.post(f"{API}/search/jql", json={"issues": [], "isLast": True})
    rsps.post(BULK, status=502, json={"errorMessages": ["bad gateway"]})
    rsps.post(BULK, json={"taskId": "1"}, status=201)
    rsps.get(f"{API}/bulk/queue/1", json=complete("1", [10001]))

    list(gateway.search("project = MKT", fields=["summary"]))
    gateway.bulk_edit_labels(["MKT-1"], add=["x"])

    # search (read), bulk edit twice (502 then 201: both writes), one poll (read)
    assert (gateway.calls.reads - before[0], gateway.calls.writes - before[1]) == (2, 2)


def test_a_bulk_edit_that_keeps_failing_raises_after_the_retries(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    rsps.post(BULK, status=503, json={"errorMessages": ["down"]})
    with pytest.raises(ServerError):
        gateway.bulk_edit_labels(["MKT-1"], add=["x"])


def test_data_center_has_no_bulk_endpoints_and_writes_per_issue(
    rsps: responses.RequestsMock, policy
) -> None:
    from pydantic import SecretStr

    dc = "https://jira.example.com"
    gw = JiraGateway(dc, pat=SecretStr("pat"), policy=policy, deployment="Server")
    rsps.put(f"{dc}/rest/api/2/issue/DC-1", status=204)
    rsps.put(f"{dc}/rest/api/2/issue/DC-1/properties/bridge", status=200)
    rsps.get(
        f"{dc}/rest/api/2/issue/DC-1/comment",
        json={"comments": [{"id": "1", "body": "hi"}], "startAt": 0, "total": 1},
    )

    assert gw.bulk_edit_labels(["DC-1"], add=["x"]).per_issue
    assert gw.set_properties_bulk({"DC-1": {"bridge": {"a": 1}}}).ok == ("DC-1",)
    assert [c.body for c in gw.comments_bulk(["DC-1"])["DC-1"]] == ["hi"]
    assert not any("/bulk" in c.request.url or "multi" in c.request.url for c in rsps.calls)
