"""``bridge rules test``: run the test cases that ship next to the rules, report pass/fail.

A rules directory may hold test files (``kind: tests``; the tagging loader skips them). Each case
is a compact issue and the verdicts it must get::

    kind: tests
    description: what the shipped tagging rules must decide
    cases:
      - name: sprout-trial-in-mkt           # unique, a slug: shows in the report
        note: the vendor alone says "saas"   # optional, for people
        issue:
          project: MKT
          issue_type: Task                  # default Task
          reporter_groups: [marketing]      # the reporter's Jira groups
          requested_by_groups: [brand]      # optional: someone in "Requested by", in these groups
          request_type: New software        # optional: the service-desk request type
          labels: [social]                  # optional; also components, status
          fields: {Cost: 1200}              # optional: more custom fields, by name
          summary: Trial of Sprout Social for the social team
          description: ...
        expect:                             # any subset; category: null means "none"
          marketing_originated: true
          tech_request: true
          category: saas
          tag: true

The issue keys are the corpus' own (``tests/data/tagging_corpus.yaml`` items are valid
``issue:`` mappings), so a corpus item and a test case are built into the same ``Issue`` by
:func:`case_issue`. Loading is as strict as for rule files: unknown keys and type mistakes are
a :class:`~bridgeplugin.errors.RuleFileError` with file and line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .errors import RuleFileError
from .model import Issue, User
from .rules import FieldNames, StaticDirectory, TaggingResult
from .rules.load import kind_of
from .rules.schema import Name, NonEmpty
from .rules.source import read_document
from .tagging import Tagger, TagVerdict

if TYPE_CHECKING:
    from .sandbox.seed import Seed

__all__ = [
    "CaseIssue",
    "CaseOutcome",
    "Expect",
    "RuleCase",
    "case_files",
    "case_issue",
    "load_cases",
    "run_cases",
    "seed_issues",
]

# Account ids of the people a case describes; the display names make reasons read naturally
# ("reporter test-reporter is in group marketing").
REPORTER_ID = "test-reporter"
REQUESTER_ID = "test-requester"

Groups = list[NonEmpty]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class CaseIssue(_Strict):
    """An issue as a test case (or a corpus item) describes it: only what rules read."""

    key: NonEmpty = "TEST-1"
    project: NonEmpty
    issue_type: NonEmpty = "Task"
    status: NonEmpty | None = None
    summary: str
    description: str = ""
    reporter_groups: Groups = []
    requested_by_groups: Groups | None = None
    request_type: NonEmpty | None = None
    labels: list[NonEmpty] = []
    components: list[NonEmpty] = []
    fields: dict[NonEmpty, Any] = {}


class Expect(_Strict):
    """Expected verdicts; only the keys written are checked (``category: null`` is checked)."""

    marketing_originated: bool | None = None
    tech_request: bool | None = None
    category: NonEmpty | None = None
    tag: bool | None = None

    def checked(self) -> list[str]:
        return [
            k
            for k in ("marketing_originated", "tech_request", "category", "tag")
            if k in self.model_fields_set
        ]


class RuleCase(_Strict):
    name: Name
    note: str | None = None
    issue: CaseIssue
    expect: Expect


class CaseFileSpec(_Strict):
    kind: Literal["tests"]
    description: str | None = None
    cases: Annotated[list[RuleCase], Field(min_length=1)]


@dataclass(frozen=True)
class LoadedCase:
    case: RuleCase
    path: str
    line: int


def case_issue(
    spec: CaseIssue | Mapping[str, Any], *, fields: FieldNames | None = None
) -> tuple[Issue, StaticDirectory]:
    """The ``Issue`` a case (or corpus item) describes and the directory of its people.

    The reporter is also the creator. "Requested by" and "Request Type" are always present
    (``None`` when the case gives none), as on a site that has both fields, so the rules never
    see them as "not loaded".
    """
    if not isinstance(spec, CaseIssue):
        spec = CaseIssue.model_validate({k: v for k, v in spec.items() if k in _CASE_KEYS})
    names = fields or FieldNames()
    reporter = User(account_id=REPORTER_ID, display_name=REPORTER_ID)
    groups: dict[str, list[str]] = {REPORTER_ID: list(spec.reporter_groups)}
    requester = None
    if spec.requested_by_groups is not None:
        requester = User(account_id=REQUESTER_ID, display_name=REQUESTER_ID)
        groups[REQUESTER_ID] = list(spec.requested_by_groups)
    custom: dict[str, Any] = {
        names.requested_by: requester,
        names.request_type: spec.request_type,
        **spec.fields,
    }
    issue = Issue(
        id=spec.key,
        key=spec.key,
        project=spec.project,
        issue_type=spec.issue_type,
        status=spec.status,
        summary=spec.summary,
        description=spec.description,
        reporter=reporter,
        creator=reporter,
        labels=tuple(spec.labels),
        components=tuple(spec.components),
        custom=custom,
    )
    return issue, StaticDirectory(groups)


_CASE_KEYS = frozenset(CaseIssue.model_fields)


def seed_issues(site: Seed, custom_fields: Iterable[str]) -> list[tuple[Issue, StaticDirectory]]:
    """The issues of a sandbox seed as the gateway hands them over, each with the directory of
    the seed's groups: the rules see them as they see a site's (custom ``custom_fields`` present,
    empty when the seed leaves them out)."""
    users = {
        u.email: User(account_id=u.account_id, display_name=u.display_name) for u in site.users
    }
    by_id = {u.account_id: u for u in users.values()}
    groups: dict[str, list[str]] = {}
    for group in site.groups:
        for member in group.members:
            user = users.get(member) or by_id.get(member)
            if user is not None:
                groups.setdefault(user.account_id, []).append(group.name)
    directory = StaticDirectory(groups)
    wanted = tuple(custom_fields)
    out: list[tuple[Issue, StaticDirectory]] = []
    for i, raw in enumerate(site.issues):
        custom: dict[str, Any] = dict.fromkeys(wanted)
        for name, value in raw.fields.items():
            custom[name] = users.get(value, value) if isinstance(value, str) else value
        reporter = users.get(raw.reporter or "")
        issue = Issue(
            id=str(i),
            key=raw.key or f"GEN-{i}",
            project=raw.project,
            issue_type=raw.type,
            summary=raw.summary,
            description=raw.description,
            reporter=reporter,
            creator=users.get(raw.creator or "") or reporter,
            labels=tuple(raw.labels),
            components=tuple(raw.components),
            custom=custom,
        )
        out.append((issue, directory))
    return out


def case_files(rules_dir: str | Path) -> list[Path]:
    """The ``kind: tests`` files of a rules directory (and of its ``tests/`` folder)."""
    root = Path(rules_dir)
    if root.is_file():
        return [root]
    found: list[Path] = []
    for folder in (root, root / "tests"):
        if not folder.is_dir():
            continue
        for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")], key=lambda p: p.name):
            if path.name == "vendors.yaml":
                continue
            if kind_of(read_document(path)) == "tests":
                found.append(path)
    return found


def load_cases(paths: Iterable[str | Path]) -> list[LoadedCase]:
    """Every case of the given test files, strictly validated (RuleFileError names file:line)."""
    out: list[LoadedCase] = []
    first: dict[str, LoadedCase] = {}
    for path in paths:
        doc = read_document(path)
        spec: CaseFileSpec = doc.validate(CaseFileSpec, doc.data)
        for i, case in enumerate(spec.cases):
            loaded = LoadedCase(case, doc.path, doc.line(("cases", i)))
            if case.name in first:
                other = first[case.name]
                raise RuleFileError(
                    f"test case name {case.name!r} is used twice (first at "
                    f"{other.path}:{other.line})",
                    path=doc.path,
                    line=loaded.line,
                    hint="give each case its own name",
                )
            first[case.name] = loaded
            out.append(loaded)
    return out


@dataclass
class CaseOutcome:
    """One case's run: the verdict, and what differed from the expectation."""

    loaded: LoadedCase
    verdict: TagVerdict
    result: TaggingResult
    mismatches: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.mismatches

    @property
    def name(self) -> str:
        return self.loaded.case.name

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "passed": self.passed,
            "where": f"{self.loaded.path}:{self.loaded.line}",
            "mismatches": self.mismatches,
            "verdict": self.verdict.to_json(),
        }


