"""``bridge sync``: load -> evaluate -> plan -> apply, once, under the sync lease.

* **load** the issues of the scope (``project in (MKT, IT)``, narrowed by ``--project`` /
  ``--jql``): incrementally by default, i.e. those updated since the stored watermark minus an
  overlap, every one with ``--full``; the fields the tagging rules read plus ``labels`` and
  ``updated``, and the ``bridge`` property. Group memberships come from one ``group_members``
  call per group the rules name. Where the plan needs more (who added a label, whether a plugin
  comment is already there), one bulk read per 1,000 or 100 issues, for those issues only.
* **evaluate** each issue with the ``Tagger`` (pure).
* **plan** with ``plan.plan_tagging`` (pure, compare before write).
* **apply** with ``apply.apply_plan`` (bulk calls, journal), unless ``--dry-run``.

The watermark is the largest ``updated`` the load saw (the server's clock, so this machine's
clock cannot skew it); it is stored only after a fully successful apply. Jira reads dates in a
JQL query in the searcher's time zone, so the lower bound is written in the zone ``/myself``
reports, floored to the minute (JQL's precision), which only widens the window. Issues this run
writes get a newer ``updated`` and are read once more by the next run: they plan nothing.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .apply import Outcome, apply_plan
from .config import Config
from .enforce import Governance, governance_from_config
from .epics.step import EpicsReport, EpicsStep, step_from_config
from .errors import AtlassianError, FieldNameError, NotFound
from .jira_gateway import JiraApi
from .model import ChangelogEntry, Issue
from .plan import (
    AddLabel,
    Facts,
    Plan,
    RemoveLabel,
    SetProperty,
    needs,
    plan_tagging,
    tagging_record,
)
from .render import Renderer, last_marker
from .rules import StaticDirectory
from .state import Lease, Store, dead_here, open_store
from .tagging import SYSTEM_FIELDS, Tagger, TagVerdict

__all__ = [
    "LEASE_NAME",
    "Progress",
    "SyncOptions",
    "SyncReport",
    "build_jql",
    "jql_time",
    "key_clause",
    "last_added_by",
    "run_sync",
    "sync_from_config",
]

log = logging.getLogger(__name__)

LEASE_NAME = "sync"
ISSUE_KEY = re.compile(r"[A-Z][A-Z0-9_]*-[1-9][0-9]*")
PROPERTIES = ("bridge",)
# Renew the lease at most this often (each renewal is a synced write to the state file).
_RENEW_EVERY = 30.0


class Progress(Protocol):
    """What a long run reports as it goes (the CLI draws a bar; tests and JSON don't)."""

    def phase(self, name: str, total: int | None) -> None: ...
    def advance(self, n: int = 1) -> None: ...
    def done(self) -> None: ...


@dataclass(frozen=True)
class SyncOptions:
    full: bool = False
    projects: tuple[str, ...] = ()  # narrow the scope to these projects
    jql: str | None = None  # ... and to issues matching this
    dry_run: bool = False
    overlap: timedelta = timedelta(minutes=5)
    # Only these issues (the webhook path): read whatever their updated date, and never move
    # the scope's watermark, which speaks for the whole scope and belongs to the sweep.
    keys: tuple[str, ...] = ()


@dataclass
class SyncReport:
    """What one run did; ``to_json`` is the ``bridge sync --format json`` document.

    A run over a large site makes hundreds of thousands of actions: the report keeps the first
    ``keep_actions`` of them (and every failure) to list, and counts all of them
    (``planned``, ``done``); the journal in the state database has every one.
    """

    mode: Literal["full", "incremental"]
    jql: str
    dry_run: bool = False
    since: datetime | None = None  # the lower bound of an incremental load
    issues_seen: int = 0
    plan: Plan = field(default_factory=Plan)  # every chunk's verdicts; actions up to the cap
    outcomes: list[Outcome] = field(default_factory=list)  # up to the cap, and every failure
    reads: int = 0
    writes: int = 0
    watermark: datetime | None = None  # stored by this run (None: unchanged)
    lease_holder: Lease | None = None  # another run held the lease: nothing was done
    error: AtlassianError | None = None  # Jira failed after retries: the run stopped there
    epics: EpicsReport | None = None  # the cross-team epics step, when epics.yaml enables it
    chunks: int = 0  # chunks of issues read, planned and applied
    keep_actions: int = 2_000
    planned: Counter[str] = field(default_factory=Counter)  # actions planned, by kind
    done: Counter[str] = field(default_factory=Counter)  # actions applied, by kind
    failed: int = 0
    governance: Counter[str] = field(default_factory=Counter)  # the step's counts, summed
    # What the calls were made for: issues whose label history or comments tagging read,
    # issues given a property, and label edits per label (what a lower bound is made of).
    detail: Counter[str] = field(default_factory=Counter)

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def omitted(self) -> int:
        """Actions made (or planned) that the report does not list."""
        listed = len(self.plan.actions) if self.dry_run else len(self.outcomes)
        total = sum(self.planned.values()) if self.dry_run else sum(self.done.values())
        return max(0, total + (0 if self.dry_run else self.failed) - listed)

    def add(self, plan: Plan, outcomes: Sequence[Outcome]) -> None:
        """Fold one chunk's plan and outcomes in, keeping at most ``keep_actions`` to list."""
        room = max(0, self.keep_actions - len(self.plan.actions))
        self.plan = Plan(
            actions=self.plan.actions + plan.actions[:room],
            tagged=self.plan.tagged + plan.tagged,
            untagged=self.plan.untagged + plan.untagged,
            held=self.plan.held + plan.held,
        )
        self.planned.update(a.kind for a in plan.actions)
        self.detail["property_issues"] += len(
            {a.key for a in plan.actions if isinstance(a, SetProperty)}
        )
        self.detail.update(
            f"{a.kind} {a.label}" for a in plan.actions if isinstance(a, AddLabel | RemoveLabel)
        )
        room = max(0, self.keep_actions - len(self.outcomes))
        for outcome in outcomes:
            if outcome.ok:
                self.done[outcome.action.kind] += 1
            else:
                self.failed += 1
            if room > 0 or not outcome.ok:
                self.outcomes.append(outcome)
                room -= 1

    def actions(self) -> list[dict[str, str]]:
        if self.dry_run:
            return [{**a.to_json(), "result": "planned"} for a in self.plan.actions]
        return [o.to_json() for o in self.outcomes]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "issues_seen": self.issues_seen,
            "actions": self.actions(),
            "writes": self.writes,
            "reads": self.reads,
            "mode": self.mode,
            "dry_run": self.dry_run,
            "jql": self.jql,
            "tagged": len(self.plan.tagged),
            "untagged": len(self.plan.untagged),
            "undecided": len(self.plan.held),
            "watermark": self.watermark.isoformat() if self.watermark else None,
            "chunks": self.chunks,
            "counts": {
                "planned": dict(sorted(self.planned.items())),
                "done": dict(sorted(self.done.items())),
                "failed": self.failed,
                "detail": dict(sorted(self.detail.items())),
                "governance": dict(sorted(self.governance.items())),
            },
        }
        if self.omitted:
            out["actions_omitted"] = self.omitted
        if self.lease_holder is not None:
            out["skipped"] = self.lease_message()
        if self.error is not None:
            out["error"] = self.error.message
        if self.epics is not None:
            out["epics"] = self.epics.to_json()
        return out

    def lease_message(self) -> str:
        lease = self.lease_holder
        assert lease is not None
        return f"another sync holds the lease until {lease.until} ({lease.holder}); nothing done"

    def lines(self) -> list[str]:
        """The text report: a header, one line per action, a summary."""
        if self.lease_holder is not None:
            return [self.lease_message()]
        since = f" since {self.since:%Y-%m-%d %H:%M %Z}" if self.since else ""
        head = f"{self.mode} sync{since}: {self.issues_seen} issues read"
        lines = [head + (" (dry run: nothing written)" if self.dry_run else "")]
        rows = self.actions()
        for row in rows:
            lines.append(
                f"  {row['kind']:<13} {row['key']:<10} {row['detail']}"
                + ("" if row["result"] in ("ok", "planned") else f"  [{row['result']}]")
            )
        failed = self.failed if not self.dry_run else 0
        if self.omitted:
            lines.append(f"  ... and {self.omitted} more (every one is in the journal)")
        lines.append(
            f"{len(self.plan.tagged)} tagged, {len(self.plan.untagged)} untagged, "
            f"{len(self.plan.held)} undecided (left as they are); "
            f"{len(rows) + self.omitted} actions"
            + (f", {failed} failed" if failed else "")
            + f"; {self.reads} reads, {self.writes} writes"
        )
        if self.epics is not None:
            lines[-1:-1] = self.epics.lines()
        return lines


