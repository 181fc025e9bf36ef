"""Gather what the sprint page shows, through the gateways: reads only, never writes.

The budget figures come from the pure core (``bridgeplugin.budget``); this module only fetches
its inputs (board sprints, issues of the initiatives with their changelogs and worklogs, the
rate card's group members) and the facts of the two other sections: shared initiatives (the
``Initiative`` field, per team) and governance (the ``bridge`` issue property's ``tagging``
record, and the governance verdict of every tagged request when a review policy is shipped).

Calls, all in bulk (none per issue or per person when the data fits the bulk paths):

* one search of every issue of the budgets' projects (one page per 100), with the fields the
  page, the costs and the tagging rules read, and the ``worklog`` field: Jira embeds the first
  20 worklogs and their total, so ``issue/{key}/worklog`` is read only for an issue of an
  initiative with more worklogs than that;
* their changelogs in bulk (1,000 issues per call);
* one ``existing_groups`` and one ``group_members`` per existing group, for every group the
  rate card, the tagging rules and the review policy name: the people's groups come from
  there, never from ``user/groups`` per person;
* for the tagged requests, the governance step's bulk loader (``enforce/load.py``: the
  requests with the review rules' fields, their review sub-tasks, the changelogs evaluation
  reads) and, when the policy has waivers, their comments in bulk (100 issues per call).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..budget import BudgetBook, IssueFacts, SprintReport, collect_costs, pick_sprint, sprint_report
from ..errors import BridgeError, ConfigError, NotFound
from ..jira_gateway import JiraApi
from ..model import ChangelogEntry, Comment, Issue, Sprint, Worklog
from ..plan import tagging_record
from ..rules import StaticDirectory
from ..tagging import SYSTEM_FIELDS

if TYPE_CHECKING:
    from ..governance import Policy
    from ..tagging import Tagger

__all__ = [
    "GovernanceFacts",
    "InitiativeFacts",
    "PendingReview",
    "ReportData",
    "TaggedRequest",
    "board_sprints",
    "gather",
]

log = logging.getLogger(__name__)

ISSUE_FIELDS = (
    "summary",
    "status",
    "resolution",
    "labels",
    "parent",
    "issuetype",
    "assignee",
    "created",
    "project",
)


@dataclass(frozen=True)
class _Rules:
    """The tagging rules and the review policy, when ``rules_dir`` ships a policy; otherwise
    why governance is not evaluated (``note``: said on the page, ``None``: nothing to say)."""

    tagger: Tagger | None = None
    policy: Policy | None = None
    note: str | None = None
    absent: tuple[str, ...] = ()  # fields the tagging rules read that the site lacks

    @property
    def governed(self) -> bool:
        return self.tagger is not None and self.policy is not None


@dataclass(frozen=True)
class InitiativeFacts:
    """One shared initiative: its issues per team (department), done / total."""

    name: str
    teams: tuple[tuple[str, int, int], ...]  # (team name, done, total)
    done: int
    total: int
    open_keys: tuple[str, ...]  # a few not-done issues, linked on the page
    owners: tuple[str, ...]  # assignees of the open issues


@dataclass(frozen=True)
class TaggedRequest:
    key: str
    summary: str
    status: str
    category: str | None
    tagged_this_sprint: bool
    allowed: bool | None = None  # None: governance was not evaluated
    reverted: bool = False  # governance would move it out of its approved status
    waivers: tuple[str, ...] = ()  # active waivers


@dataclass(frozen=True)
class PendingReview:
    request: str
    review: str
    sub_task: str | None
    age_days: int | None


@dataclass(frozen=True)
class GovernanceFacts:
    tagged: tuple[TaggedRequest, ...]
    pending: tuple[PendingReview, ...]
    evaluated: bool  # the review policy was evaluated for every tagged request
    note: str | None = None  # why it was not (said plainly on the page)

    @property
    def tagged_this_sprint(self) -> tuple[TaggedRequest, ...]:
        return tuple(t for t in self.tagged if t.tagged_this_sprint)


@dataclass(frozen=True)
class ReportData:
    report: SprintReport
    sprint: Sprint
    sprints: tuple[Sprint, ...]
    initiatives: tuple[InitiativeFacts, ...]
    governance: GovernanceFacts
    jira_url: str
    notes: tuple[str, ...] = field(default=())


def board_sprints(jira: JiraApi, board_id: int | None, projects: Sequence[str]) -> list[Sprint]:
    """Every sprint of the board (future ones too: the forecast's x axis). A board that does not
    exist is a configuration error (exit 2), said in one line."""
    if board_id is None:
        boards = [b for p in projects for b in jira.boards(p) if b.type == "scrum"]
        if not boards:
            raise ConfigError(
                f"no Scrum board found for project(s) {', '.join(projects)}",
                hint="set board_id in bridge.yaml (BRIDGE_BOARD_ID)",
            )
        board_id = boards[0].id
    try:
        return jira.sprints(board_id, states=("active", "closed", "future"))
    except NotFound:
        raise ConfigError(
            f"Jira board {board_id} does not exist (or you cannot see it)",
            hint="set board_id in bridge.yaml to the IT Scrum board's id",
        ) from None


def gather(
    jira: JiraApi,
    book: BudgetBook,
    *,
    sprint: str | int | None,
    board_id: int | None,
    as_of: datetime,
    jira_url: str,
    rules_dir: Path | None,
    label: str,
) -> ReportData:
    it_projects = [p for d in book.departments if d.key == "it" for p in d.projects]
    sprints = board_sprints(jira, board_id, it_projects or [book.departments[0].projects[0]])
    chosen = pick_sprint(sprints, sprint, as_of=as_of)
    projects = sorted({p for d in book.departments for p in d.projects})
    ifield = book.costs.initiative_field
    cost_fields = [f for f in (book.costs.one_off.field, book.costs.monthly.field) if f]
    rules = _load_rules(jira, rules_dir)
    worklogs = book.costs.worklogs_enabled
    fields = [*ISSUE_FIELDS, ifield, *cost_fields, *(["worklog"] if worklogs else [])]
    tagger, policy = rules.tagger, rules.policy
    if tagger is not None:  # tagging reads these: the tagged requests are classified from here
        fields += [*SYSTEM_FIELDS, *sorted(tagger.custom_fields() - set(rules.absent))]
    fields = list(dict.fromkeys(fields))
    issues = list(
        jira.search(
            f"project in ({', '.join(projects)}) ORDER BY key",
            fields=fields,
            properties=("bridge",),
        )
    )
    late = _unindexed(jira, issues, fields, projects)
    if late:  # in the search's order, as if the index had caught up
        issues = sorted([*issues, *late], key=_key_order)
    facts = _issue_facts(jira, issues, ifield, worklogs=worklogs)
    tagged = _tagged(issues)
    rate_card = sorted({g for t in book.teams for g in t.groups})
    names = set(rate_card)
    if tagged and tagger is not None and policy is not None:
        names |= tagger.groups() | policy.groups()
    members = _members(jira, sorted(names))
    groups = _groups(members, rate_card)
    costs = collect_costs(book, facts.values(), groups=groups)
    report = sprint_report(book, sprints, costs, as_of=as_of, sprint=chosen.id)
    window = (report.sprint.start, report.sprint.cutoff)
    return ReportData(
        report=report,
        sprint=chosen,
        sprints=tuple(sprints),
        initiatives=_initiatives(book, issues, ifield),
        governance=_governance(
            jira, tagged, facts, window, rules, StaticDirectory(members), label, as_of
        ),
        jira_url=jira_url.rstrip("/"),
    )


def _load_rules(jira: JiraApi, rules_dir: Path | None) -> _Rules:
    """The tagging rules and review policy (files only), and which fields tagging reads that
    the site lacks (from the field catalog, read once per gateway)."""
    from ..check import _site_fields
    from ..governance import categories_of, load_policy
    from ..tagging import Tagger

    if rules_dir is None:
        return _Rules()
    try:
        tagger = Tagger.load(rules_dir)
        policy = load_policy(rules_dir, categories=categories_of(tagger.rules))
    except BridgeError as exc:  # no or broken policy: the page says so instead of guessing
        return _Rules(note=str(exc))
    if policy is None:
        return _Rules(note="no review policy")
    _present, absent = _site_fields(jira, tagger.custom_fields())
    return _Rules(tagger, policy, absent=tuple(absent))


def _issue_facts(
    jira: JiraApi, issues: Sequence[Issue], ifield: str, *, worklogs: bool
) -> dict[str, IssueFacts]:
    """Changelogs for all issues in one bulk call; worklogs only for issues of an initiative
    (or their children), the rest cannot be charged anywhere: those the search embedded, or
    one call for an issue with more worklogs than embedded."""
    logs = jira.changelogs_bulk([i.key for i in issues]) if issues else {}
    by_key = {i.key: i for i in issues}

    def in_initiative(issue: Issue) -> bool:
        parent = by_key.get(issue.parent or "")
        return bool(issue.custom.get(ifield)) or (parent is not None and in_initiative(parent))

    out: dict[str, IssueFacts] = {}
    for issue in issues:
        wl = _worklogs(jira, issue) if worklogs and in_initiative(issue) else ()
        out[issue.key] = IssueFacts(issue, tuple(logs.get(issue.id, ())), wl)
    return out


def _worklogs(jira: JiraApi, issue: Issue) -> tuple[Worklog, ...]:
    """The worklogs the search embedded, when they are all of them; otherwise read them all."""
    embedded, total = issue.worklogs, issue.worklog_total
    if embedded is not None and total is not None and total <= len(embedded):
        return embedded
    return tuple(jira.worklogs(issue.key))


def _members(jira: JiraApi, names: Sequence[str]) -> dict[str, list[str]]:
    """account id -> the groups of ``names`` the person is in: one ``existing_groups`` call,
    then one call per existing group (a group the site lacks has no members here)."""
    out: dict[str, list[str]] = {}
    for group in sorted(jira.existing_groups(names)) if names else []:
        try:
            users = jira.group_members(group)
        except NotFound:  # Data Center answers every name as existing
            log.info("the site has no group %r: counted as empty", group)
            continue
        for user in users:
            out.setdefault(user.account_id, []).append(group)
    return out


def _groups(members: Mapping[str, Sequence[str]], rate_card: Sequence[str]) -> dict[str, list[str]]:
    """account id -> the rate card's groups the person is in."""
    wanted = set(rate_card)
    out = {acc: [g for g in groups if g in wanted] for acc, groups in members.items()}
    return {acc: groups for acc, groups in out.items() if groups}


def _initiatives(
    book: BudgetBook, issues: Sequence[Issue], ifield: str
) -> tuple[InitiativeFacts, ...]:
    team_of = {p: d.name for d in book.departments for p in d.projects}
    grouped: dict[str, list[Issue]] = {}
    for issue in issues:
        name = issue.custom.get(ifield)
        if isinstance(name, str) and name.strip():
            grouped.setdefault(name.strip(), []).append(issue)
    out = []
    for name in sorted(grouped):
        members = grouped[name]
        teams: dict[str, list[int]] = {}
        for issue in members:
            counts = teams.setdefault(
                team_of.get(issue.project or "", issue.project or "?"), [0, 0]
            )
            counts[0] += _done(issue)
            counts[1] += 1
        open_issues = [i for i in members if not _done(i)]
        owners = sorted({i.assignee.display_name for i in open_issues if i.assignee})
        out.append(
            InitiativeFacts(
                name=name,
                teams=tuple((t, c[0], c[1]) for t, c in sorted(teams.items())),
                done=sum(_done(i) for i in members),
                total=len(members),
                open_keys=tuple(i.key for i in open_issues),
                owners=tuple(owners),
            )
        )
    return tuple(out)


def _done(issue: Issue) -> bool:
    if issue.status_category is not None:
        return issue.status_category == "done"
    return (issue.status or "").casefold() in {"done", "closed", "resolved"}


def _label_added_at(log: Sequence[ChangelogEntry], label: str) -> datetime | None:
    """When the tagging label last appeared on the issue, from its history."""
    when = None
    for entry in log:
        for item in entry.items:
            if item.field.casefold() != "labels":
                continue
            before = (item.from_string or "").split()
            after = (item.to_string or "").split()
            if label in after and label not in before:
                when = entry.created
    return when


def _tagged(issues: Sequence[Issue]) -> list[Issue]:
    """Issues whose ``bridge`` property records them as tagged."""
    return [i for i in issues if (tagging_record(i) or {}).get("tag")]


def _governance(
    jira: JiraApi,
    issues: Sequence[Issue],
    facts: Mapping[str, IssueFacts],
    window: tuple[datetime, datetime],
    rules: _Rules,
    directory: StaticDirectory,
    label: str,
    as_of: datetime,
) -> GovernanceFacts:
    tagged: list[TaggedRequest] = []
    for issue in issues:
        record = tagging_record(issue) or {}
        # The property has no date: the label's arrival in the changelog says when it was
        # tagged; a label present from creation counts from the issue's creation.
        when = _label_added_at(facts[issue.key].changelog, label) or issue.created
        this = when is not None and window[0] <= when < window[1]
        tagged.append(
            TaggedRequest(
                key=issue.key,
                summary=issue.summary or "",
                status=issue.status or "",
                category=record.get("category"),
                tagged_this_sprint=this,
            )
        )
    if not tagged or (not rules.governed and rules.note is None):
        return GovernanceFacts(tuple(tagged), (), evaluated=False)
    if not rules.governed:
        return GovernanceFacts(tuple(tagged), (), evaluated=False, note=rules.note)
    return _verdicts(jira, tagged, {i.key: i for i in issues}, rules, directory, as_of)


def _unindexed(
    jira: JiraApi, issues: Sequence[Issue], fields: Sequence[str], projects: Sequence[str]
) -> list[Issue]:
    """Issues the search should have returned but Cloud's index has not caught up with: the
    ones a sync created moments ago (review sub-tasks, epics, checklist stories), named by the
    issues' parents and ``bridge`` records. Read by key, which is consistent; nothing to read
    (no call) when the search was complete. A page published once, for a closed sprint,
    would otherwise keep the state before the sync's last writes."""
    seen = {i.key for i in issues}
    found: list[Issue] = []
    todo = list(issues)
    for _ in range(2):  # requests name their epics; an epic names its stories
        wanted = sorted({k for i in todo for k in _named(i)} - seen)
        if not wanted:
            break
        read = jira.get_issues(wanted, fields, properties=("bridge",))
        todo = [i for i in read if i.key not in seen and (i.project or "") in projects]
        seen |= {i.key for i in todo}
        found += todo
    return found


def _key_order(issue: Issue) -> tuple[str, int]:
    project, _, number = issue.key.rpartition("-")
    return project, int(number) if number.isdigit() else 0


def _named(issue: Issue) -> set[str]:
    """Keys an issue points at: its parent, its recorded review sub-tasks and checklist."""
    out = {issue.parent} if issue.parent else set()
    record = issue.properties.get("bridge")
    if isinstance(record, Mapping):
        reviews = record.get("reviews")
        if isinstance(reviews, Mapping):
            keys = [v.get("key") for v in reviews.values() if isinstance(v, Mapping)]
            out |= {str(k) for k in keys if k}
        epic = record.get("epic")
        checklist = epic.get("checklist") if isinstance(epic, Mapping) else None
        if isinstance(checklist, Mapping):
            out |= {str(v) for v in checklist.values() if v}
    return out


def _verdicts(
    jira: JiraApi,
    tagged: list[TaggedRequest],
    seen: Mapping[str, Issue],
    rules: _Rules,
    directory: StaticDirectory,
    as_of: datetime,
) -> GovernanceFacts:
    """Evaluate the review policy for every tagged request, with the facts ``bridge check``
    reads, loaded for all of them at once (the governance step's bulk loader)."""
    from ..check import check_issue
    from ..enforce.load import load
    from ..governance import RequestFacts, Verdict, evaluate

    tagger, policy = rules.tagger, rules.policy
    if tagger is None or policy is None:
        raise AssertionError("governance without rules")
    loaded = load(jira, [t.key for t in tagged], policy, directory=directory)
    requests = {r.key: r for r in loaded.requests}
    comments: dict[str, list[Comment]] | None = None
    if policy.waivers and requests:
        read = {k.upper(): v for k, v in jira.comments_bulk(list(requests)).items()}
        comments = {k: read.get(k.upper(), []) for k in requests}
    # A field the tagging rules read that the site lacks is empty (as ``bridge check`` has it).
    empty = dict.fromkeys(rules.absent)
    out: list[TaggedRequest] = []
    pending: list[PendingReview] = []
    for t in tagged:
        request = requests.get(t.key)
        if request is None:  # a sub-task or review task tagged as a request: read it alone
            checked = check_issue(jira, t.key, tagger=tagger, policy=policy, now=as_of)
            v: Verdict = checked.verdict
            facts = checked.facts
        else:
            issue = seen[t.key]
            if empty:
                issue = issue.model_copy(update={"custom": {**issue.custom, **empty}})
                request = request.model_copy(update={"custom": {**request.custom, **empty}})
            subs = loaded.sub_tasks.get(t.key, [])
            facts = RequestFacts(
                issue=request,
                tagging=tagger.classify(issue, directory),
                sub_tasks=subs,
                changelogs={i: loaded.logs.get(i, []) for i in [request.id, *(s.id for s in subs)]},
                comments=comments.get(t.key, []) if comments is not None else None,
            )
            v = evaluate(policy, facts, directory, now=as_of)
        created = {s.key: s.created for s in facts.sub_tasks}
        for r in v.reviews:
            if r.state != "pending":
                continue
            since = created.get(r.sub_task or "") or facts.issue.created
            age = (as_of - since).days if since else None
            pending.append(PendingReview(t.key, r.title, r.sub_task, age))
        out.append(
            TaggedRequest(
                **{
                    **t.__dict__,
                    "allowed": v.allowed,
                    "reverted": v.enforcement.revert is not None,
                    "waivers": tuple(w.name for w in v.waivers if w.active),
                }
            )
        )
    return GovernanceFacts(tuple(out), tuple(pending), evaluated=True)
