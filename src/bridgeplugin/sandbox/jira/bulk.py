"""Bulk writes of the fake Jira Cloud, and the asynchronous tasks they answer with.

* ``POST /rest/api/{ver}/bulk/issues/fields`` (bulk edit, up to 1,000 issues): labels fields
  only (``ADD``, ``REMOVE``, ``REPLACE``, ``REMOVE_ALL``); needs the global "Make bulk changes"
  permission (``BULK_CHANGE``, else 403). Answers ``201 {"taskId"}``; each issue is edited
  through ``JiraState.edit_issue``, so permissions, validation, the per-issue write limit, the
  changelog entry (author = the submitter) and ``updated`` behave as a single edit does. An
  issue that fails is reported in the task, not in the answer.
* ``GET /rest/api/{ver}/bulk/queue/{taskId}``: the bulk task's ``BulkOperationProgress``.
* ``POST /rest/api/{ver}/issue/properties/multi`` (up to 100 issues x 10 properties): answers
  ``303`` with ``Location: .../task/{taskId}``; non-transactional, unknown issues ignored, as
  the description says.
* ``GET /rest/api/{ver}/task/{taskId}``: the generic ``TaskProgressBeanObject``.

Tasks run to completion inside the submitting call (the sandbox has no queue), so the first
poll finds them ``COMPLETE``. Errors of the bulk-operation endpoints use their own shape,
``{"errors": [{"message": ...}]}`` (``BulkOperationErrorResponse``), not the ErrorCollection
of the rest of the API. The task result of a properties task is the sandbox's own shape
(Jira documents only that failures "will be available in the task result"):
``{"failedIssues": [{"issueID": id, "errors": [message, ...]}]}``, absent when none failed.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..routing import HttpError, Request, Response, Router, json_response
from .model import format_time
from .state import JiraState

__all__ = ["MAX_BULK_EDIT_ISSUES", "MAX_PROPERTIES_PER_ISSUE", "MAX_PROPERTY_ISSUES", "router"]

MAX_BULK_EDIT_ISSUES = 1000
MAX_BULK_EDIT_FIELDS = 200
MAX_PROPERTY_ISSUES = 100
MAX_PROPERTIES_PER_ISSUE = 10
_API = "/rest/api/{ver}"
_VERSIONS = ("2", "3", "latest")
_LABEL_OPTIONS = ("ADD", "REMOVE", "REPLACE", "REMOVE_ALL")
_NOT_A_BULK_TASK = "The task associated with this taskId is not a bulk operation task"


@dataclass
class Task:
    """One finished task; ``kind`` is "bulk" (bulk queue) or "properties" (generic task)."""

    id: str
    kind: str
    submitted_by: str
    submitted: datetime
    finished: datetime
    total: int = 0
    processed: list[int] = field(default_factory=list)
    failed: dict[int, list[str]] = field(default_factory=dict)
    invalid: int = 0


class _BulkError(Exception):
    """An error answer in the bulk-operation shape."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def response(self) -> Response:
        return json_response({"errors": [{"message": self.message}]}, status=self.status)