# ---------------------------------------------------------------------------------- run


def sync_from_config(
    config: Config, site: Any, options: SyncOptions, *, progress: Progress | None = None
) -> SyncReport:
    """``bridge sync`` for a loaded config and an open ``Site``."""
    tagger = Tagger.load(config.rules)
    store = open_store(config.state)
    try:
        return run_sync(
            site.jira,
            tagger,
            store=store,
            site_url=str(config.jira_url),
            projects=_default_projects(config),
            label=config.tagging.label,
            renderer=Renderer(config.templates),
            options=options,
            lease_seconds=config.sync.lease_seconds,
            progress=progress,
            epics=step_from_config(config),
            governance=governance_from_config(config, tagger),
            chunk_size=config.sync.chunk_size,
        )
    finally:
        store.close()


def run_sync(
    jira: JiraApi,
    tagger: Tagger,
    *,
    store: Store,
    site_url: str,
    projects: Sequence[str],
    label: str,
    renderer: Renderer,
    options: SyncOptions,
    lease_seconds: float = 600.0,
    progress: Progress | None = None,
    holder: str | None = None,
    epics: EpicsStep | None = None,
    governance: Governance | None = None,
    chunk_size: int = 1000,
    keep_actions: int = 2_000,
) -> SyncReport:
    """One sync run. An API error after retries stops it and comes back in ``report.error``;
    per-issue failures are in ``report.failures``. Either way the watermark stays where it was
    and the lease is released. Issues are read, planned and applied ``chunk_size`` at a time;
    the report lists ``keep_actions`` actions at most (and counts all)."""
    start_reads, start_writes = jira.calls.reads, jira.calls.writes
    scope = scope_jql(options.projects or tuple(projects), options.jql)
    if options.keys:
        scope = " AND ".join(filter(None, (scope, key_clause(options.keys))))
    scope_key = f"{site_url.rstrip('/')} {scope}"
    previous = None if options.full or options.keys else store.watermark(scope_key)
    report = SyncReport(
        mode="incremental" if previous else "full", jql=scope, keep_actions=keep_actions
    )
    report.dry_run = options.dry_run

    lease: Lease | None = None
    if not options.dry_run:
        owner = uuid.uuid4().hex
        who = holder or f"pid {os.getpid()} on {socket.gethostname()}"
        lease = store.acquire_lease(LEASE_NAME, owner, who, lease_seconds)
        if not lease.held_by(owner) and dead_here(lease.holder):
            # Killed on this host (kill -9, OOM, reboot): its lease need not be waited out.
            log.warning("taking over the sync lease from %s, which is gone", lease.holder)
            store.release_lease(lease)
            lease = store.acquire_lease(LEASE_NAME, owner, who, lease_seconds)
        if not lease.held_by(owner):
            report.lease_holder = lease
            return report
    renewed: list[Any] = [lease, time.monotonic()]

    def checkpoint() -> None:
        if lease is None:
            return
        if time.monotonic() - renewed[1] >= min(_RENEW_EVERY, lease_seconds / 3):
            renewed[0] = store.renew_lease(renewed[0], lease_seconds)
            renewed[1] = time.monotonic()

    try:
        me = jira.myself()
        zone = _zone(me.time_zone)
        if previous is not None:
            report.since = (previous - options.overlap).astimezone(zone)
        report.jql = build_jql(scope, report.since, zone)
        fields = _scope_fields(jira, tagger, governance)
        if progress is not None:
            progress.phase("syncing issues", None)
        directory: StaticDirectory | None = None
        done = _KeySet()
        newest: datetime | None = None
        issues = jira.search(report.jql, fields=fields, properties=PROPERTIES)
        # One chunk at a time: read (search pages), evaluate, plan, apply, then let it go, so
        # memory stays flat however large the site. Bulk calls stay full within a chunk.
        for chunk in _chunks(issues, max(1, chunk_size)):
            report.chunks += 1
            report.issues_seen += len(chunk)
            if directory is None:
                # Loaded once, on the first chunk: a run that reads nothing asks for no group.
                groups = set(tagger.groups())
                if governance is not None:
                    groups |= governance.policy.groups()
                directory = load_directory(jira, sorted(groups))
            plan, outcomes = _sync_chunk(
                jira,
                tagger,
                chunk,
                directory=directory,
                done=done,
                report=report,
                me=me.account_id,
                label=label,
                renderer=renderer,
                options=options,
                store=store,
                run=lease.owner if lease is not None else "",
                governance=governance,
                checkpoint=checkpoint,
            )
            report.add(plan, outcomes)
            done.update(i.key for i in chunk)
            chunk_newest = max((i.updated for i in chunk if i.updated is not None), default=None)
            if chunk_newest is not None and (newest is None or chunk_newest > newest):
                newest = chunk_newest
            if progress is not None:
                progress.advance(len(chunk))
        if progress is not None:
            progress.done()
        if options.dry_run:
            if epics is not None:
                report.epics = epics.run(jira, store=store, dry_run=True)
            return report

        assert lease is not None
        if epics is not None:
            # After tagging: the epics read the categories this run just recorded.
            report.epics = EpicsReport()
            epics.run(
                jira, store=store, run=lease.owner, checkpoint=checkpoint, report=report.epics
            )
        # Stored only now, after every chunk was applied: the search runs in key order, not
        # by ``updated``, so no prefix of it speaks for a time. A run that stops part way
        # leaves the watermark where it was and the next one reads those issues again (what
        # this run applied plans nothing then). A keyed run saw a few issues, not the scope:
        # the watermark is not its to move.
        moves = not options.keys and newest is not None and (previous is None or newest > previous)
        if moves and not report.failed:
            store.set_watermark(scope_key, newest)
            report.watermark = newest
        return report
    except AtlassianError as exc:
        # Reported with what was done until then; the caller turns it into exit code 3.
        report.error = exc
        return report
    finally:
        if progress is not None:
            progress.done()
        report.reads = jira.calls.reads - start_reads
        report.writes = jira.calls.writes - start_writes
        if lease is not None:
            store.release_lease(renewed[0])