def run_cases(tagger: Tagger, cases: Iterable[LoadedCase]) -> list[CaseOutcome]:
    """Classify every case's issue and compare with its expectation."""
    outcomes: list[CaseOutcome] = []
    for loaded in cases:
        issue, directory = case_issue(loaded.case.issue, fields=tagger.fields)
        result = tagger.explain(issue, directory)
        verdict = tagger.classify(issue, directory)
        got = verdict.to_json()
        expect = loaded.case.expect
        mismatches = [
            f"{key}: expected {_show(getattr(expect, key))}, got {_show(got[key])}"
            for key in expect.checked()
            if getattr(expect, key) != got[key]
        ]
        if verdict.undecided:
            mismatches.append("a rule could not be decided (see the tree)")
        outcomes.append(CaseOutcome(loaded, verdict, result, mismatches))
    return outcomes


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


# -- result trees as text -----------------------------------------------------------------------

_MARK = {"true": "[true] ", "false": "[false]", "error": "[error]"}
QUESTIONS = ("marketing_originated", "tech_request")


def tree_lines(result: TaggingResult, questions: Iterable[str] = QUESTIONS) -> list[str]:
    """Every rule that concludes one of ``questions``, with its condition's result tree.

    policy-bot's details page in text: one header per rule (outcome, name, what it concludes),
    then one line per predicate that decided it.
    """
    wanted = set(questions)
    lines: list[str] = []
    for rule in result.rules:
        then = rule.rule.then
        if not any(getattr(then, q) is not None for q in wanted):
            continue
        veto = " VETO" if False in (then.marketing_originated, then.tech_request) else ""
        lines.append(f"{_MARK[rule.outcome.value]} {rule.name}{veto} -> {then.describe()}")
        lines.extend("    " + line for line in rule.condition.lines())
    return lines