def router(site: Any) -> Router:
    """The bulk routes, bound to ``site`` (read per call: a reset swaps ``site.jira``)."""
    r = Router()

    def jira() -> JiraState:
        return site.jira  # type: ignore[no-any-return]

    def api(method: str, path: str, *, bulk_errors: bool) -> Any:
        def register(handler: Any) -> Any:
            def checked(req: Request) -> Any:
                if req.params.get("ver") not in _VERSIONS:
                    raise HttpError(404, f"No resource at {req.path} in the sandbox.")
                try:
                    return handler(req)
                except _BulkError as exc:
                    if bulk_errors:
                        return exc.response()
                    raise HttpError(exc.status, exc.message) from None

            checked.__name__ = handler.__name__
            return r.route(method, _API + path)(checked)

        return register

    def api_base(req: Request) -> str:
        host = req.headers.get("host", "127.0.0.1")
        return f"http://{host}/rest/api/{req.params.get('ver', '3')}"

    @api("POST", "/bulk/issues/fields", bulk_errors=True)
    def submit_bulk_edit(req: Request) -> Any:
        st = jira()
        _require_bulk_change(req, st)
        refs, labels_inputs = _bulk_edit_payload(st, req)
        task = _new_task(st, "bulk", req.user.account_id, total=len(refs))
        ver = "3" if req.params.get("ver") == "3" else "2"
        for ref in refs:
            issue = st.find_issue(ref)
            if issue is None or not st.can(req.user, issue.project, "BROWSE_PROJECTS"):
                task.invalid += 1
                continue
            try:
                for field_id, option, labels in labels_inputs:
                    st.edit_issue(req.user, issue, _label_edit(field_id, option, labels), ver)
            except HttpError as exc:
                reasons = exc.messages + [f"{k}: {v}" for k, v in exc.errors.items()]
                task.failed[issue.id] = reasons or [f"HTTP {exc.status}"]
                continue
            task.processed.append(issue.id)
        task.finished = st.clock.now()
        return json_response({"taskId": task.id}, status=201)

    @api("GET", "/bulk/queue/{task}", bulk_errors=True)
    def bulk_progress(req: Request) -> Any:
        st = jira()
        _require_bulk_change(req, st)
        task = _tasks(st).get(req.params["task"])
        if task is None or task.kind != "bulk":
            raise _BulkError(400, _NOT_A_BULK_TASK)
        req.points = 2
        return {
            "taskId": task.id,
            "status": "COMPLETE",
            "progressPercent": 100,
            "submittedBy": {"accountId": task.submitted_by},
            "created": format_time(task.submitted),
            "started": format_time(task.submitted),
            "updated": format_time(task.finished),
            "totalIssueCount": task.total,
            "processedAccessibleIssues": list(task.processed),
            "failedAccessibleIssues": {str(i): list(r) for i, r in task.failed.items()},
            "invalidOrInaccessibleIssueCount": task.invalid,
        }

    @api("POST", "/issue/properties/multi", bulk_errors=False)
    def set_properties(req: Request) -> Any:
        st = jira()
        items = _properties_payload(req)
        task = _new_task(st, "properties", req.user.account_id, total=len(items))
        for issue_id, values in items:
            issue = st.by_id.get(issue_id)
            if issue is None or not st.can(req.user, issue.project, "BROWSE_PROJECTS"):
                continue  # "if an issue is not found, it is ignored"
            reasons: list[str] = []
            for key, value in values.items():
                raw = json.dumps(value, separators=(",", ":")).encode()
                try:
                    st.set_property(req.user, issue, key, raw)
                except HttpError as exc:
                    reasons.extend(exc.messages or [f"HTTP {exc.status}"])
            if reasons:
                task.failed[issue.id] = reasons
            else:
                task.processed.append(issue.id)
        task.finished = st.clock.now()
        location = f"{api_base(req)}/task/{task.id}"
        return Response(status=303, headers={"Location": location})

    @api("GET", "/task/{task}", bulk_errors=False)
    def get_task(req: Request) -> Any:
        task = _tasks(jira()).get(req.params["task"])
        if task is None:
            raise HttpError(404, f"Task {req.params['task']} not found.")
        if task.submitted_by != req.user.account_id and not req.user.site_admin:
            raise HttpError(403, "Only the task's creator or a Jira administrator can see it.")
        submitted = _millis(task.submitted)
        finished = _millis(task.finished)
        out: dict[str, Any] = {
            "self": f"{api_base(req)}/task/{task.id}",
            "id": task.id,
            "description": "Bulk set issue properties",
            "status": "COMPLETE",
            "message": f"{len(task.processed)} of {task.total} issues updated",
            "progress": 100,
            "elapsedRuntime": max(0, finished - submitted),
            "submitted": submitted,
            "started": submitted,
            "finished": finished,
            "lastUpdate": finished,
            # Jira types this as int64: a numeric user id, not the account id.
            "submittedBy": zlib.crc32(task.submitted_by.encode()),
        }
        if task.failed:
            out["result"] = {
                "failedIssues": [
                    {"issueID": issue_id, "errors": reasons}
                    for issue_id, reasons in task.failed.items()
                ]
            }
        req.points = 2
        return out

    return r


# ---------------------------------------------------------------------- helpers


def _require_bulk_change(req: Request, st: JiraState) -> None:
    # A global permission: JiraState.can answers it without looking at the project.
    if not st.can(req.user, "", "BULK_CHANGE"):
        raise _BulkError(
            403, "You do not have the global permission Make bulk changes (BULK_CHANGE)."
        )


