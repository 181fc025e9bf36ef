"""``load_epic_rules``: read ``rules/epics.yaml`` strictly, the way ``budget/load.py`` does.

1. ``kind: epics`` (anything else is the wrong file);
2. the typed shape (``schema.py``): unknown keys with the closest valid one, wrong types;
3. what only the whole file tells: exactly one initiative source, checklist ids unique per
   category.

Every error is a ``RuleFileError`` with file:line and the fix; nothing is half-loaded.
``site_problems`` adds what only the site can tell (``bridge rules validate --site``, ``bridge
doctor``): an epic project without an Epic type, a checklist project without the story type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import RuleFileError
from ..rules.context import FieldNames
from ..rules.parse import Parser
from ..rules.predicates.base import Predicate
from ..rules.source import Document, Loc, read_document, read_text
from .schema import EpicsFileSpec

__all__ = ["FILE_NAME", "EpicRules", "load_epic_rules", "read_epic_rules", "site_problems"]

FILE_NAME = "epics.yaml"
KIND = "epics"


@dataclass(frozen=True)
class EpicRules:
    """The loaded file: its spec, and the lines of the settings the site can contradict."""

    spec: EpicsFileSpec
    path: str
    lines: Mapping[str, int] = field(default_factory=dict)
    counts_if: Predicate | None = None  # compiled ``counts_if``

    def names(self) -> dict[str, set[str]]:
        """Fields and groups ``counts_if`` reads (the load fetches exactly those)."""
        out: dict[str, set[str]] = {}
        stack = [self.counts_if] if self.counts_if is not None else []
        while stack:
            pred = stack.pop()
            for kind, name in pred.names(FieldNames()):
                out.setdefault(kind, set()).add(name)
            stack.extend(pred.children())
        return out

    @property
    def enabled(self) -> bool:
        return self.spec.enabled

    def epic_project(self, it_project: str) -> str:
        return self.spec.epic.project or it_project

    def checklist_project(self, it_project: str) -> str:
        return self.spec.checklist.project or self.epic_project(it_project)


def load_epic_rules(path: str | Path) -> EpicRules:
    """Load ``path`` (a file, or a rules directory holding ``epics.yaml``)."""
    p = Path(path)
    if p.is_dir():
        p = p / FILE_NAME
    return _parse(read_document(p))


def read_epic_rules(text: str, path: str = "<string>") -> EpicRules:
    return _parse(read_text(text, path))


def _parse(doc: Document) -> EpicRules:
    data = doc.data
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise doc.error(
            ("kind",) if isinstance(data, dict) and "kind" in data else (),
            "not an epics file",
            hint="start the file with kind: epics",
        )
    spec: EpicsFileSpec = doc.validate(EpicsFileSpec, data)
    source = spec.initiative
    if (source.field is None) == (source.label_prefix is None) and "initiative" in data:
        raise doc.error(
            ("initiative",),
            "name exactly one of field and label_prefix",
            hint="e.g. field: Initiative, or label_prefix: initiative- (and field: null)",
        )
    for category, items in spec.checklist.categories.items():
        seen: set[str] = set()
        for index, item in enumerate(items):
            if item.id in seen:
                raise doc.error(
                    ("checklist", "categories", category, index, "id"),
                    f"checklist item id {item.id!r} appears twice in category {category!r}",
                    hint="ids name the stories' labels: each must be unique in its category",
                )
            seen.add(item.id)
    lines = {
        name: _line(doc, at)
        for name, at in {
            "epic.project": ("epic", "project"),
            "epic.issue_type": ("epic", "issue_type"),
            "checklist.project": ("checklist", "project"),
            "checklist.issue_type": ("checklist", "issue_type"),
        }.items()
    }
    counts_if = None
    if spec.counts_if is not None:
        # The rule engine's own parser: same predicates, same file:line errors. Predicates on
        # the tagging verdict (tagged, category_in) belong to review files and are refused.
        parser = Parser(doc, catalog=None, kind=KIND)
        counts_if = parser.predicate(spec.counts_if, ("counts_if",))
    return EpicRules(spec=spec, path=doc.path, lines=lines, counts_if=counts_if)


def _line(doc: Document, at: Loc) -> int:
    return doc.line(at)


def site_problems(
    rules: EpicRules, issue_types: Mapping[str, Sequence[str]], it_project: str
) -> list[RuleFileError]:
    """What the site contradicts. ``issue_types``: project key -> its issue type names (a
    project missing from it does not exist)."""
    problems: list[RuleFileError] = []

    def need(project: str, type_name: str, where: str, what: str) -> None:
        section = where.split(".")[0]
        if project not in issue_types:
            problems.append(
                RuleFileError(
                    f"{section}.project: project {project} does not exist on the site",
                    path=rules.path,
                    line=rules.lines.get(f"{section}.project"),
                    hint="name a project key the plugin's account can see",
                )
            )
            return
        names = {t.casefold() for t in issue_types[project]}
        if type_name.casefold() not in names:
            problems.append(
                RuleFileError(
                    f"{where}: project {project} has no issue type {type_name!r} ({what})",
                    path=rules.path,
                    line=rules.lines.get(where),
                    hint=f"add {type_name} to the project's issue type scheme, or name a "
                    f"project that has it; it has: {', '.join(issue_types[project])}",
                )
            )

    spec = rules.spec
    need(rules.epic_project(it_project), spec.epic.issue_type, "epic.issue_type", "the epic")
    if spec.checklist.categories:
        need(
            rules.checklist_project(it_project),
            spec.checklist.issue_type,
            "checklist.issue_type",
            "the checklist stories",
        )
    return problems
