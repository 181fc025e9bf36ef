"""``bridge doctor``: is this site ready for the plugin? One check per line, a fix for each failure.

Checks run in order and later ones depend on earlier ones: without reachability and valid
credentials nothing else can be asked, so those failures mark the rest as skipped instead of
burying the real cause under twenty follow-on errors.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Literal

from .config import Config
from .confluence_gateway import ConfluenceApi
from .errors import AtlassianError, AuthenticationError, BridgeError, NotFound, TransportError
from .jira_gateway import JiraApi

__all__ = ["REQUIRED_PERMISSIONS", "Check", "Names", "run_checks"]

Outcome = Literal["ok", "warn", "fail", "skip"]

# What the plugin does on each project: read, label/tag, create review sub-tasks and epics,
# revert approvals, comment, link.
REQUIRED_PERMISSIONS = (
    "BROWSE_PROJECTS",
    "CREATE_ISSUES",
    "EDIT_ISSUES",
    "TRANSITION_ISSUES",
    "ADD_COMMENTS",
    "LINK_ISSUES",
)


@dataclass(frozen=True)
class Check:
    name: str
    outcome: Outcome
    detail: str
    fix: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome != "fail"

    def line(self) -> str:
        mark = {"ok": "ok  ", "warn": "warn", "fail": "FAIL", "skip": "skip"}[self.outcome]
        text = f"{mark} {self.name}: {self.detail}"
        return f"{text} -> fix: {self.fix}" if self.fix else text

    def to_json(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class Names:
    """Names the config and the rule files refer to, to be checked against the site."""

    projects: set[str] = field(default_factory=set)
    fields: set[str] = field(default_factory=set)
    groups: set[str] = field(default_factory=set)
    statuses: set[str] = field(default_factory=set)  # checked against every named project

    @classmethod
    def from_config(cls, config: Config) -> Names:
        p = config.projects
        return cls(
            projects={p.marketing, p.it, p.joint},
            fields={config.custom_fields.cost, config.custom_fields.initiative},
        )

    def merge(self, other: Names) -> Names:
        return Names(
            projects=self.projects | other.projects,
            fields=self.fields | other.fields,
            groups=self.groups | other.groups,
            statuses=self.statuses | other.statuses,
        )


def _fail_from(name: str, exc: BridgeError, fix: str | None = None) -> Check:
    return Check(name, "fail", exc.message, fix or exc.hint)


def run_checks(
    config: Config, jira: JiraApi, confluence: ConfluenceApi, names: Names
) -> list[Check]:
    """Every check, in order. Gateways raise our own errors; each becomes a failed line."""
    checks: list[Check] = []

    # 1. Reachability and credentials gate everything else.
    try:
        info = jira.server_info()
        kind = "Jira Cloud" if info.is_cloud else "Jira Data Center"
        version = f" {info.version}" if info.version else ""
        checks.append(Check("jira", "ok", f"{kind}{version} reachable at {config.jira_url}"))
    except AtlassianError as exc:
        checks.append(_fail_from("jira", exc))
        return checks + _skipped(["credentials", "confluence", "projects", "fields"])
    try:
        me = jira.myself()
        checks.append(
            Check("credentials", "ok", f"authenticated as {me.display_name or me.account_id}")
        )
    except AtlassianError as exc:
        checks.append(_fail_from("credentials", exc))
        return checks + _skipped(["confluence", "projects", "fields"])

    checks.extend(_confluence_checks(config, confluence))
    project_checks, known_projects = _project_checks(jira, sorted(names.projects))
    checks.extend(project_checks)
    checks.extend(_permission_checks(jira, known_projects))
    checks.extend(_status_checks(jira, known_projects, sorted(names.statuses)))
    checks.extend(_field_checks(jira, sorted(names.fields)))
    checks.extend(_group_checks(jira, sorted(names.groups)))
    checks.extend(_board_checks(config, jira))
    checks.extend(_tagging_checks(config, jira, names))
    checks.extend(_review_checks(config, jira))
    checks.extend(_epics_checks(config, jira))
    return checks


def _review_checks(config: Config, jira: JiraApi) -> list[Check]:
    """The review rules load, and every group, status and field they need exists and can act:
    unlike tagging's, a review group nobody is in means requests can never be approved."""
    from .governance import categories_of, load_policy
    from .governance.validate import site_problems
    from .tagging import Tagger

    try:
        tagger = Tagger.load(config.rules)
    except BridgeError:
        return []  # the tagging check above already names the broken file
    try:
        policy = load_policy(config.rules, categories=categories_of(tagger.rules), required=False)
    except BridgeError as exc:
        return [_fail_from("review rules", exc, "fix the rule file (bridge rules validate)")]
    if policy is None:
        return []
    try:
        problems = site_problems(policy, jira)
    except AtlassianError as exc:
        return [_fail_from("review rules", exc)]
    if not problems:
        names = ", ".join(sorted(policy.reviews))
        return [Check("review rules", "ok", f"{names}: every group exists and has members")]
    return [
        Check(f"review rules: {p.kind} {p.name!r}", "fail", p.text(), "see bridge rules validate")
        for p in problems
    ]


