"""The epics step of ``bridge sync``: load, plan, apply, in rounds, under the sync's lease.

A round reads three searches (the issues naming an initiative, the epics by ``bridge-epic``,
the children of those epics), plans (pure) and applies through ``apply.apply_plan``. Writes
depend on each other (children need the epic's key; the record needs the stories' keys), so
the step re-reads and re-plans until a round plans nothing, at most ``MAX_ROUNDS`` times. The
re-read is also the probe of every create: whatever a lost answer created is found by its
label and never created twice.

A create is journaled under ``initiative:<key>``; a later run that finds no epic for a key
the journal says was created reports it as deleted instead of creating it again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..apply import Outcome, apply_plan
from ..jira_gateway import JiraApi
from ..model import Issue
from ..plan import PROPERTY, Plan
from ..rules import Context, StaticDirectory
from ..rules.predicates.base import test as run_test
from ..rules.result import TRUE
from ..state import Store
from .actions import INITIATIVE_SUBJECT, CreateEpic
from .keys import EPIC_LABEL
from .load import EpicRules
from .model import SECTION, EpicView, Initiative, gather, view
from .plan import Note, plan_epics
from .render import EpicTexts

__all__ = ["MAX_ROUNDS", "EpicsReport", "EpicsStep", "load_round", "run_epics", "step_from_config"]

MAX_ROUNDS = 4  # create epics; children and stories; the record; a last look that plans nothing
_FIELDS = [
    "summary", "project", "issuetype", "status", "labels", "parent", "reporter",
    "created", "issuelinks", "assignee",
]  # fmt: skip


@dataclass
class EpicsReport:
    """What the step did: actions per round (as ``apply`` reported them) and the notes."""

    outcomes: list[Outcome] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    epics: dict[str, str] = field(default_factory=dict)  # initiative key -> epic key
    initiatives: int = 0
    rounds: int = 0
    planned: list[dict[str, str]] = field(default_factory=list)  # a dry run's actions

    def to_json(self) -> dict[str, Any]:
        return {
            "initiatives": self.initiatives,
            "epics": dict(sorted(self.epics.items())),
            "rounds": self.rounds,
            "actions": self.planned or [o.to_json() for o in self.outcomes],
            "notes": [n.to_json() for n in self.notes],
        }

    def lines(self) -> list[str]:
        rows = [f"epics: {len(self.epics)} for {self.initiatives} initiatives"]
        for o in self.outcomes:
            suffix = "" if o.ok else f"  [{o.result}]"
            rows.append(f"  {o.action.kind:<14} {o.action.key:<10} {o.action.detail()}{suffix}")
        for row in self.planned:
            rows.append(f"  {row['kind']:<14} {row['key']:<10} {row['detail']}  [planned]")
        rows.extend(f"  note {n.kind}: {n.text}" for n in self.notes)
        return rows


@dataclass(frozen=True)
class Loaded:
    initiatives: list[Initiative]
    epics: list[EpicView]
    children: list[Issue]


def load_round(
    jira: JiraApi,
    rules: EpicRules,
    *,
    projects: Sequence[str],
    reconcile: Sequence[str] = (),
    marketing: str,
    it: str,
) -> Loaded:
    """The three searches of one round."""
    source = rules.spec.initiative
    scope = f"project in ({', '.join(dict.fromkeys(projects))})"
    if source.field:
        jql = f'{scope} AND "{source.field}" is not EMPTY ORDER BY key ASC'
        fields = [*_FIELDS, source.field]
    else:
        jql = f"{scope} AND labels is not EMPTY ORDER BY key ASC"
        fields = list(_FIELDS)
    wanted = rules.names()
    fields = list(dict.fromkeys([*fields, *sorted(wanted.get("fields", ()))]))
    issues = [_slim(i) for i in jira.search(jql, fields=fields, properties=[PROPERTY])]
    counts = _counts_if(jira, rules, sorted(wanted.get("groups", ()))) if issues else None
    initiatives = gather(issues, rules, marketing=marketing, it=it, counts=counts)
    # No project clause: an epic a person moved to another project is still found.
    ids = [int(i) for i in reconcile if i.isdigit()][:50]
    found = jira.search(
        f'labels = "{EPIC_LABEL}" ORDER BY created ASC',
        fields=_FIELDS,
        properties=[PROPERTY],
        reconcile=ids,
    )
    epics = [view(e) for e in found]
    children: list[Issue] = []
    keys = [e.issue.key for e in epics]
    for start in range(0, len(keys), 100):  # keeps the JQL short on sites with many epics
        chunk = ", ".join(keys[start : start + 100])
        # The stories just created must be found, or the next round creates them again.
        children.extend(jira.search(f"parent in ({chunk})", fields=_FIELDS, reconcile=ids))
    return Loaded(initiatives, epics, children)


def _slim(issue: Issue) -> Issue:
    """``issue`` keeping of its ``bridge`` property only what the initiatives read (the tag
    and category): on a large site a tenth of the issues name an initiative, and their full
    records (reasons, governance) were most of the step's memory. Epics keep theirs."""
    prop = issue.properties.get(PROPERTY)
    if not isinstance(prop, Mapping) or SECTION in prop:
        return issue
    tagging = prop.get("tagging")
    slim: dict[str, Any] = {}
    if isinstance(tagging, Mapping):
        slim["tagging"] = {k: tagging[k] for k in ("tag", "category") if k in tagging}
    return issue.model_copy(update={"properties": {**issue.properties, PROPERTY: slim}})


