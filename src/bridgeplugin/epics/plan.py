"""Plan the epics (pure): compare what Jira has with what the rules want, list the writes.

Per triggered initiative, in order:

1. **find** its epic among those carrying ``bridge-epic`` (found by label, so a person may move
   or rename it): by stable key (the record's ``initiative`` or the label), by an alias a rename
   left, or, when none matches, by **rename detection**: an epic whose own initiative has no
   requests left and whose recorded members are now at least half under this name takes it over
   (its label and key stay; the new key becomes an alias; its summary follows the new name).
2. none found: if the journal shows the plugin created one before, a person deleted it:
   **reported, not recreated**. Otherwise ``create_epic`` (label and record set in the same
   call, so a created epic is never unrecorded).
3. several found (a race lost elsewhere): the oldest is the epic; the others are reported.
4. with an epic: summary only when the initiative's name changed since the record (a summary a
   person edited stays), parents or links for members not yet under it, the missing checklist
   stories (matched by their ``bridge-checklist-<id>`` label among the epic's children, or
   remembered in the record when a person deleted one), and last the record.

The record is held back while stories are being created (their keys are not known yet); the
next round writes it. A second run over an unchanged site plans nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from typing import Any

from ..model import Issue
from ..plan import PROPERTY, Action, SetProperty
from .actions import INITIATIVE_SUBJECT, CreateEpic, CreateStories, EditEpic, LinkEpic, SetParent
from .keys import CHECKLIST_LABEL, EPIC_LABEL, checklist_label, initiative_label
from .load import EpicRules
from .model import SECTION, EpicView, Initiative
from .render import EpicTexts

__all__ = ["EpicPlan", "Note", "plan_epics"]


@dataclass(frozen=True)
class Note:
    """Something the run reports and leaves alone (deleted, duplicate, renamed, waiting)."""

    initiative: str
    kind: str  # "deleted", "duplicate", "renamed", "not-triggered", "other-parent"
    text: str

    def to_json(self) -> dict[str, str]:
        return {"initiative": self.initiative, "kind": self.kind, "text": self.text}


@dataclass(frozen=True)
class EpicPlan:
    actions: tuple[Action, ...] = ()
    notes: tuple[Note, ...] = ()
    epics: Mapping[str, str] = field(default_factory=dict)  # initiative key -> epic key


@dataclass(frozen=True)
class _Ctx:
    rules: EpicRules
    texts: EpicTexts
    it: str
    marketing: str
    joint: str  # the project epics go to when epics.yaml names none


def plan_epics(
    initiatives: Sequence[Initiative],
    epics: Sequence[EpicView],
    children: Sequence[Issue],
    *,
    created_before: Set[str],
    rules: EpicRules,
    texts: EpicTexts,
    it: str,
    marketing: str,
    joint: str | None = None,
) -> EpicPlan:
    ctx = _Ctx(rules, texts, it, marketing, joint or it)
    by_parent: dict[str, list[Issue]] = {}
    for child in children:
        if child.parent:
            by_parent.setdefault(child.parent, []).append(child)
    live = {i.key for i in initiatives if i.members}
    actions: list[Action] = []
    notes: list[Note] = []
    found: dict[str, str] = {}
    taken: set[str] = set()  # epic keys already matched to an initiative this run
    for initiative in initiatives:
        if not initiative.triggered:
            continue
        epic, renamed = _find(initiative, epics, live, taken)
        if epic is None:
            if initiative.key in created_before:
                notes.append(
                    Note(
                        initiative.key,
                        "deleted",
                        f"the epic of {initiative.name!r} was created by bridgeplugin and is "
                        "gone (deleted by a person?): not recreated. To get a new one, add the "
                        f"label {initiative_label(initiative.key)} to an epic",
                    )
                )
                continue
            actions.append(_create(initiative, ctx))
            continue
        twins = [e for e in epics if initiative.key in e.keys and e is not epic]
        for twin in twins:
            notes.append(
                Note(
                    initiative.key,
                    "duplicate",
                    f"{twin.issue.key} also carries {initiative_label(initiative.key)}; "
                    f"{epic.issue.key} (the oldest) is the epic",
                )
            )
        taken.add(epic.issue.key)
        found[initiative.key] = epic.issue.key
        if renamed:
            notes.append(
                Note(
                    initiative.key,
                    "renamed",
                    f"{epic.issue.key} was the epic of {epic.record.get('name')!r}: the "
                    f"initiative is now called {initiative.name!r}",
                )
            )
        acts, more = _converge(initiative, epic, by_parent.get(epic.issue.key, []), ctx)
        actions.extend(acts)
        notes.extend(more)
    actions.sort(key=lambda a: a.phase)  # stable: initiative order is kept within a phase
    return EpicPlan(tuple(actions), tuple(notes), found)


# The members the record names (the first in key order), for rename detection.
RECORDED_MEMBERS = 200
# The requests an epic's description lists: a description holds 32,767 characters.
DESCRIBED_REQUESTS = 50

# ------------------------------------------------------------------------------------ find


def _find(
    initiative: Initiative, epics: Sequence[EpicView], live: Set[str], taken: Set[str]
) -> tuple[EpicView | None, bool]:
    matches = [e for e in epics if initiative.key in e.keys and e.issue.key not in taken]
    if matches:
        return _oldest(matches), False
    members = {m.key for m in initiative.members}
    for epic in epics:
        if epic.issue.key in taken or epic.keys & live:
            continue  # that epic's own initiative still has requests: not a rename
        recorded = {str(k) for k in epic.record.get("members") or []}
        if recorded and len(recorded & members) * 2 >= len(recorded):
            return epic, True
    return None, False


def _oldest(epics: Sequence[EpicView]) -> EpicView:
    def age(e: EpicView) -> tuple[bool, Any, int]:
        number = int(e.issue.id) if e.issue.id.isdigit() else 0
        return e.issue.created is None, e.issue.created, number

    return min(epics, key=age)


# ------------------------------------------------------------------------------------ create


def _marketing_owner(initiative: Initiative, marketing: str) -> tuple[str | None, str | None]:
    for member in initiative.members:
        if member.project == marketing and member.reporter is not None:
            return member.reporter.account_id, member.reporter.display_name
    return None, None


def _record(
    initiative: Initiative,
    ctx: _Ctx,
    base: Mapping[str, Any] | None = None,
    *,
    created: bool = False,
) -> dict[str, Any]:
    base = base or {}
    owner_id, _ = _marketing_owner(initiative, ctx.marketing)
    names = [str(n) for n in base.get("names") or []]
    aliases = [str(a) for a in base.get("aliases") or []]
    if base.get("initiative") and base["initiative"] != initiative.key:
        aliases = sorted({*aliases, initiative.key})
    return {
        "initiative": base.get("initiative") or initiative.key,
        "aliases": aliases,
        "name": initiative.name,
        "names": sorted({*names, initiative.name}),
        "summary": _summary(initiative, ctx),
        # A sample, not the list: rename detection only needs a share of the members, and an
        # entity property holds 32,768 characters (a list of every member overflowed at about
        # 2,500 members, and the record write failed).
        "members": [m.key for m in initiative.members[:RECORDED_MEMBERS]],
        "member_count": len(initiative.members),
        "owners": {"marketing": owner_id, "it": ctx.rules.spec.epic.it_owner},
        "budget_line": ctx.rules.spec.epic.budget_lines.get(initiative.name),
        "checklist": dict(base.get("checklist") or {}),
        # An epic a person labelled for the plugin to adopt was not created by it.
        "created_by_bridge": bool(base.get("created_by_bridge", created)),
    }


def _summary(initiative: Initiative, ctx: _Ctx) -> str:
    spec = ctx.rules.spec.epic
    return ctx.texts.summary(spec.summary, name=initiative.name, key=initiative.key)


def _create(initiative: Initiative, ctx: _Ctx) -> CreateEpic:
    spec = ctx.rules.spec.epic
    _, owner_name = _marketing_owner(initiative, ctx.marketing)
    description = ctx.texts.render(
        spec.description,
        name=initiative.name,
        key=initiative.key,
        marketing_owner=owner_name,
        it_owner=spec.it_owner,
        requests=[
            {"key": m.key, "summary": m.summary or "", "project": m.project}
            for m in initiative.members[:DESCRIBED_REQUESTS]
        ],
        more=max(0, len(initiative.members) - DESCRIBED_REQUESTS),
        budget_line=spec.budget_lines.get(initiative.name),
        categories=list(initiative.categories),
    )
    labels = [EPIC_LABEL, initiative_label(initiative.key), *spec.labels]
    fields: dict[str, Any] = {
        "project": ctx.rules.epic_project(ctx.joint),
        "issuetype": spec.issue_type,
        "summary": _summary(initiative, ctx),
        "description": description,
        "labels": list(dict.fromkeys(labels)),
    }
    if spec.it_owner:
        fields["assignee"] = spec.it_owner
    source = ctx.rules.spec.initiative
    if spec.set_initiative and source.field:
        fields[source.field] = initiative.name
    record = _record(initiative, ctx, created=True)
    return CreateEpic(
        key=INITIATIVE_SUBJECT + initiative.key,
        issue_id="",
        initiative=initiative.key,
        name=initiative.name,
        # Label and record travel with the create: an epic is never without them.
        spec={"fields": fields, "properties": [{"key": PROPERTY, "value": {SECTION: record}}]},
    )


# ------------------------------------------------------------------------------------ converge


def _converge(
    initiative: Initiative, epic: EpicView, children: Sequence[Issue], ctx: _Ctx
) -> tuple[list[Action], list[Note]]:
    issue = epic.issue
    actions: list[Action] = []
    notes: list[Note] = []
    desired = _record(initiative, ctx, epic.record)
    if epic.record.get("name") not in (None, initiative.name):
        # The initiative was renamed on the requests: the summary follows. A summary a person
        # edited while the name stayed is theirs and is not compared.
        actions.append(EditEpic(issue.key, issue.id, fields={"summary": desired["summary"]}))
    actions.extend(_children(initiative, issue, ctx, notes))
    stories, present = _checklist(initiative, epic, children, ctx)
    desired["checklist"] = {**desired["checklist"], **present}
    if stories is not None:
        actions.append(stories)
    elif desired != epic.record:
        # Written last (and only once the stories exist): the record is the commit record.
        base = issue.properties.get(PROPERTY)
        base = dict(base) if isinstance(base, Mapping) else {}
        actions.append(
            SetProperty(
                issue.key, issue.id, prop=PROPERTY, section=SECTION, value=desired, base=base
            )
        )
    return actions, notes


def _children(initiative: Initiative, epic: Issue, ctx: _Ctx, notes: list[Note]) -> list[Action]:
    spec = ctx.rules.spec.children
    excluded = {t.casefold() for t in spec.exclude_types}
    out: list[Action] = []
    for member in initiative.members:
        if (member.issue_type or "").casefold() in excluded or member.key == epic.key:
            continue
        linked = any(link.key == epic.key for link in member.links)
        if member.parent == epic.key or linked:
            continue
        if member.parent is None and member.project not in spec.link_projects:
            out.append(SetParent(member.key, member.id, parent=epic.key, link_type=spec.link_type))
            continue
        if member.parent is not None:
            # A person hung it elsewhere: their parent stays; a link shows it belongs here too.
            notes.append(
                Note(
                    initiative.key,
                    "other-parent",
                    f"{member.key} has parent {member.parent}: linked to {epic.key}, not moved",
                )
            )
        out.append(LinkEpic(member.key, member.id, epic=epic.key, link_type=spec.link_type))
    return out


def _checklist(
    initiative: Initiative, epic: EpicView, children: Sequence[Issue], ctx: _Ctx
) -> tuple[CreateStories | None, dict[str, str]]:
    """The stories still to create (None: all there) and the item -> story key map found."""
    spec = ctx.rules.spec.checklist
    items: dict[str, tuple[str, str]] = {}  # id -> (title, category), first category wins
    for category in initiative.categories:
        for item in spec.categories.get(category, []):
            items.setdefault(item.id, (item.title, category))
    present: dict[str, str] = {}
    for child in children:
        for label in child.labels:
            if label.startswith(CHECKLIST_LABEL + "-"):
                present.setdefault(label[len(CHECKLIST_LABEL) + 1 :], child.key)
    recorded = epic.record.get("checklist") or {}
    # Created once: an item in the record whose story a person deleted or moved stays done.
    missing = [i for i in items if i not in present and i not in recorded]
    if not missing:
        return None, present
    project = ctx.rules.checklist_project(ctx.joint)
    specs = []
    for item in missing:
        title, category = items[item]
        variables = {
            "title": title,
            "item": item,
            "category": category,
            "initiative": initiative.name,
            "epic": epic.issue.key,
        }
        specs.append(
            {
                "fields": {
                    "project": project,
                    "issuetype": spec.issue_type,
                    "summary": ctx.texts.summary(spec.summary, **variables),
                    "description": ctx.texts.render(spec.description, **variables),
                    "parent": epic.issue.key,
                    "labels": [CHECKLIST_LABEL, checklist_label(item)],
                }
            }
        )
    issue = epic.issue
    return CreateStories(issue.key, issue.id, items=tuple(missing), specs=tuple(specs)), present