def _epics_checks(config: Config, jira: JiraApi) -> list[Check]:
    """epics.yaml against the site: the Epic type in the epic project, templates render."""
    from .epics.check import doctor_lines

    return [
        Check("epic rules", outcome, detail, fix)
        for outcome, detail, fix in doctor_lines(config, jira)
    ]


def _tagging_checks(config: Config, jira: JiraApi, required: Names) -> list[Check]:
    """The tagging rules load, and the groups and fields they read exist.

    Tagging rules may name groups and fields of a larger organisation than this site's: such
    a group counts as empty and such a field as unset, so a missing one is a warning (fewer
    requests are recognised), not a failure.
    """
    from .tagging import Tagger  # the rules engine is only needed here

    try:
        tagger = Tagger.load(config.rules)
    except BridgeError as exc:
        return [_fail_from("tagging rules", exc, "fix the rule file (bridge rules validate)")]
    out = [
        Check(
            "tagging rules",
            "ok",
            f"{len(tagger.rules)} rules from {config.rules} (version {tagger.version[:12]})",
        )
    ]
    names = tagger.referenced_names()
    projects = sorted(names.get("projects", set()) - required.projects)
    out.extend(_project_checks(jira, projects)[0])
    fields = sorted(names.get("fields", set()) - required.fields)
    groups = sorted(names.get("groups", set()) - required.groups)
    out.extend(_as_warnings(_field_checks(jira, fields), "tagging rules using it cannot decide"))
    try:
        existing = jira.existing_groups(groups)
    except AtlassianError as exc:
        return [*out, _fail_from("groups named by the tagging rules", exc)]
    missing = [g for g in groups if g not in existing]
    if groups:
        out.append(
            Check(
                "groups named by the tagging rules",
                "warn" if missing else "ok",
                f"{len(groups) - len(missing)} of {len(groups)} exist"
                + (f"; missing (counted as empty): {', '.join(missing)}" if missing else ""),
                "adapt the group lists in the tagging rules to your site" if missing else None,
            )
        )
    return out


def _as_warnings(checks: list[Check], consequence: str) -> list[Check]:
    return [
        Check(c.name, "warn", f"{c.detail}; {consequence}", c.fix) if c.outcome == "fail" else c
        for c in checks
    ]


def _skipped(names: Iterable[str]) -> list[Check]:
    return [Check(n, "skip", "not checked: fix the failure above first") for n in names]


def _confluence_checks(config: Config, confluence: ConfluenceApi) -> list[Check]:
    out: list[Check] = []
    space_key = config.confluence_space
    try:
        space = confluence.space(space_key)
        out.append(Check("confluence space", "ok", f"{space_key} ({space.name}) is readable"))
    except NotFound:
        return [
            Check(
                "confluence space",
                "fail",
                f"space {space_key} does not exist or is not visible to this account",
                "create it, grant the account access, or set BRIDGE_CONFLUENCE_SPACE",
            )
        ]
    except (TransportError, AuthenticationError) as exc:
        return [_fail_from("confluence", exc)]
    except AtlassianError as exc:
        return [_fail_from("confluence space", exc)]
    try:
        parent = confluence.find_page(space_key, config.report_parent)
    except AtlassianError as exc:
        return [*out, _fail_from("report parent page", exc)]
    if parent is None:
        out.append(
            Check(
                "report parent page",
                "fail",
                f"no page titled {config.report_parent!r} in space {space_key}",
                "create it in Confluence, or set report_parent in bridge.yaml to an existing title",
            )
        )
    else:
        out.append(Check("report parent page", "ok", f"{config.report_parent!r} (id {parent.id})"))
    return out


