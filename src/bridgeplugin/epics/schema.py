"""The typed shape of ``rules/epics.yaml`` (``kind: epics``); ``load`` adds what needs the file.

Unknown keys are refused (with the closest valid one), so a typo never silently disables a
setting.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "ChecklistItemSpec",
    "ChecklistSpec",
    "ChildrenSpec",
    "EpicSpec",
    "EpicsFileSpec",
    "InitiativeSpec",
    "Trigger",
]

Trigger = Literal["shared", "approved"]
_ITEM_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
_PROJECT = re.compile(r"[A-Z][A-Z0-9_]{0,9}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InitiativeSpec(_Strict):
    """Where a request names its initiative: a field, or a label prefix (exactly one)."""

    field: str | None = "Initiative"
    label_prefix: str | None = None


class EpicSpec(_Strict):
    project: str | None = None  # None: the IT project of the config
    issue_type: str = "Epic"
    summary: str = "epic_summary.txt.j2"
    description: str = "epic_description.txt.j2"
    it_owner: str | None = None  # account id: the epic's assignee
    labels: list[str] = Field(default_factory=list)  # both teams' labels, added to the epic
    set_initiative: bool = True  # write the initiative into the epic's own field, too
    budget_lines: dict[str, str] = Field(default_factory=dict)  # initiative name -> line

    @field_validator("project")
    @classmethod
    def _project(cls, value: str | None) -> str | None:
        if value is not None and not _PROJECT.fullmatch(value):
            raise ValueError(f"{value!r} is not a project key (upper case, like IT)")
        return value


class ChildrenSpec(_Strict):
    # Issue types that never hang under an epic (sub-tasks have their own parent).
    exclude_types: list[str] = Field(default_factory=lambda: ["Sub-task", "Epic"])
    # Where Jira refuses a parent (a business project, another hierarchy): link instead.
    link_type: str = "Relates"
    link_projects: list[str] = Field(default_factory=list)  # always link, never parent


class ChecklistItemSpec(_Strict):
    id: str
    title: str

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ITEM_ID.fullmatch(value):
            raise ValueError("an item id is lower case letters, digits and '-', at most 40")
        return value


class ChecklistSpec(_Strict):
    project: str | None = None  # None: the epic's project
    issue_type: str = "Story"
    summary: str = "checklist_summary.txt.j2"
    description: str = "checklist_description.txt.j2"
    categories: dict[str, list[ChecklistItemSpec]] = Field(default_factory=dict)


class EpicsFileSpec(_Strict):
    kind: Literal["epics"]
    enabled: bool = True
    initiative: InitiativeSpec = Field(default_factory=InitiativeSpec)
    when: list[Trigger] = Field(default_factory=lambda: ["shared", "approved"], min_length=1)
    # A predicate of the rule engine (the tagging rules' keys: project_in, status_in, field,
    # reporter_in_group, not, any, all, ...): only issues it holds for count for an initiative.
    counts_if: dict[str, Any] | None = None
    approved_statuses: list[str] = Field(default_factory=lambda: ["Approved"])
    epic: EpicSpec = Field(default_factory=EpicSpec)
    children: ChildrenSpec = Field(default_factory=ChildrenSpec)
    checklist: ChecklistSpec = Field(default_factory=ChecklistSpec)
