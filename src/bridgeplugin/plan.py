"""Plan: compare what the rules want with what Jira has, and list the writes that close the gap.

Pure: issues, verdicts and a few looked-up ``Facts`` in, frozen ``Action`` objects out; no
I/O, so ``--dry-run``, tests and later the webhook path all share it. An issue whose Jira state
already matches produces no action (compare before write), which is what makes a second sync
write nothing and every action safe to repeat.

The plugin's record on an issue is the entity property ``bridge``, shared by every capability;
tagging owns its ``tagging`` key and never touches the others::

    {"tagging": {"tag": true, "category": "saas", "reasons": ["..."],
                 "rules_version": "7e88d5…", "label": "marketing-tech-request",
                 "label_added_by_bridge": true, "commented": true}}

``label_added_by_bridge`` is what allows the plugin to ever remove the label: a label a person
added is never removed. ``commented`` says the comment for the current state was posted.

Action kinds and the order ``apply`` runs them in (``phase``): ``add_label`` (10),
``remove_label`` (20), ``add_comment`` (50), ``set_property`` (90). The property goes last: it
is the commit record, so a crash anywhere before it leaves the issue looking unfinished and the
next run redoes the rest, each step guarded (a present label is not added again; a comment is
not posted when the issue's latest plugin comment already says the same). Later capabilities add
their own kinds in between (review sub-tasks, reverts, links) and their own ``bridge`` keys.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol

from .model import Issue
from .render import LabelChange, Marker
from .tagging import TagVerdict

__all__ = [
    "PROPERTY",
    "Action",
    "AddComment",
    "AddLabel",
    "Facts",
    "Needs",
    "Plan",
    "RemoveLabel",
    "SetProperty",
    "merged_property",
    "needs",
    "plan_issue",
    "plan_tagging",
    "tagging_record",
]

PROPERTY = "bridge"  # the entity property that holds the plugin's record on an issue
SECTION = "tagging"
MAX_PROPERTY_CHARS = 32_768
MAX_REASON_CHARS = 1_000


# ------------------------------------------------------------------------------------ actions


@dataclass(frozen=True)
class Action:
    """One write to one issue. Subclasses set ``kind`` (JSON output) and ``phase`` (order)."""

    kind: ClassVar[str] = "action"
    phase: ClassVar[int] = 0

    key: str
    issue_id: str

    def detail(self) -> str:
        return ""

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "key": self.key, "detail": self.detail()}


@dataclass(frozen=True)
class AddLabel(Action):
    kind: ClassVar[str] = "add_label"
    phase: ClassVar[int] = 10

    label: str = ""

    def detail(self) -> str:
        return self.label


@dataclass(frozen=True)
class RemoveLabel(Action):
    kind: ClassVar[str] = "remove_label"
    phase: ClassVar[int] = 20

    label: str = ""

    def detail(self) -> str:
        return f"{self.label} (added by bridgeplugin; the rules no longer match)"


@dataclass(frozen=True)
class AddComment(Action):
    kind: ClassVar[str] = "add_comment"
    phase: ClassVar[int] = 50

    body: str = ""
    marker: Marker = "tagged"  # what the comment announces: apply's lost-answer probe looks for it

    def detail(self) -> str:
        return self.body.split("\n", 1)[0]


@dataclass(frozen=True)
class SetProperty(Action):
    """Set one top-level ``section`` of an entity property, keeping the others as read.

    ``base`` is the whole property as the load found it; ``apply`` merges every section planned
    for the same issue into one write.
    """

    kind: ClassVar[str] = "set_property"
    phase: ClassVar[int] = 90

    prop: str = PROPERTY
    section: str = SECTION
    value: Mapping[str, Any] = field(default_factory=dict)
    base: Mapping[str, Any] = field(default_factory=dict)

    def detail(self) -> str:
        v = self.value
        if self.section == SECTION:
            state = f"tag={'yes' if v.get('tag') else 'no'}"
            if v.get("category"):
                state += f" category={v['category']}"
            version = str(v.get("rules_version") or "")[:12]
            return f"{self.prop}.{self.section}: {state} rules={version}"
        return f"{self.prop}.{self.section}"


def merged_property(actions: Iterable[SetProperty]) -> dict[str, Any]:
    """The value of one issue's property after all its planned section writes."""
    merged: dict[str, Any] = {}
    for action in actions:
        if not merged:
            merged = dict(action.base)
        merged[action.section] = dict(action.value)
    return merged