def _project_checks(jira: JiraApi, keys: Sequence[str]) -> tuple[list[Check], list[str]]:
    out: list[Check] = []
    known: list[str] = []
    for key in keys:
        try:
            project = jira.project(key)
            out.append(Check(f"project {key}", "ok", f"{project.name} ({project.project_type})"))
            known.append(key)
        except NotFound:
            out.append(
                Check(
                    f"project {key}",
                    "fail",
                    f"project {key} does not exist or this account cannot browse it",
                    "fix the key under projects: in bridge.yaml, or grant Browse projects",
                )
            )
        except AtlassianError as exc:
            out.append(_fail_from(f"project {key}", exc))
    return out, known


def _permission_checks(jira: JiraApi, projects: Sequence[str]) -> list[Check]:
    out: list[Check] = []
    for key in projects:
        try:
            granted = jira.my_permissions(key, list(REQUIRED_PERMISSIONS))
        except AtlassianError as exc:
            out.append(_fail_from(f"permissions on {key}", exc))
            continue
        missing = [p for p in REQUIRED_PERMISSIONS if not granted.get(p)]
        if missing:
            out.append(
                Check(
                    f"permissions on {key}",
                    "fail",
                    f"missing {', '.join(missing)}",
                    f"ask a Jira admin to grant them in {key}'s permission scheme",
                )
            )
        else:
            out.append(Check(f"permissions on {key}", "ok", "all the plugin needs"))
    return out


def _status_checks(jira: JiraApi, projects: Sequence[str], statuses: Sequence[str]) -> list[Check]:
    if not statuses:
        return []
    out: list[Check] = []
    available: dict[str, set[str]] = {}
    for key in projects:
        try:
            available[key] = {s.name.lower() for s in jira.statuses(key)}
        except AtlassianError as exc:
            out.append(_fail_from(f"statuses of {key}", exc))
    for status in statuses:
        where = [k for k, names in available.items() if status.lower() in names]
        if where:
            out.append(Check(f"status {status!r}", "ok", f"used in {', '.join(where)}"))
        else:
            out.append(
                Check(
                    f"status {status!r}",
                    "fail",
                    f"no workflow of {', '.join(projects) or 'the projects'} has it",
                    "fix the status name in the rule file, or add it to the workflow",
                )
            )
    return out


def _field_checks(jira: JiraApi, names: Sequence[str]) -> list[Check]:
    out: list[Check] = []
    for name in names:
        try:
            info = jira.resolve_field(name)
            out.append(Check(f"field {name!r}", "ok", info.id))
        except BridgeError as exc:  # FieldNameError (a ConfigError) or an API error
            out.append(_fail_from(f"field {name!r}", exc))
    return out


def _group_checks(jira: JiraApi, groups: Sequence[str]) -> list[Check]:
    out: list[Check] = []
    for group in groups:
        try:
            members = jira.group_members(group)
        except NotFound:
            out.append(
                Check(
                    f"group {group}",
                    "fail",
                    "does not exist",
                    "create the group in Atlassian admin, or fix its name in the rule file",
                )
            )
            continue
        except AtlassianError as exc:
            out.append(_fail_from(f"group {group}", exc))
            continue
        if members:
            out.append(Check(f"group {group}", "ok", f"{len(members)} active member(s)"))
        else:
            out.append(
                Check(
                    f"group {group}",
                    "fail",
                    "has no active members, so nobody can give what the rules ask of it",
                    "add the reviewers to the group",
                )
            )
    return out


def _board_checks(config: Config, jira: JiraApi) -> list[Check]:
    try:
        boards = jira.boards(config.projects.it)
    except AtlassianError as exc:
        return [_fail_from("board", exc)]
    if config.board_id is not None:
        match = [b for b in boards if b.id == config.board_id]
        if match:
            return [Check("board", "ok", f"{match[0].name} (id {match[0].id})")]
        return [
            Check(
                "board",
                "fail",
                f"board {config.board_id} is not a board of project {config.projects.it}",
                f"set board_id to one of: {', '.join(str(b.id) for b in boards) or 'none found'}",
            )
        ]
    scrum = [b for b in boards if b.type == "scrum"]
    if scrum:
        return [
            Check(
                "board",
                "ok",
                f"{scrum[0].name} (id {scrum[0].id}), found from {config.projects.it}",
            )
        ]
    return [
        Check(
            "board",
            "fail",
            f"project {config.projects.it} has no Scrum board, so sprints cannot be read",
            "create a Scrum board for it, or set board_id in bridge.yaml",
        )
    ]