def _counts_if(
    jira: JiraApi, rules: EpicRules, groups: Sequence[str]
) -> Callable[[Issue], bool] | None:
    """``counts_if`` as a test on one issue; the groups it names read once per round. An
    ``error`` outcome (a field not on the issue) does not count: unsure never creates."""
    predicate = rules.counts_if
    if predicate is None:
        return None
    members: dict[str, list[str]] = {}
    existing = jira.existing_groups(groups) if groups else set()
    for group in (g for g in groups if g in existing):
        for user in jira.group_members(group):
            members.setdefault(user.account_id, []).append(group)
    directory = StaticDirectory(members)
    return lambda issue: run_test(predicate, Context(issue, directory)) == TRUE


def created_before(store: Store | None, initiatives: Sequence[Initiative]) -> set[str]:
    """Initiative keys whose epic the journal says this plugin created (any run)."""
    if store is None:
        return set()
    out: set[str] = set()
    for initiative in initiatives:
        entries = store.journal(key=INITIATIVE_SUBJECT + initiative.key, limit=20)
        if any(e.kind == CreateEpic.kind and e.result == "ok" for e in entries):
            out.add(initiative.key)
    return out


def run_epics(
    jira: JiraApi,
    rules: EpicRules,
    *,
    store: Store | None,
    texts: EpicTexts,
    marketing: str,
    it: str,
    joint: str | None = None,
    run: str = "",
    dry_run: bool = False,
    checkpoint: Callable[[], None] | None = None,
    report: EpicsReport | None = None,
) -> EpicsReport:
    """Bring every triggered initiative's epic, children and checklist to what the rules
    want. An ``AtlassianError`` after retries propagates (what was done is in ``report``)."""
    report = report if report is not None else EpicsReport()
    reconcile: list[str] = []
    projects = (marketing, it)
    notes: dict[tuple[str, str, str], Note] = {}
    for _ in range(MAX_ROUNDS):
        loaded = load_round(
            jira, rules, projects=projects, reconcile=reconcile, marketing=marketing, it=it
        )
        plan = plan_epics(
            loaded.initiatives,
            loaded.epics,
            loaded.children,
            created_before=created_before(store, loaded.initiatives),
            rules=rules,
            texts=texts,
            it=it,
            marketing=marketing,
            joint=joint,
        )
        report.initiatives = sum(1 for i in loaded.initiatives if i.triggered)
        report.epics = dict(plan.epics)
        # A rename is noticed in the round that adopts the epic; later rounds find it by alias.
        for note in plan.notes:
            notes.setdefault((note.kind, note.initiative, note.text), note)
        report.notes = list(notes.values())
        if not plan.actions:
            break
        report.rounds += 1
        if dry_run:
            # Later rounds depend on what this one would create: a dry run shows the first.
            report.planned = [{**a.to_json(), "result": "planned"} for a in plan.actions]
            break
        recording = _Recording(jira)
        done = apply_plan(
            Plan(actions=plan.actions),
            recording,  # type: ignore[arg-type]  # JiraApi by delegation
            store=store,
            run=run,
            checkpoint=checkpoint,
        )
        # Cloud's search is eventually consistent: the next round asks for the epics just
        # created by id, so it cannot miss them and plan a second create.
        reconcile = [*reconcile, *recording.created][-50:]
        report.outcomes.extend(done)
        if any(not o.ok for o in done):
            break  # Jira refused something: the next run retries it, this one does not loop
        # Let this round's issues go before the next round reads them again: on a large site
        # two rounds' worth at once is what sets the step's peak memory.
        del loaded, plan
    return report


class _Recording:
    """The gateway, noting the ids of the issues ``create_issue`` and ``create_issues`` made
    (or a probe found), for the next round's searches to reconcile."""

    def __init__(self, jira: JiraApi) -> None:
        self._jira = jira
        self.created: list[str] = []

    def create_issue(self, spec: Any, *, probe: Any = None) -> Any:
        result = self._jira.create_issue(spec, probe=probe)
        if result.id:
            self.created.append(result.id)
        return result

    def create_issues(self, specs: Any) -> Any:
        results = self._jira.create_issues(specs)
        self.created.extend(r.id for r in results if r.ok and r.id)
        return results

    def __getattr__(self, name: str) -> Any:
        return getattr(self._jira, name)


@dataclass(frozen=True)
class EpicsStep:
    """The epics step as ``sync.run_sync`` calls it: the loaded rules and where things go."""

    rules: EpicRules
    texts: EpicTexts
    marketing: str
    it: str
    joint: str | None = None

    def run(
        self,
        jira: JiraApi,
        *,
        store: Store | None,
        run: str = "",
        dry_run: bool = False,
        checkpoint: Callable[[], None] | None = None,
        report: EpicsReport | None = None,
    ) -> EpicsReport:
        return run_epics(
            jira,
            self.rules,
            store=store,
            texts=self.texts,
            marketing=self.marketing,
            it=self.it,
            joint=self.joint,
            run=run,
            dry_run=dry_run,
            checkpoint=checkpoint,
            report=report,
        )


def step_from_config(config: Any) -> EpicsStep | None:
    """The step for a loaded ``Config``: None when its rules directory has no ``epics.yaml``
    or the file says ``enabled: false``. A broken file is an error, not a silent skip."""
    from .load import FILE_NAME, load_epic_rules

    path = config.rules / FILE_NAME if config.rules.is_dir() else None
    if path is None or not path.exists():
        return None
    rules = load_epic_rules(path)
    if not rules.enabled:
        return None
    projects = config.projects
    return EpicsStep(
        rules, EpicTexts(config.templates), projects.marketing, projects.it, projects.joint
    )
