"""The writes of the epics capability, as ``plan.Action`` kinds run by ``apply.apply_plan``.

Registered in ``apply.EXECUTORS`` on import, in the phase gaps the tagging kinds leave:
``create_epic`` (60), ``edit_epic`` (62), ``create_stories`` (64), ``set_parent`` (66),
``link_epic`` (68); the epic's ``bridge.epic`` record is a plain ``SetProperty`` (90), so it
merges with every other section and stays the commit record.

``create_epic`` is one ``POST /issue`` per epic (a handful per run) so a lost answer can be
probed by the epic's label, and so the new epic is checked for a twin at once (see
``_create_epics``). Checklist stories of every epic share bulk creates of 50.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..apply import EXECUTORS, ISSUE_ERRORS, Executor
from ..errors import BadRequest
from ..jira_gateway import BULK_CREATE_CHUNK, JiraApi
from ..model import CreateResult
from ..plan import Action
from .keys import EPIC_LABEL, initiative_label

__all__ = [
    "DUPLICATE_LABEL",
    "CreateEpic",
    "CreateStories",
    "EditEpic",
    "LinkEpic",
    "SetParent",
    "epic_twins",
]

log = logging.getLogger(__name__)

DUPLICATE_LABEL = "bridge-duplicate"
INITIATIVE_SUBJECT = "initiative:"  # the journal's "issue" of a create: the initiative's key


@dataclass(frozen=True)
class CreateEpic(Action):
    """Create the epic of one initiative. ``key`` is ``initiative:<key>`` (no issue yet): the
    journal keeps that it was created, which is how a deleted epic is recognised later."""

    kind: ClassVar[str] = "create_epic"
    phase: ClassVar[int] = 60

    initiative: str = ""
    name: str = ""
    spec: Mapping[str, Any] = field(default_factory=dict)

    def detail(self) -> str:
        project = self.spec.get("fields", {}).get("project", "?")
        return f"epic for {self.name!r} in {project}"


@dataclass(frozen=True)
class EditEpic(Action):
    kind: ClassVar[str] = "edit_epic"
    phase: ClassVar[int] = 62

    fields: Mapping[str, Any] = field(default_factory=dict)

    def detail(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.fields.items())


@dataclass(frozen=True)
class CreateStories(Action):
    """The missing checklist stories of one epic (``key``): ``specs`` in item order."""

    kind: ClassVar[str] = "create_stories"
    phase: ClassVar[int] = 64

    items: tuple[str, ...] = ()
    specs: tuple[Mapping[str, Any], ...] = ()

    def detail(self) -> str:
        return f"{len(self.items)} checklist stories: {', '.join(self.items)}"


@dataclass(frozen=True)
class SetParent(Action):
    kind: ClassVar[str] = "set_parent"
    phase: ClassVar[int] = 66

    parent: str = ""
    link_type: str = "Relates"  # used when Jira refuses the parent

    def detail(self) -> str:
        return f"parent {self.parent}"


@dataclass(frozen=True)
class LinkEpic(Action):
    kind: ClassVar[str] = "link_epic"
    phase: ClassVar[int] = 68

    epic: str = ""
    link_type: str = "Relates"

    def detail(self) -> str:
        return f"{self.link_type} {self.epic}"


# ----------------------------------------------------------------------------- executors


def epic_twins(
    jira: JiraApi, initiative: str, reconcile: Sequence[str] = ()
) -> list[tuple[str, str]]:
    """(key, id) of every issue carrying the initiative's label, oldest first.

    ``reconcile`` (ids just created) asks Cloud for read-after-write consistency, so an epic
    created a moment ago by this run is in the answer.
    """
    jql = f'labels = "{initiative_label(initiative)}" ORDER BY created ASC'
    ids = [int(i) for i in reconcile if i.isdigit()]
    found = jira.search(jql, fields=["created", "labels"], reconcile=ids)
    issues = sorted(found, key=lambda i: (i.created is None, i.created, _number(i.id)))
    return [(i.key, i.id) for i in issues]


def _number(text: str) -> int:
    return int(text) if text.isdigit() else 0


def _create_epics(jira: JiraApi, actions: Sequence[Action]) -> list[str | None]:
    out: list[str | None] = []
    for action in actions:
        assert isinstance(action, CreateEpic)

        def probe(action: CreateEpic = action) -> CreateResult | None:
            # The answer was lost: the epic carries its label from birth, so it is findable.
            twins = epic_twins(jira, action.initiative)
            return CreateResult(index=0, key=twins[-1][0], id=twins[-1][1]) if twins else None

        try:
            created = jira.create_issue(action.spec, probe=probe)
        except ISSUE_ERRORS as exc:
            out.append(exc.message)
            continue
        # Race with another writer (a webhook worker on another machine, a second state file):
        # both looked, found nothing, both created. Everyone keeps the OLDEST; the newer one is
        # retired by whoever just created it, seconds ago, before anything hangs under it.
        twins = epic_twins(jira, action.initiative, [created.id or ""])
        if twins and created.key and twins[0][0] != created.key:
            _retire(jira, created.key, twins[0][0], action.initiative)
        out.append(None)
    return out


def _retire(jira: JiraApi, key: str, winner: str, initiative: str) -> None:
    """Take a just-created twin out of play: no initiative labels (never found again), a
    duplicate label and a summary that says where the real epic is."""
    log.warning("epic %s duplicates %s (created first): retiring %s", key, winner, key)
    jira.edit_issue(
        key,
        fields={"summary": f"Duplicate of {winner} (created by bridgeplugin in a race)"},
        update={
            "labels": [
                {"remove": EPIC_LABEL},
                {"remove": initiative_label(initiative)},
                {"add": DUPLICATE_LABEL},
            ]
        },
    )


def _edit_epics(jira: JiraApi, actions: Sequence[Action]) -> list[str | None]:
    out: list[str | None] = []
    for action in actions:
        assert isinstance(action, EditEpic)
        try:
            jira.edit_issue(action.key, fields=dict(action.fields))
        except ISSUE_ERRORS as exc:
            out.append(exc.message)
        else:
            out.append(None)
    return out


def _create_stories(jira: JiraApi, actions: Sequence[Action]) -> list[str | None]:
    """Every epic's missing stories in shared bulk creates of 50 (``create_issues`` chunks)."""
    specs: list[Mapping[str, Any]] = []
    owners: list[int] = []
    for index, action in enumerate(actions):
        assert isinstance(action, CreateStories)
        specs.extend(action.specs)
        owners.extend([index] * len(action.specs))
    reasons: dict[int, list[str]] = {}
    for result in jira.create_issues(specs):
        if not result.ok:
            problem = "; ".join([*result.errors.values(), *result.error_messages]) or "refused"
            reasons.setdefault(owners[result.index], []).append(problem)
    return ["; ".join(reasons[i]) if i in reasons else None for i in range(len(actions))]