# ------------------------------------------------------------------------------------ facts


@dataclass(frozen=True)
class Facts:
    """What the load looked up beyond an issue's fields, only where the plan needs it.

    ``label_added_by_me``: the changelog shows the plugin's own account made the latest
    addition of the label (None: not looked up). ``last_marker``: the marker of the issue's
    latest plugin comment ("none": looked, found none; None: not looked up).
    """

    label_added_by_me: bool | None = None
    last_marker: Marker | Literal["none"] | None = None


@dataclass(frozen=True)
class Needs:
    provenance: bool = False  # read the label's changelog
    comments: bool = False  # read the comments for the plugin's marker


class CommentRenderer(Protocol):
    def tagging_comment(
        self,
        *,
        key: str,
        category: str | None,
        reasons: Sequence[str],
        label: str,
        rules_version: str,
    ) -> str: ...

    def untagging_comment(
        self,
        *,
        key: str,
        label: str,
        label_change: LabelChange,
        reasons: Sequence[str],
        rules_version: str,
    ) -> str: ...


def tagging_record(issue: Issue) -> dict[str, Any] | None:
    """The ``tagging`` section of the issue's ``bridge`` property, if any."""
    prop = issue.properties.get(PROPERTY)
    record = prop.get(SECTION) if isinstance(prop, Mapping) else None
    return dict(record) if isinstance(record, Mapping) else None


def needs(issue: Issue, verdict: TagVerdict, label: str) -> Needs:
    """Which facts ``plan_issue`` will need for this issue (none for most)."""
    record = tagging_record(issue) or {}
    has_label = label in issue.labels
    was_tagged = bool(record.get("tag"))
    ours = was_tagged and bool(record.get("label_added_by_bridge"))
    if verdict.tag:
        return Needs(
            # A label already there and no record of who put it there: the changelog knows.
            provenance=has_label and not was_tagged,
            comments=not (was_tagged and record.get("commented")),
        )
    if verdict.undecided or not was_tagged:
        return Needs()
    # Untagging: confirm the label is still ours before removing it; look for an untag
    # comment a crashed run may have posted.
    managed = str(record.get("label") or label)
    return Needs(provenance=managed in issue.labels and ours, comments=True)


# ------------------------------------------------------------------------------------ plan


@dataclass(frozen=True)
class Plan:
    """The actions of one run, in the order ``apply`` runs them, and what was decided."""

    actions: tuple[Action, ...] = ()
    tagged: tuple[str, ...] = ()  # issues the rules tag
    untagged: tuple[str, ...] = ()  # issues this run untags
    held: tuple[str, ...] = ()  # undecided verdicts: left exactly as they are

    @property
    def writes(self) -> int:
        return len(self.actions)


def plan_tagging(
    issues: Sequence[Issue],
    verdicts: Mapping[str, TagVerdict],
    facts: Mapping[str, Facts],
    *,
    label: str,
    render: CommentRenderer,
) -> Plan:
    actions: list[Action] = []
    tagged: list[str] = []
    untagged: list[str] = []
    held: list[str] = []
    for issue in issues:
        verdict = verdicts[issue.key]
        record = tagging_record(issue)
        if verdict.tag:
            tagged.append(issue.key)
        elif verdict.undecided:
            held.append(issue.key)
        elif record and record.get("tag"):
            untagged.append(issue.key)
        actions.extend(
            plan_issue(issue, verdict, facts.get(issue.key, Facts()), label=label, render=render)
        )
    actions.sort(key=lambda a: a.phase)  # stable: issue order is kept within a phase
    return Plan(tuple(actions), tuple(tagged), tuple(untagged), tuple(held))


def plan_issue(
    issue: Issue, verdict: TagVerdict, facts: Facts, *, label: str, render: CommentRenderer
) -> list[Action]:
    """The writes that bring one issue to the state its verdict asks for (often none)."""
    record = tagging_record(issue)
    base = issue.properties.get(PROPERTY)
    base = dict(base) if isinstance(base, Mapping) else {}
    if verdict.tag:
        return _tag(issue, verdict, facts, record, base, label, render)
    if verdict.undecided or not (record and record.get("tag")):
        # Never tagged (nothing to undo), or the rules could not decide (a missing field): a
        # verdict that is not sure never removes anything.
        return []
    return _untag(issue, verdict, facts, record, base, label, render)


