"""Typed shapes of rule files (pydantic), checked strictly before anything is compiled.

Every model forbids unknown keys and runs in strict mode: ``project_in: [NO]`` (YAML reads NO
as false) or ``keywords: [365]`` is an error that says to quote the value, not a silent
conversion. Predicate trees (``if:``, ``definitions:``) are ``Any`` here: they are parsed key by
key in ``parse.py`` (policy-bot's split), where each predicate validates its own arguments
with the small models below, so an error points at the predicate that is wrong instead of at
fifteen union members.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

__all__ = [
    "DEFAULT_TEXT_FIELDS",
    "KINDS",
    "FieldSpec",
    "Name",
    "NonEmpty",
    "SignalSetSpec",
    "SignalsRefSpec",
    "TaggingFileSpec",
    "TaggingRuleSpec",
    "TaggingThenSpec",
    "TextSpec",
    "VendorCatalogSpec",
    "VendorPredicateSpec",
    "VendorSignalSpec",
    "VendorSpec",
]

# Kinds of rule file. "tagging" is loaded by load_rules, "reviews" by
# bridgeplugin.governance.load_policy (its shapes are in governance/schema.py); the others are
# reserved so that a directory can already hold them (each loader skips the kinds it does not
# read) and so a typo in a kind is caught instead of silently ignoring the file.
KINDS = ("tagging", "reviews", "epics", "budgets", "tests", "vendors")

DEFAULT_TEXT_FIELDS = ("summary", "description")

NonEmpty = Annotated[str, StringConstraints(min_length=1, strip_whitespace=False)]
# Names of rules, definitions and signal sets: stable identifiers that end up in stored
# verdicts and comments, so they are restricted to a slug alphabet.
Name = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=80)]
TextFields = Annotated[list[NonEmpty], Field(min_length=1)]
Scalar = str | int | float | bool


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# -- predicate arguments ------------------------------------------------------------------------


class TextSpec(_Strict):
    """``text:`` — keywords, phrases or regexes in summary/description (or named fields)."""

    keywords: list[NonEmpty] = []
    phrases: list[NonEmpty] = []
    regex: list[NonEmpty] = []
    in_: TextFields = Field(default=list(DEFAULT_TEXT_FIELDS), alias="in")
    case_sensitive: bool = False

    @model_validator(mode="after")
    def _something_to_match(self) -> TextSpec:
        if not (self.keywords or self.phrases or self.regex):
            raise ValueError("text needs at least one of keywords, phrases or regex")
        return self


FIELD_OPS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "contains", "is_empty")


class FieldSpec(_Strict):
    """``{field: Cost, gt: 1000}`` — one comparison on a custom field, by the field's name."""

    field: NonEmpty
    eq: Scalar | None = None
    ne: Scalar | None = None
    gt: int | float | None = None
    gte: int | float | None = None
    lt: int | float | None = None
    lte: int | float | None = None
    in_: Annotated[list[Scalar], Field(min_length=1)] | None = Field(None, alias="in")
    not_in: Annotated[list[Scalar], Field(min_length=1)] | None = None
    contains: Scalar | None = None
    is_empty: bool | None = None

    @model_validator(mode="after")
    def _one_operator(self) -> FieldSpec:
        ops = self.operators()
        if len(ops) != 1:
            found = ", ".join(ops) if ops else "none"
            raise ValueError(
                f"field needs exactly one comparison of {', '.join(FIELD_OPS)} (found: {found});"
                " combine several with all: [...]"
            )
        return self

    def operators(self) -> list[str]:
        names = {"in_": "in"}
        return [
            names.get(n, n)
            for n in type(self).model_fields
            if n != "field" and getattr(self, n) is not None
        ]


class VendorPredicateSpec(_Strict):
    """``vendor: {categories: [saas]}`` — a catalog vendor is mentioned."""

    categories: list[NonEmpty] | None = None
    segments: list[NonEmpty] | None = None
    in_: TextFields = Field(default=list(DEFAULT_TEXT_FIELDS), alias="in")


class SignalsRefSpec(_Strict):
    """``signals: {name: tech, threshold: 5}`` — a signal set with its threshold overridden."""

    name: Name
    threshold: float


# -- top level ----------------------------------------------------------------------------------


class VendorSignalSpec(_Strict):
    weight: float
    categories: list[NonEmpty] | None = None


class SignalSetSpec(_Strict):
    """A named set of weighted signals (top-level ``signals:``)."""

    description: str | None = None
    threshold: float
    in_: TextFields = Field(default=list(DEFAULT_TEXT_FIELDS), alias="in")
    keywords: dict[NonEmpty, float] = {}
    phrases: dict[NonEmpty, float] = {}
    regex: dict[NonEmpty, float] = {}
    vendors: VendorSignalSpec | None = None
    case_sensitive: bool = False

    @model_validator(mode="after")
    def _has_signals(self) -> SignalSetSpec:
        if not (self.keywords or self.phrases or self.regex or self.vendors):
            raise ValueError("a signal set needs keywords, phrases, regex or vendors")
        return self


class TaggingThenSpec(_Strict):
    """What a tagging rule concludes when its ``if`` is true.

    ``true`` tags; ``false`` is a veto that wins over every rule concluding ``true``.
    """

    marketing_originated: bool | None = None
    tech_request: bool | None = None
    category: NonEmpty | None = None
    category_from: Literal["vendor"] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> TaggingThenSpec:
        if self.marketing_originated is None and self.tech_request is None:
            raise ValueError("then needs marketing_originated or tech_request")
        if (self.category or self.category_from) and self.tech_request is not True:
            raise ValueError("category and category_from go with tech_request: true")
        return self


class TaggingRuleSpec(_Strict):
    name: Name
    description: str | None = None
    if_: Any = Field(alias="if")
    then: TaggingThenSpec


class TaggingFileSpec(_Strict):
    kind: Literal["tagging"]
    description: str | None = None
    definitions: dict[Name, Any] = {}
    signals: dict[Name, SignalSetSpec] = {}
    rules: Annotated[list[TaggingRuleSpec], Field(min_length=1)]


# -- vendor catalog -----------------------------------------------------------------------------


class VendorSpec(_Strict):
    name: NonEmpty
    aliases: list[NonEmpty] = []
    category: NonEmpty
    segment: NonEmpty | None = None
    ambiguous: bool = False


class VendorCatalogSpec(_Strict):
    kind: Literal["vendors"] | None = None
    description: str | None = None
    tech_words: list[NonEmpty] | None = None
    vendors: list[VendorSpec]
