"""``bridge check KEY``: read one request's facts from Jira, evaluate its reviews, explain.

Reads (never writes), through the narrow ``JiraApi``:

1. the request, with every field the tagging and review rules read and its ``bridge`` property;
2. its sub-tasks (JQL ``parent = KEY``), where the review sub-tasks are;
3. the changelogs of the request and its sub-tasks in one bulk call: who closed each review,
   where the request came from, what changed after a review was given;
4. the request's comments, when the policy defines waivers;
5. the groups of the people that matter (reporter, creator, assignee, requester, whoever closed
   a sub-task or wrote a waiver command), one ``user_groups`` call each.

Then tagging and governance are evaluated purely, so ``--assume`` simulations and tests of the
same facts give the same answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from .classify import users_of
from .errors import FieldNameError
from .governance import Assumptions, Policy, RequestFacts, Verdict, evaluate
from .governance.history import closing_entry
from .governance.waivers import commands
from .jira_gateway import JiraApi
from .model import ChangelogEntry, Comment, Issue
from .rules import StaticDirectory
from .tagging import SYSTEM_FIELDS, Tagger

__all__ = ["REQUEST_FIELDS", "SUB_TASK_FIELDS", "Checked", "check_issue", "load_request"]

REQUEST_FIELDS = (*SYSTEM_FIELDS, "resolution", "parent", "created", "updated")
SUB_TASK_FIELDS = (
    "summary",
    "status",
    "resolution",
    "labels",
    "parent",
    "issuetype",
    "assignee",
    "reporter",
    "created",
)
PROPERTIES = ("bridge",)


@dataclass
class Checked:
    """One request's verdict, and the fields the review rules name that the site lacks."""

    verdict: Verdict
    facts: RequestFacts
    absent_fields: list[str] = field(default_factory=list)


def check_issue(
    jira: JiraApi,
    key: str,
    *,
    tagger: Tagger,
    policy: Policy,
    now: datetime,
    assume: Assumptions | None = None,
) -> Checked:
    facts, directory, absent = load_request(jira, key, tagger=tagger, policy=policy)
    verdict = evaluate(policy, facts, directory, now=now, assume=assume)
    return Checked(verdict, facts, absent)


def load_request(
    jira: JiraApi, key: str, *, tagger: Tagger, policy: Policy
) -> tuple[RequestFacts, StaticDirectory, list[str]]:
    """Everything evaluation needs about request ``key``, and the fields the review rules read
    that the site lacks (those the tagging rules read are empty, as ``rules explain`` says)."""
    tag_fields = tagger.custom_fields()
    present, absent = _site_fields(jira, tag_fields | policy.custom_fields())
    issue = jira.get_issue(key, [*REQUEST_FIELDS, *present], properties=PROPERTIES)
    # A field the tagging rules read that the site lacks is empty for tagging (as in classify);
    # one only the review rules read stays absent, so a mandatory rule on it requires its
    # reviews instead of reading "no such field" as "no".
    empty = [name for name in absent if name in tag_fields]
    if empty:
        issue = issue.model_copy(update={"custom": {**issue.custom, **dict.fromkeys(empty)}})
    sub_tasks = list(jira.search(f'parent = "{issue.key}"', fields=list(SUB_TASK_FIELDS)))
    logs = jira.changelogs_bulk([issue.key, *(s.key for s in sub_tasks)])
    comments = jira.comments(issue.key) if policy.waivers else None
    people = _people(issue, sub_tasks, logs, comments)
    directory = StaticDirectory({acc: jira.user_groups(acc) for acc in sorted(people)})
    facts = RequestFacts(
        issue=issue,
        tagging=tagger.classify(issue, directory),
        sub_tasks=sub_tasks,
        changelogs=logs,
        comments=comments,
    )
    return facts, directory, [name for name in absent if name not in tag_fields]


def _site_fields(jira: JiraApi, names: Iterable[str]) -> tuple[list[str], list[str]]:
    present: list[str] = []
    absent: list[str] = []
    for name in sorted(names):
        try:
            jira.resolve_field(name)
        except FieldNameError as exc:
            if exc.ambiguous:
                raise
            absent.append(name)
        else:
            present.append(name)
    return present, absent


def _people(
    issue: Issue,
    sub_tasks: Sequence[Issue],
    logs: dict[str, list[ChangelogEntry]],
    comments: Sequence[Comment] | None,
) -> set[str]:
    """Account ids whose groups evaluation may ask about."""
    out = {u.account_id for u in users_of(issue)}
    for sub in sub_tasks:
        entry = closing_entry(logs.get(sub.id, ()))
        if entry is not None and entry.author is not None:
            out.add(entry.author.account_id)
    if comments is not None:
        out |= {c.by.account_id for c in commands(comments)}
    return out
