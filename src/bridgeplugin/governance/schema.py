"""Typed shape of a ``kind: reviews`` rule file (pydantic, strict, unknown keys refused).

Like ``rules/schema.py``: every model forbids unknown keys and runs in strict mode, so
``approvals: "2"`` or ``statuses: [NO]`` is an error that says what to write, not a silent
conversion. Predicate trees (``if:``, ``definitions:``) stay ``Any`` here and are compiled by
``rules.parse.Parser`` key by key, so an error points at the predicate that is wrong.

The commented format is the shipped ``rules/reviews.yaml``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..rules.schema import Name, NonEmpty

__all__ = [
    "CATEGORY_KEYS",
    "GateSpec",
    "MaterialSpec",
    "NumberChangeSpec",
    "ProjectGateSpec",
    "ResolutionsSpec",
    "ReviewRuleSpec",
    "ReviewSpec",
    "ReviewsFileSpec",
    "TextChangeSpec",
    "TransitionSpec",
    "WaiverSpec",
]

# Jira's status category keys (the REST API's statusCategory.key).
CATEGORY_KEYS = ("new", "indeterminate", "done")
CategoryKey = Literal["new", "indeterminate", "done"]

Names = Annotated[list[NonEmpty], Field(min_length=1)]
Groups = Annotated[list[NonEmpty], Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# -- material changes (lapse on scope change) ---------------------------------------------------


class TextChangeSpec(_Strict):
    """A summary/description edit is material when what it mentions changes."""

    in_: Annotated[list[NonEmpty], Field(min_length=1)] = Field(
        default=["summary", "description"], alias="in"
    )
    vendors: bool = True  # a catalog vendor appears or disappears
    keywords: list[NonEmpty] = []  # one of these words appears or disappears

    @model_validator(mode="after")
    def _something(self) -> TextChangeSpec:
        if not (self.vendors or self.keywords):
            raise ValueError("text needs vendors: true or keywords to look for")
        return self


class NumberChangeSpec(_Strict):
    """``{field: Cost, increase_over: 5000}``: a rise of the field to more than the threshold."""

    field: NonEmpty
    increase_over: int | float = Field(ge=0)


class MaterialSpec(_Strict):
    """What makes a change of the request after a review *material* (the review lapses)."""

    fields: list[NonEmpty] = []  # any change of these fields (by name)
    text: TextChangeSpec | None = None
    numbers: list[NumberChangeSpec] = []


# -- reviews ------------------------------------------------------------------------------------


class ReviewSpec(_Strict):
    """One named review: who may give it, how many approvals, how its sub-task is found."""

    title: NonEmpty | None = None  # "Integration review" (default: the name, capitalised)
    description: str | None = None
    groups: Groups  # approvals count only from members of one of these groups
    approvals: int = Field(1, ge=1)  # distinct people who must approve
    self_approval: bool = False  # may the request's reporter give it?
    label: NonEmpty | None = None  # the sub-task's label (default review-<name>)
    assignee: NonEmpty | None = None  # account id or e-mail the sub-task is assigned to
    due_days: int | None = Field(None, ge=1)  # the sub-task's due date, days after creation
    material: MaterialSpec | None = None  # default: the file's top-level material


class ReviewRuleSpec(_Strict):
    """``if`` the predicates hold, the request needs the reviews in ``require``."""

    name: Name
    description: str | None = None
    if_: Any = Field(alias="if")
    require: Names
    mandatory: bool = False  # an undecidable `if` requires the reviews instead of skipping


# -- the gate -----------------------------------------------------------------------------------


class TransitionSpec(_Strict):
    """A status change that counts as approval: into ``to`` from one of ``from``."""

    from_: Names = Field(alias="from")
    to: NonEmpty


class ProjectGateSpec(_Strict):
    """The gate of one project; each key given replaces the file-wide one."""

    statuses: list[NonEmpty] | None = None
    categories: list[CategoryKey] | None = None
    transitions: list[TransitionSpec] | None = None
    unless_resolution: list[NonEmpty] | None = None
    revert_to: NonEmpty | None = None
    approvers: list[NonEmpty] | None = None
    self_approval: bool | None = None


class GateSpec(_Strict):
    """Which statuses (or status changes) count as approving a request."""

    statuses: list[NonEmpty] = ["Approved"]
    categories: list[CategoryKey] = []
    transitions: list[TransitionSpec] = []
    unless_resolution: list[NonEmpty] = []  # e.g. Won't Do: a declined request is not approved
    revert_to: NonEmpty | None = None  # when the history does not say where it came from
    approvers: list[NonEmpty] | None = None  # who may approve a reviewed request (default: anyone)
    self_approval: bool = False  # may the reporter approve their own reviewed request?
    projects: dict[NonEmpty, ProjectGateSpec] = {}


class ResolutionsSpec(_Strict):
    """Which resolutions of a review sub-task approve and which reject."""

    approve: Names = ["Approved"]
    reject: list[NonEmpty] = ["Rejected", "Won't Do", "Declined"]

    @model_validator(mode="after")
    def _disjoint(self) -> ResolutionsSpec:
        both = {a.casefold() for a in self.approve} & {r.casefold() for r in self.reject}
        if both:
            raise ValueError(
                f"a resolution cannot both approve and reject: {', '.join(sorted(both))}"
            )
        return self


# -- waivers ------------------------------------------------------------------------------------


class WaiverSpec(_Strict):
    """An emergency exception: one approval from a member of each group, for a limited time."""

    description: str | None = None
    groups: Groups  # each must approve (one member each, distinct people)
    expires_after_days: int = Field(ge=1, le=90)  # required: a waiver always ends
    covers: list[NonEmpty] | None = None  # reviews it stands in for (default: every review)
    self_approval: bool = False  # may the request's reporter be one of the approvers?


# -- the file -----------------------------------------------------------------------------------


class ReviewsFileSpec(_Strict):
    kind: Literal["reviews"]
    description: str | None = None
    reviews: dict[Name, ReviewSpec] = {}
    material: MaterialSpec | None = None
    definitions: dict[Name, Any] = {}
    rules: list[ReviewRuleSpec] = []
    gate: GateSpec | None = None
    resolutions: ResolutionsSpec | None = None
    waivers: dict[Name, WaiverSpec] = {}