def _set_parents(jira: JiraApi, actions: Sequence[Action]) -> list[str | None]:
    out: list[str | None] = []
    # Data Center names an issue's epic in "Epic Link", not ``parent`` (Cloud, company- and
    # team-managed alike); the gateway does the same translation on create.
    field = "parent" if getattr(jira, "is_cloud", True) else "Epic Link"
    for action in actions:
        assert isinstance(action, SetParent)
        try:
            jira.edit_issue(action.key, fields={field: action.parent})
        except BadRequest as exc:
            if "parent" not in str(exc.details) and "parent" not in exc.message.casefold():
                out.append(exc.message)
                continue
            # Jira does not allow this parent here (a business project, a hierarchy the
            # site configured otherwise): the issue is linked to the epic instead.
            out.append(_link(jira, action.link_type, action.key, action.parent))
        except ISSUE_ERRORS as exc:
            out.append(exc.message)
        else:
            out.append(None)
    return out


def _link(jira: JiraApi, link_type: str, key: str, epic: str) -> str | None:
    try:
        jira.link_issues(link_type, key, epic)
    except ISSUE_ERRORS as exc:
        return exc.message
    return None


def _link_epics(jira: JiraApi, actions: Sequence[Action]) -> list[str | None]:
    out: list[str | None] = []
    for action in actions:
        assert isinstance(action, LinkEpic)
        out.append(_link(jira, action.link_type, action.key, action.epic))
    return out


EXECUTORS.update(
    {
        CreateEpic: Executor(_create_epics, 1),
        EditEpic: Executor(_edit_epics, 1),
        CreateStories: Executor(_create_stories, BULK_CREATE_CHUNK),
        SetParent: Executor(_set_parents, 1),
        LinkEpic: Executor(_link_epics, 1),
    }
)
