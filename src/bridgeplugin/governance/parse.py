"""Compile one ``kind: reviews`` document (policy-bot's ``parse.go``; nothing here runs per issue).

``schema.py`` checks the shape; this module compiles the ``if`` trees with the rule engine's
``Parser`` (so every predicate, ``definitions`` and ``ref`` work as in tagging files), the
material keywords, and checks what one file can check on its own: labels used twice, a gate
that reverts into itself, vendor matching without a catalog. Names that may be defined in
another file (a rule requiring a review, a waiver covering one) are checked by ``load.py``
after merging, with the place this module recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..rules.parse import Parser
from ..rules.source import Document, Loc
from ..rules.vendors import VendorCatalog
from .policy import (
    GateConfig,
    Material,
    NumberChange,
    Resolutions,
    Review,
    ReviewRule,
    TransitionRule,
    WaiverDef,
    Where,
)
from .schema import GateSpec, MaterialSpec, ProjectGateSpec, ReviewsFileSpec

__all__ = ["DEFAULT_MATERIAL", "FilePolicy", "parse_reviews"]

# What lapses a review when a file says nothing about material changes (the shipped
# rules/reviews.yaml spells the same out): another vendor, other data, a bigger bill.
DEFAULT_MATERIAL = MaterialSpec.model_validate(
    {
        "fields": ["Vendor", "Data categories"],
        "text": {
            "in": ["summary", "description"],
            "vendors": True,
            "keywords": ["api", "integration", "sync", "export", "webhook", "sso", "pixel"],
        },
        "numbers": [
            {"field": "Cost", "increase_over": 5000},
            {"field": "Monthly cost", "increase_over": 500},
        ],
    }
)


@dataclass
class FilePolicy:
    """What one file contributes; ``load.py`` merges the files of a directory."""

    path: str
    reviews: dict[str, Review] = field(default_factory=dict)
    rules: list[ReviewRule] = field(default_factory=list)
    gate: tuple[GateConfig, dict[str, GateConfig]] | None = None
    resolutions: Resolutions | None = None
    waivers: dict[str, WaiverDef] = field(default_factory=dict)
    waiver_covers_where: dict[str, tuple[Where, ...]] = field(default_factory=dict)
    gate_where: Where | None = None
    resolutions_where: Where | None = None


def parse_reviews(
    doc: Document, *, catalog: VendorCatalog | None, categories: Iterable[str] | None = None
) -> FilePolicy:
    spec: ReviewsFileSpec = doc.validate(ReviewsFileSpec, doc.data, ())
    parser = Parser(
        doc, catalog=catalog, definitions=spec.definitions, kind="reviews", categories=categories
    )
    out = FilePolicy(doc.path)

    def where(at: Loc, *, key: bool = False) -> Where:
        return Where(doc.path, doc.line(at, key=key))

    default_material = _material(
        spec.material or DEFAULT_MATERIAL,
        ("material",),
        parser,
        catalog,
        written=spec.material is not None,
    )
    labels: dict[str, str] = {}
    for name, r in spec.reviews.items():
        at: Loc = ("reviews", name)
        label = r.label or f"review-{name}"
        if label.casefold() in labels:
            raise parser.error(
                (*at, "label") if r.label else at,
                f"label {label!r} is also the label of review {labels[label.casefold()]!r}",
                hint="each review's sub-tasks need their own label",
            )
        labels[label.casefold()] = name
        material = (
            _material(r.material, (*at, "material"), parser, catalog)
            if r.material is not None
            else default_material
        )
        out.reviews[name] = Review(
            name=name,
            title=r.title or f"{name.replace('-', ' ').replace('_', ' ').capitalize()} review",
            groups=tuple(r.groups),
            label=label,
            material=material,
            where=where(at, key=True),
            approvals=r.approvals,
            self_approval=r.self_approval,
            assignee=r.assignee,
            due_days=r.due_days,
            description=r.description,
        )

    for i, rule in enumerate(spec.rules):
        at = ("rules", i)
        out.rules.append(
            ReviewRule(
                name=rule.name,
                condition=parser.predicate(rule.if_, (*at, "if")),
                require=tuple(rule.require),
                where=where(at),
                require_where=tuple(where((*at, "require", j)) for j in range(len(rule.require))),
                mandatory=rule.mandatory,
                description=rule.description,
            )
        )
    # Unused definitions are still compiled, so their errors show today.
    for name in spec.definitions:
        parser.definition(name, ("definitions", name))

    if spec.gate is not None:
        out.gate = _gate(spec.gate, parser)
        out.gate_where = where(("gate",))
    if spec.resolutions is not None:
        out.resolutions = Resolutions(
            approve=tuple(spec.resolutions.approve), reject=tuple(spec.resolutions.reject)
        )
        out.resolutions_where = where(("resolutions",))

    for name, w in spec.waivers.items():
        at = ("waivers", name)
        out.waivers[name] = WaiverDef(
            name=name,
            groups=tuple(w.groups),
            expires_after_days=w.expires_after_days,
            covers=tuple(w.covers or ()),  # empty: every review (resolved in load.py)
            where=where(at, key=True),
            self_approval=w.self_approval,
            description=w.description,
        )
        out.waiver_covers_where[name] = tuple(
            where((*at, "covers", j)) for j in range(len(w.covers or ()))
        )
    return out


def _material(
    spec: MaterialSpec,
    at: Loc,
    parser: Parser,
    catalog: VendorCatalog | None,
    *,
    written: bool = True,
) -> Material:
    """Compile a material spec; ``written``: it is in the file (not the built-in default)."""
    text = spec.text
    terms = None
    keywords: tuple[str, ...] = ()
    text_fields: tuple[str, ...] = ()
    vendors = False
    if text is not None:
        text_fields = tuple(text.in_)
        keywords = tuple(text.keywords)
        parser.check_keywords(keywords, (*at, "text", "keywords"))
        if keywords:
            terms = parser.terms(
                keywords,
                [(*at, "text", "keywords", i) for i in range(len(keywords))],
                case_sensitive=False,
            )
        vendors = text.vendors
        if vendors and written and "vendors" in text.model_fields_set:
            parser.catalog((*at, "text", "vendors"))  # written out: the catalog must be there
        elif vendors and catalog is None:
            vendors = False  # the default, without a catalog: keywords only
    return Material(
        fields=tuple(spec.fields),
        text_fields=text_fields,
        vendors=vendors,
        keywords=keywords,
        terms=terms,
        numbers=tuple(NumberChange(n.field, float(n.increase_over)) for n in spec.numbers),
    )


def _gate(spec: GateSpec, parser: Parser) -> tuple[GateConfig, dict[str, GateConfig]]:
    default = _gate_config(spec, ("gate",), parser, base=None)
    projects = {
        key: _gate_config(p, ("gate", "projects", key), parser, base=default)
        for key, p in spec.projects.items()
    }
    return default, projects


def _gate_config(
    spec: GateSpec | ProjectGateSpec, at: Loc, parser: Parser, *, base: GateConfig | None
) -> GateConfig:
    def pick(name: str, fallback: object) -> object:
        value = getattr(spec, name)
        return fallback if value is None else value

    b = base or GateConfig()
    statuses = tuple(pick("statuses", b.statuses))  # type: ignore[arg-type]
    categories = tuple(pick("categories", b.categories))  # type: ignore[arg-type]
    raw_transitions = pick("transitions", None)
    transitions = (
        b.transitions
        if raw_transitions is None
        else tuple(TransitionRule(tuple(t.from_), t.to) for t in raw_transitions)  # type: ignore[attr-defined]
    )
    unless = tuple(pick("unless_resolution", b.unless_resolution))  # type: ignore[arg-type]
    revert_to = pick("revert_to", b.revert_to)
    config = GateConfig(
        statuses=statuses,
        categories=categories,
        transitions=transitions,
        unless_resolution=unless,
        revert_to=revert_to,  # type: ignore[arg-type]
        approvers=tuple(pick("approvers", b.approvers)),  # type: ignore[arg-type]
        self_approval=bool(pick("self_approval", b.self_approval)),
        where=Where(parser.doc.path, parser.doc.line(at)),
    )
    if not (statuses or categories or transitions):
        raise parser.error(
            at,
            "the gate names no status, category or transition: nothing would count as approval",
            hint="write statuses: [Approved] (the default), categories: [done] or transitions:",
        )
    if isinstance(revert_to, str) and config.is_gated_status(revert_to, None):
        raise parser.error(
            (*at, "revert_to") if spec.revert_to is not None else at,
            f"revert_to {revert_to!r} is itself a gated status: a revert would stay approved",
            hint="name the status requests wait in before approval, e.g. In Review",
        )
    return config