def _sync_chunk(
    jira: JiraApi,
    tagger: Tagger,
    issues: Sequence[Issue],
    *,
    directory: StaticDirectory,
    done: _KeySet,
    report: SyncReport,
    me: str,
    label: str,
    renderer: Renderer,
    options: SyncOptions,
    store: Store,
    run: str,
    governance: Governance | None,
    checkpoint: Callable[[], None],
) -> tuple[Plan, list[Outcome]]:
    """Evaluate, plan and (unless a dry run) apply one chunk; its plan and outcomes. The
    outcomes are handed back even when an error stops the apply (then it is re-raised after
    they are folded into the report)."""
    verdicts = {i.key: tagger.classify(i, directory) for i in issues}
    facts = load_facts(jira, issues, verdicts, label, me)
    report.detail["changelog_issues"] += sum(
        1 for f in facts.values() if f.label_added_by_me is not None
    )
    report.detail["comment_issues"] += sum(1 for f in facts.values() if f.last_marker is not None)
    plan = plan_tagging(issues, verdicts, facts, label=label, render=renderer)
    outcomes: list[Outcome] = []
    try:
        if governance is not None:  # review sub-tasks, reverts, lapses: enforce/step.py
            plan = governance.extend(
                jira,
                issues,
                verdicts,
                plan,
                me=me,
                dry_run=options.dry_run,
                store=store,
                run=run,
                outcomes=outcomes,
                directory=directory,
                done=done.__contains__,
                complete=True,
            )
            _count_governance(report, governance)
        if options.dry_run:
            return plan, outcomes
        checkpoint()  # a chunk with nothing to write still renews the lease
        apply_plan(plan, jira, store=store, run=run, checkpoint=checkpoint, outcomes=outcomes)
    except AtlassianError:
        report.add(plan, outcomes)
        raise
    return plan, outcomes