def verdict_lines(verdict: TagVerdict) -> list[str]:
    """The verdict in three lines: what was decided, the category, the rules version."""
    yes = {True: "yes", False: "no"}
    return [
        f"{verdict.key}: {'TAGGED' if verdict.tag else 'not tagged'}"
        + (" (a rule could not be decided)" if verdict.undecided else ""),
        f"  marketing_originated: {yes[verdict.marketing_originated]}   "
        f"tech_request: {yes[verdict.tech_request]}   category: {verdict.category or '-'}",
        f"  rules version: {verdict.rules_version[:12]}",
    ]


# -- names against the site ---------------------------------------------------------------------


@dataclass(frozen=True)
class NameProblem:
    """A name the rules use that the site does not have."""

    kind: str  # "field", "group", "project", "status", "issue type"
    name: str
    message: str
    path: str | None = None
    line: int | None = None

    def text(self) -> str:
        where = f"{self.path}:{self.line}: " if self.path and self.line else ""
        return f"{where}{self.message}"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "message": self.message,
            "path": self.path,
            "line": self.line,
        }


def find_line(files: Iterable[str], *needles: str) -> tuple[str | None, int | None]:
    """The first file:line where one of ``needles`` is written (as a whole word, any case)."""
    patterns = [
        re.compile(r"(?<![\w-])" + re.escape(n) + r"(?![\w-])", re.IGNORECASE) for n in needles
    ]
    for path in files:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        for number, text in enumerate(lines, 1):
            code = text.split("#", 1)[0]  # a name in a comment is not a use
            if any(p.search(code) for p in patterns):
                return path, number
    return None, None


# Predicates that read a configured field without naming it in the file.
_IMPLICIT_FIELD_KEYS = {"requested_by": "requested_by_in_group", "request_type": "request_type_in"}


def validate_names(tagger: Tagger, jira: Any) -> list[NameProblem]:
    """Check every field, group, project, status and issue type the rules name against Jira.

    Fields go through ``resolve_field`` (its error lists close matches), groups through
    ``group_members`` (404: no such group), projects through ``project``; statuses and issue
    types are looked up in the projects the rules name (all projects if they name none).
    """
    from .errors import FieldNameError, NotFound

    names = tagger.referenced_names()
    files = list(tagger.rules.files)
    problems: list[NameProblem] = []

    def problem(kind: str, name: str, message: str, *needles: str) -> None:
        path, line = find_line(files, *(needles or (name,)))
        problems.append(NameProblem(kind, name, message, path, line))

    implicit = {getattr(tagger.fields, attr): key for attr, key in _IMPLICIT_FIELD_KEYS.items()}
    for name in sorted(names.get("fields", ())):
        try:
            jira.resolve_field(name)
        except FieldNameError as exc:
            needles = (name, implicit[name]) if name in implicit else (name,)
            problem("field", name, str(exc), *needles)
    for group in sorted(names.get("groups", ())):
        try:
            jira.group_members(group)
        except NotFound:
            problem("group", group, f"group {group!r} does not exist on the site")
    projects = []
    for key in sorted(names.get("projects", ())):
        try:
            projects.append(jira.project(key))
        except NotFound:
            problem("project", key, f"project {key!r} does not exist (or is not visible)")
    wanted_types = names.get("issue_types", set())
    wanted_statuses = names.get("statuses", set())
    if wanted_types or wanted_statuses:
        scope = projects or jira.projects()
        types = {t.casefold() for p in scope for t in p.issue_types}
        for name in sorted(wanted_types):
            if name.casefold() not in types:
                problem("issue type", name, f"issue type {name!r} is in none of the projects")
        if wanted_statuses:
            statuses = {s.name.casefold() for p in scope for s in jira.statuses(p.key)}
            for name in sorted(wanted_statuses):
                if name.casefold() not in statuses:
                    problem(
                        "status", name, f"status {name!r} is in none of the projects' workflows"
                    )
    return problems