def _tag(
    issue: Issue,
    verdict: TagVerdict,
    facts: Facts,
    record: dict[str, Any] | None,
    base: dict[str, Any],
    label: str,
    render: CommentRenderer,
) -> list[Action]:
    actions: list[Action] = []
    was_tagged = bool(record and record.get("tag"))
    if label not in issue.labels:
        actions.append(AddLabel(issue.key, issue.id, label=label))
        ours = True
    elif was_tagged and record:
        ours = bool(record.get("label_added_by_bridge"))  # decided when it was first tagged
    else:
        ours = _known(facts.label_added_by_me, "label_added_by_me", issue.key)
    if not (was_tagged and record and record.get("commented")):
        marker = _known(facts.last_marker, "last_marker", issue.key)
        if marker != "tagged":
            body = render.tagging_comment(
                key=issue.key,
                category=verdict.category,
                reasons=verdict.reasons,
                label=label,
                rules_version=verdict.rules_version,
            )
            actions.append(AddComment(issue.key, issue.id, body=body, marker="tagged"))
    desired = {
        "tag": True,
        "category": verdict.category,
        "reasons": list(verdict.reasons),
        "rules_version": verdict.rules_version,
        "label": label,
        "label_added_by_bridge": ours,
        "commented": True,
    }
    return actions + _property(issue, record, base, desired)


def _untag(
    issue: Issue,
    verdict: TagVerdict,
    facts: Facts,
    record: dict[str, Any],
    base: dict[str, Any],
    label: str,
    render: CommentRenderer,
) -> list[Action]:
    actions: list[Action] = []
    managed = str(record.get("label") or label)
    change: LabelChange
    if managed not in issue.labels:
        change = "absent"
    elif record.get("label_added_by_bridge") and _known(
        facts.label_added_by_me, "label_added_by_me", issue.key
    ):
        actions.append(RemoveLabel(issue.key, issue.id, label=managed))
        change = "removed"
    else:
        # A person added it, or re-added it after the plugin did: it stays.
        change = "kept"
    if _known(facts.last_marker, "last_marker", issue.key) != "untagged":
        body = render.untagging_comment(
            key=issue.key,
            label=managed,
            label_change=change,
            reasons=verdict.reasons,
            rules_version=verdict.rules_version,
        )
        actions.append(AddComment(issue.key, issue.id, body=body, marker="untagged"))
    desired = {
        "tag": False,
        "category": None,
        "reasons": list(verdict.reasons),
        "rules_version": verdict.rules_version,
        "label": managed,
        "label_added_by_bridge": False,
        "commented": True,
    }
    return actions + _property(issue, record, base, desired)


def _property(
    issue: Issue, record: dict[str, Any] | None, base: dict[str, Any], desired: dict[str, Any]
) -> list[Action]:
    desired = _fit(desired, base)
    if record == desired:
        return []
    return [SetProperty(issue.key, issue.id, value=desired, base=base)]


def _fit(desired: dict[str, Any], base: Mapping[str, Any]) -> dict[str, Any]:
    """Keep the whole property within Jira's 32,768 characters by shortening the reasons."""
    reasons = [_shorten(r) for r in desired["reasons"]]
    fitted = {**desired, "reasons": reasons}

    def size(record: dict[str, Any]) -> int:
        whole = {**base, SECTION: record}
        return len(json.dumps(whole, ensure_ascii=False, separators=(",", ":")))

    dropped = 0
    while size(fitted) > MAX_PROPERTY_CHARS and reasons:
        reasons = reasons[:-1]
        dropped += 1
        fitted = {**desired, "reasons": [*reasons, f"… {dropped} more reasons left out"]}
    return fitted


def _shorten(reason: str) -> str:
    return reason if len(reason) <= MAX_REASON_CHARS else reason[: MAX_REASON_CHARS - 1] + "…"


def _known(value: Any, name: str, key: str) -> Any:
    if value is None:
        raise ValueError(f"plan for {key} needs {name}, which the load did not look up")
    return value