def _count_governance(report: SyncReport, governance: Governance) -> None:
    last = governance.last
    report.governance.update(
        {
            "candidates": last.candidates,
            "evaluated": last.evaluated,
            "violations": len(last.violations),
            "blocked": len(last.blocked),
            "created": sum(len(v) for v in last.created.values()),
            "sub_tasks": last.sub_tasks,
            "logs": last.logs,
            "comment_reads": last.comment_reads,
        }
    )


def _chunks(items: Iterable[Issue], size: int) -> Iterator[list[Issue]]:
    chunk: list[Issue] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _KeySet:
    """Issue keys seen so far in a run, one bit per issue number per project: 100,000 keys
    take about 12 KB instead of the ~10 MB a set of strings would."""

    def __init__(self) -> None:
        self._bits: dict[str, bytearray] = {}
        self._other: set[str] = set()  # anything not shaped like PROJECT-N

    def update(self, keys: Iterable[str]) -> None:
        for key in keys:
            project, number = _split_key(key)
            if number is None:
                self._other.add(key.upper())
                continue
            bits = self._bits.setdefault(project, bytearray())
            byte = number >> 3
            if len(bits) <= byte:
                bits.extend(bytes(max(byte + 1, 2 * len(bits)) - len(bits)))
            bits[byte] |= 1 << (number & 7)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        project, number = _split_key(key)
        if number is None:
            return key.upper() in self._other
        bits = self._bits.get(project)
        byte = number >> 3
        return bits is not None and len(bits) > byte and bool(bits[byte] >> (number & 7) & 1)


