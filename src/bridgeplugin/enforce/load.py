"""Load governance facts for many requests at once (``check.py`` does it for one).

Calls, for N candidate requests (those whose review rules may apply):

* the requests again with the fields review rules read (``resolution``, rule fields, the
  ``bridge`` property): one search page per 100;
* their review sub-tasks: one search ``parent in (...) AND (labels in (review-...) OR key in
  (recorded))`` per 200 requests, one page per 100 sub-tasks;
* changelogs in bulk (1,000 issues per call) only where evaluation reads them: a request in a
  gated status or with a closed review (who approved, where it came from, what changed since),
  or with review sub-tasks at all (a revert whose comment a stopped run still owes), a closed
  review sub-task (who closed it). An open request without reviews needs none;
* group members of every group the policy names (one call each after one ``existing_groups``).

Comments (for waivers and for comments a crashed run may have posted) are read later, only for
the requests that need them (``step.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ..check import REQUEST_FIELDS, SUB_TASK_FIELDS, _site_fields
from ..governance import Policy, recorded_reviews
from ..jira_gateway import JiraApi
from ..model import ChangelogEntry, Issue
from ..rules import StaticDirectory

__all__ = ["Loaded", "is_review_task", "load", "load_fields", "parents_of_reviews"]

READ_CHUNK = 100  # keys per `key in (...)` search: one page each
PARENT_CHUNK = 200  # parents per sub-task search (the JQL stays short)


@dataclass
class Loaded:
    requests: list[Issue]
    sub_tasks: dict[str, list[Issue]]  # by parent key
    logs: dict[str, list[ChangelogEntry]] = field(default_factory=dict)  # by issue id
    directory: StaticDirectory = field(default_factory=StaticDirectory)
    log_reads: int = 0  # issues whose changelogs were read


def is_review_task(issue: Issue, policy: Policy) -> bool:
    """A sub-task, or an issue with a review label: never itself a request needing reviews
    (a review sub-task whose summary says "integration" would otherwise ask for reviews of
    its own, forever)."""
    kind = (issue.issue_type or "").casefold().replace("-", "")
    labels = {lb.casefold() for lb in issue.labels}
    return "subtask" in kind or any(r.label.casefold() in labels for r in policy.reviews.values())


def load(
    jira: JiraApi,
    keys: Sequence[str],
    policy: Policy,
    *,
    directory: StaticDirectory,
    tagging_fields: Iterable[str] = (),
    preloaded: Mapping[str, Issue] | None = None,
) -> Loaded:
    """``tagging_fields``: also read these (requests tagging did not load, to classify them);
    those the site lacks are set empty, as tagging reads them. ``preloaded``: requests the
    caller read moments ago with ``load_fields`` (and the ``bridge`` property); not read again."""
    if not keys:
        return Loaded([], {}, directory=directory)
    tagging_fields = set(tagging_fields)
    present, absent = _site_fields(jira, policy.custom_fields() | tagging_fields)
    empty = dict.fromkeys(name for name in absent if name in tagging_fields)
    fields = list(dict.fromkeys([*REQUEST_FIELDS, *present]))
    requests: list[Issue] = []
    if preloaded:
        requests.extend(preloaded[k] for k in keys if k in preloaded)
        keys = [k for k in keys if k not in preloaded]
    for chunk in _chunks(keys, READ_CHUNK):
        jql = f"key in ({', '.join(chunk)}) ORDER BY key ASC"
        for issue in jira.search(jql, fields=fields, properties=("bridge",)):
            if empty:
                issue = issue.model_copy(update={"custom": {**issue.custom, **empty}})
            requests.append(issue)
    requests = [r for r in requests if not is_review_task(r, policy)]
    sub_tasks = _sub_tasks(jira, requests, policy)
    needing = _needing_logs(requests, sub_tasks, policy)
    logs = jira.changelogs_bulk(needing) if needing else {}
    return Loaded(requests, sub_tasks, logs, directory, len(needing))


def load_fields(jira: JiraApi, policy: Policy) -> list[str]:
    """The fields ``load`` reads of a request: a caller that searches with them (sync's scope
    search) hands its issues over as ``preloaded`` and saves a page per 100 requests."""
    present, _ = _site_fields(jira, policy.custom_fields())
    return list(dict.fromkeys([*REQUEST_FIELDS, *present]))


def _sub_tasks(jira: JiraApi, requests: Sequence[Issue], policy: Policy) -> dict[str, list[Issue]]:
    labels = ", ".join(f'"{r.label}"' for r in policy.reviews.values())
    out: dict[str, list[Issue]] = {r.key: [] for r in requests}
    for chunk in _chunks([r.key for r in requests], PARENT_CHUNK):
        recorded = sorted(
            {k for r in requests if r.key in chunk for k in recorded_reviews(r).values()}
        )
        which = f"labels in ({labels})" + (
            f" OR key in ({', '.join(recorded)})" if recorded else ""
        )
        jql = f"parent in ({', '.join(chunk)}) AND ({which}) ORDER BY key ASC"
        found: set[str] = set()
        for sub in jira.search(jql, fields=list(SUB_TASK_FIELDS)):
            if sub.parent in out:
                out[sub.parent].append(sub)
                found.add(sub.key)
        # Cloud's search lags its database: a sub-task recorded moments ago (the last run)
        # may not match yet. Read those by key, which is consistent, rather than creating
        # them again; normally every recorded one was found and this costs nothing.
        unseen = [k for k in recorded if k not in found]
        for sub in jira.get_issues(unseen, list(SUB_TASK_FIELDS)) if unseen else []:
            if sub.parent in out and sub.key not in found:
                out[sub.parent].append(sub)
    return out


def _needing_logs(
    requests: Sequence[Issue], sub_tasks: Mapping[str, Sequence[Issue]], policy: Policy
) -> list[str]:
    keys: list[str] = []
    for request in requests:
        config = policy.gate.for_project(request.project)
        closed = [s for s in sub_tasks.get(request.key, ()) if s.status_category == "done"]
        gated = config.is_gated_status(request.status, request.status_category)
        # A request with review sub-tasks may have been reverted by a run that stopped before
        # saying why: its history shows it (plan.owed_revert). Same bulk calls, more issues.
        reviewed = bool(sub_tasks.get(request.key))
        if gated or config.transitions or closed or reviewed:
            keys.append(request.key)
        keys.extend(s.key for s in closed)
    return keys


def _chunks(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def parents_of_reviews(jira: JiraApi, issues: Sequence[Issue], policy: Policy) -> list[str]:
    """The requests of the review sub-tasks among ``issues``. A change to a sub-task (a
    review given or rejected) does not touch its parent's ``updated``, so an incremental
    sync (or a webhook naming the sub-task) sees the sub-task only: one search per 100 of
    them finds the requests to evaluate again."""
    labels = {r.label.casefold() for r in policy.reviews.values()}
    # Sub-tasks a loaded request has on record need no search: their request is loaded.
    known = {k for i in issues for k in recorded_reviews(i).values()}
    reviews = [
        i for i in issues if i.key not in known and labels & {lb.casefold() for lb in i.labels}
    ]
    # Read with their parent (sync's scope search asks for it): no search needed.
    out: list[str] = [i.parent for i in reviews if i.parent]
    unknown = [i.key for i in reviews if not i.parent]
    for chunk in _chunks(unknown, READ_CHUNK):
        jql = f"key in ({', '.join(chunk)}) ORDER BY key ASC"
        out.extend(s.parent for s in jira.search(jql, fields=["parent"]) if s.parent)
    return list(dict.fromkeys(out))