def _bulk_edit_payload(
    st: JiraState, req: Request
) -> tuple[list[str], list[tuple[str, str, list[str]]]]:
    """The issues and (field id, option, labels) edits of a bulk edit; 400 on anything else."""
    try:
        body = req.json()
    except HttpError as exc:
        raise _BulkError(400, exc.messages[0] if exc.messages else "Invalid body.") from None
    if not isinstance(body, dict):
        raise _BulkError(400, "The request body must be a JSON object.")
    refs = body.get("selectedIssueIdsOrKeys")
    actions = body.get("selectedActions")
    edited = body.get("editedFieldsInput")
    if not isinstance(refs, list) or not refs or not all(isinstance(x, str) for x in refs):
        raise _BulkError(400, "selectedIssueIdsOrKeys must be a non-empty list of ids or keys.")
    if len(refs) > MAX_BULK_EDIT_ISSUES:
        raise _BulkError(
            400, f"A bulk edit accepts at most {MAX_BULK_EDIT_ISSUES} issues, not {len(refs)}."
        )
    if not isinstance(actions, list) or not all(isinstance(a, str) for a in actions):
        raise _BulkError(400, "selectedActions must be a list of field ids.")
    if len(actions) > MAX_BULK_EDIT_FIELDS:
        raise _BulkError(400, f"A bulk edit accepts at most {MAX_BULK_EDIT_FIELDS} fields.")
    if not isinstance(edited, dict):
        raise _BulkError(400, "editedFieldsInput must be an object.")
    unsupported = sorted(k for k in edited if k != "labelsFields")
    if unsupported:
        listed = ", ".join(unsupported)
        raise _BulkError(400, f"The sandbox's bulk edit supports labelsFields only, not {listed}.")
    inputs: list[tuple[str, str, list[str]]] = []
    for item in edited.get("labelsFields") or []:
        if not isinstance(item, dict):
            raise _BulkError(400, "Each labelsFields entry must be an object.")
        field_id = item.get("fieldId")
        option = item.get("bulkEditMultiSelectFieldOption")
        names = item.get("labels")
        f = st.fields.get(str(field_id))
        if f is None or not (field_id == "labels" or f.kind == "labels"):
            raise _BulkError(400, f"{field_id!r} is not a labels field.")
        if option not in _LABEL_OPTIONS:
            raise _BulkError(
                400, f"bulkEditMultiSelectFieldOption must be one of {', '.join(_LABEL_OPTIONS)}."
            )
        if not isinstance(names, list) or not all(
            isinstance(n, dict) and isinstance(n.get("name"), str) for n in names
        ):
            raise _BulkError(400, 'labels must be a list of {"name": label}.')
        inputs.append((str(field_id), str(option), [n["name"] for n in names]))
    fields_in = [field_id for field_id, _, _ in inputs]
    not_selected = sorted(set(fields_in) - set(actions))
    if not_selected:
        raise _BulkError(
            400,
            "The following editedFieldInput values are not listed as selectedActions : "
            + ", ".join(not_selected),
        )
    without_input = sorted(set(actions) - set(fields_in))
    if without_input:
        raise _BulkError(
            400,
            "The following selectedActions have no editedFieldsInput : " + ", ".join(without_input),
        )
    return list(dict.fromkeys(refs)), inputs


def _label_edit(field_id: str, option: str, labels: list[str]) -> dict[str, Any]:
    """The single-issue edit body equivalent to one labels bulk-edit option."""
    if option == "ADD":
        return {"update": {field_id: [{"add": label} for label in labels]}}
    if option == "REMOVE":
        return {"update": {field_id: [{"remove": label} for label in labels]}}
    if option == "REPLACE":
        return {"fields": {field_id: labels}}
    return {"fields": {field_id: []}}  # REMOVE_ALL


def _properties_payload(req: Request) -> list[tuple[int, dict[str, Any]]]:
    body = req.json()
    issues = body.get("issues") if isinstance(body, dict) else None
    if not isinstance(issues, list) or not issues:
        raise HttpError(400, "issues must be a non-empty list of {issueID, properties}.")
    if len(issues) > MAX_PROPERTY_ISSUES:
        raise HttpError(
            400, f"Properties of at most {MAX_PROPERTY_ISSUES} issues can be set in one request."
        )
    out: list[tuple[int, dict[str, Any]]] = []
    for item in issues:
        issue_id = item.get("issueID") if isinstance(item, dict) else None
        values = item.get("properties") if isinstance(item, dict) else None
        if isinstance(issue_id, bool) or not isinstance(issue_id, int):
            raise HttpError(400, "issueID must be the numeric id of an issue.")
        if not isinstance(values, dict) or not values:
            raise HttpError(400, f"Issue {issue_id}: properties must be a non-empty object.")
        if len(values) > MAX_PROPERTIES_PER_ISSUE:
            raise HttpError(
                400,
                f"Issue {issue_id}: at most {MAX_PROPERTIES_PER_ISSUE} properties per issue.",
            )
        out.append((issue_id, values))
    return out


def _tasks(st: JiraState) -> dict[str, Task]:
    # Kept with the Jira state, so a reset or a new seed starts without tasks.
    return st.cache.setdefault("tasks", {})  # type: ignore[no-any-return]


def _new_task(st: JiraState, kind: str, account_id: str, *, total: int) -> Task:
    tasks = _tasks(st)
    number = int(st.cache.get("next_task", 10000))
    st.cache["next_task"] = number + 1
    now = st.clock.now()
    task = Task(str(number), kind, account_id, now, now, total=total)
    tasks[task.id] = task
    return task


def _millis(when: datetime) -> int:
    return int(when.timestamp() * 1000)