def _split_key(key: str) -> tuple[str, int | None]:
    project, _, number = key.upper().rpartition("-")
    return (project, int(number)) if project and number.isdigit() else (key.upper(), None)


# ---------------------------------------------------------------------------------- load


def scope_jql(projects: Sequence[str], jql: str | None) -> str:
    parts = []
    if projects:
        parts.append(f"project in ({', '.join(dict.fromkeys(projects))})")
    if jql and jql.strip():
        parts.append(f"({jql.strip()})")
    return " AND ".join(parts)


def key_clause(keys: Sequence[str]) -> str:
    """``key in (...)`` for issue keys, which come from webhook payloads: anything that is not
    a plain key is refused rather than pasted into JQL."""
    for key in keys:
        if not ISSUE_KEY.fullmatch(key):
            raise ValueError(f"not an issue key: {key!r}")
    return f"key in ({', '.join(dict.fromkeys(keys))})"


def build_jql(scope: str, since: datetime | None, zone: ZoneInfo) -> str:
    """The search of one run: the scope, updated since ``since`` (if any), in key order."""
    clauses = [scope] if scope else []
    if since is not None:
        clauses.append(f'updated >= "{jql_time(since, zone)}"')
    return " AND ".join(clauses) + " ORDER BY key ASC"


def jql_time(when: datetime, zone: ZoneInfo) -> str:
    """``when`` as JQL reads it for a searcher in ``zone``: local time, floored to the minute."""
    return when.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _zone(name: str | None) -> ZoneInfo:
    if not name:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("unknown time zone %r in the Jira profile: writing JQL dates in UTC", name)
        return ZoneInfo("UTC")


def _scope_fields(jira: JiraApi, tagger: Tagger, governance: Governance | None) -> list[str]:
    """What the scope search reads: the fields the tagging rules read, and with governance on
    the ones its load reads too, so it takes the issues as they are instead of reading every
    candidate request a second time."""
    custom = _site_fields(jira, sorted(tagger.custom_fields()))
    fields = [*SYSTEM_FIELDS, *custom, "updated"]
    if governance is not None:
        from .enforce.load import load_fields

        fields += load_fields(jira, governance.policy)
    return list(dict.fromkeys(fields))


