"""What a bulk write did to each issue, read from Jira's asynchronous task answers.

Jira's bulk writes answer with a task id; the outcome per issue arrives when the task is done,
keyed by numeric issue id. ``BulkResult`` turns that back into the keys the caller asked about,
so the sync journal can say, per issue, whether a label or property was written. Pure: the
gateway (``jira_gateway.py``) sends and polls, this module only reads the answers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "TASK_DONE",
    "BulkResult",
    "bulk_edit_outcome",
    "properties_task_failures",
]

#: Task states after which nothing changes any more (both task APIs use these names).
TASK_DONE = frozenset({"COMPLETE", "FAILED", "CANCELLED", "DEAD"})

_NOT_PROCESSED = "Jira did not process this issue (invalid or inaccessible)"


@dataclass(frozen=True)
class BulkResult:
    """Per-issue outcome of a bulk write: every requested key is in ``ok`` or in ``failed``.

    ``tasks`` are Jira's task ids (for the log); ``per_issue`` says the gateway fell back to one
    request per issue (bulk edit refused with 403: no global "Make bulk changes" permission).
    """

    ok: tuple[str, ...] = ()
    failed: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    tasks: tuple[str, ...] = ()
    per_issue: bool = False

    def merge(self, other: BulkResult) -> BulkResult:
        failed = {**self.failed, **other.failed}
        ok = tuple(k for k in dict.fromkeys((*self.ok, *other.ok)) if k not in failed)
        return BulkResult(
            ok=ok,
            failed=failed,
            tasks=(*self.tasks, *other.tasks),
            per_issue=self.per_issue or other.per_issue,
        )


def bulk_edit_outcome(
    keys: Iterable[str], ids: Mapping[str, str], progress: Mapping[str, Any], task: str
) -> BulkResult:
    """The ``BulkResult`` of a finished bulk-edit task (``GET /bulk/queue/{taskId}``).

    ``processedAccessibleIssues`` lists the ids that were edited, ``failedAccessibleIssues``
    maps ids to reasons; an issue in neither was invalid or inaccessible. ``ids`` maps each key
    to its numeric id (Jira reports by id); a key missing from it is compared as given.
    """
    processed = {str(i) for i in progress.get("processedAccessibleIssues") or []}
    failures = {
        str(i): tuple(str(r) for r in (reasons or ["failed"]))
        for i, reasons in (progress.get("failedAccessibleIssues") or {}).items()
    }
    ok: list[str] = []
    failed: dict[str, tuple[str, ...]] = {}
    for key in dict.fromkeys(keys):
        issue_id = ids.get(key, key)
        if issue_id in failures:
            failed[key] = failures[issue_id]
        elif issue_id in processed:
            ok.append(key)
        else:
            failed[key] = (_NOT_PROCESSED,)
    status = str(progress.get("status") or "")
    if status != "COMPLETE":
        # FAILED/CANCELLED/DEAD: only what Jira reports as processed is known to be done.
        ended = (f"the bulk edit task ended {status or 'without a status'}",)
        failed = {k: failures.get(ids.get(k, k), ended) for k in failed}
    return BulkResult(ok=tuple(ok), failed=failed, tasks=(task,))


def properties_task_failures(task: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """Issue id -> reasons for the issues a bulk property task could not update.

    Jira documents only that failures "will be available in the task result"; this reads the
    sandbox's ``{"failedIssues": [{"issueID", "errors"}]}`` and tolerates a result sent as a
    JSON string. A task that did not complete fails every issue (``"*"``).
    """
    status = str(task.get("status") or "")
    if status != "COMPLETE":
        return {"*": (f"the property task ended {status or 'without a status'}",)}
    result = task.get("result")
    if isinstance(result, str):
        try:
            result = json.loads(result)
        except ValueError:
            return {}
    if not isinstance(result, Mapping):
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for item in result.get("failedIssues") or []:
        if isinstance(item, Mapping) and item.get("issueID") is not None:
            reasons = item.get("errors") or ["failed"]
            out[str(item["issueID"])] = tuple(str(r) for r in reasons)
    return out