def _site_fields(jira: JiraApi, names: Sequence[str]) -> list[str]:
    """The custom fields the rules read that this site has. Shipped rules name fields some
    sites lack (Jira Service Management's "Request Type"): a predicate on such a field cannot
    decide, and the verdict says so, instead of the whole sync failing. An ambiguous name is
    still an error (which field was meant?)."""
    found: list[str] = []
    missing: list[str] = []
    for name in names:
        try:
            jira.resolve_field(name)
        except FieldNameError as exc:
            if exc.ambiguous:
                raise
            missing.append(name)
        else:
            found.append(name)
    if missing:
        log.warning(
            "the site has no field %s that the tagging rules read: rules using it cannot decide",
            ", ".join(repr(m) for m in missing),
        )
    return found


def load_directory(jira: JiraApi, groups: Sequence[str]) -> StaticDirectory:
    """Memberships of the groups the rules name: one call per group, not one per person.

    A group the site lacks has no members here (``bridge doctor`` and ``bridge rules
    validate`` report such names); shipped rules name groups not every site has, so one bulk
    call first finds which exist instead of a 404 per missing group.
    """
    members: dict[str, list[str]] = {}
    existing = jira.existing_groups(groups) if groups else set()
    missing: list[str] = [g for g in groups if g not in existing]
    for group in (g for g in groups if g in existing):
        try:
            users = jira.group_members(group)
        except NotFound:
            missing.append(group)
            continue
        for user in users:
            members.setdefault(user.account_id, []).append(group)
    if missing:
        log.warning(
            "the site has no group %s that the tagging rules name: counted as empty",
            ", ".join(repr(g) for g in missing),
        )
    return StaticDirectory(members)


def load_facts(
    jira: JiraApi,
    issues: Sequence[Issue],
    verdicts: Mapping[str, TagVerdict],
    label: str,
    me: str,
) -> dict[str, Facts]:
    """Look up, in bulk, what the plan needs for a few issues: who added the label (one
    changelog read per 1,000 issues), whether a plugin comment is there (one read per 100)."""
    wanted = {i.key: needs(i, verdicts[i.key], label) for i in issues}
    provenance = [i for i in issues if wanted[i.key].provenance]
    commented = [i.key for i in issues if wanted[i.key].comments]
    added_by_me: dict[str, bool] = {}
    if provenance:
        logs = jira.changelogs_bulk([i.key for i in provenance], ["labels"])
        for issue in provenance:
            record = tagging_record(issue) or {}
            managed = label if verdicts[issue.key].tag else str(record.get("label") or label)
            added_by_me[issue.key] = last_added_by(logs.get(issue.id, []), managed) == me
    markers: dict[str, Any] = {}
    if commented:
        found = jira.comments_bulk(commented)
        upper = {k.upper(): v for k, v in found.items()}
        for key in commented:
            markers[key] = last_marker(upper.get(key.upper(), [])) or "none"
    return {
        i.key: Facts(label_added_by_me=added_by_me.get(i.key), last_marker=markers.get(i.key))
        for i in issues
        if i.key in added_by_me or i.key in markers
    }


def last_added_by(entries: Sequence[ChangelogEntry], label: str) -> str | None:
    """The account that most recently added ``label`` (None: set at creation, or never)."""
    adder: str | None = None
    for entry in sorted(entries, key=lambda e: (e.created, _number(e.id))):
        for item in entry.items:
            if (item.field_id or item.field) != "labels":
                continue
            before = set((item.from_string or "").split())
            after = set((item.to_string or "").split())
            if label in after and label not in before:
                adder = entry.author.account_id if entry.author else None
    return adder


def _number(text: str) -> int:
    return int(text) if text.isdigit() else 0


def _default_projects(config: Config) -> tuple[str, ...]:
    return tuple(dict.fromkeys((config.projects.marketing, config.projects.it)))
