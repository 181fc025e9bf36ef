"""Check a review policy against a site: names that do not exist, reviews nobody can give.

For ``bridge rules validate --site`` and ``bridge doctor``: every problem names the file and
line (the review, waiver or gate that uses the name) and what to do. Read-only: one
``group_members`` call per group, one ``statuses`` call per project, ``resolve_field`` per field.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..errors import FieldNameError, NotFound
from ..rules_testing import NameProblem, find_line
from .policy import Policy, Where

__all__ = ["site_problems"]


def site_problems(policy: Policy, jira: Any) -> list[NameProblem]:
    problems: list[NameProblem] = []
    members: dict[str, set[str] | None] = {}  # group -> account ids (None: no such group)

    def group(name: str) -> set[str] | None:
        if name not in members:
            try:
                members[name] = {u.account_id for u in jira.group_members(name)}
            except NotFound:
                members[name] = None
        return members[name]

    def problem(kind: str, name: str, message: str, where: Where | None) -> None:
        if where is None:
            path, line = find_line(policy.files, name)
        else:
            path, line = where.path, where.line
        problems.append(NameProblem(kind, name, message, path, line))

    def groups_of(what: str, names: Iterable[str], where: Where, needed: int) -> None:
        people: set[str] = set()
        for name in names:
            found = group(name)
            if found is None:
                problem(
                    "group",
                    name,
                    f"{what} names group {name!r}, which does not exist on the "
                    "site (create it, or name the group whose members do this)",
                    where,
                )
            else:
                people |= found
        if all(group(n) is not None for n in names) and len(people) < needed:
            who = " or ".join(names)
            have = f"only {len(people)} active member(s)" if people else "no active member"
            problem(
                "group",
                who,
                f"{what} can never be satisfied: {who} has {have}, "
                f"{needed} needed (add people to the group)",
                where,
            )

    for review in policy.reviews.values():
        groups_of(f"review {review.name!r}", review.groups, review.where, review.approvals)
    for waiver in policy.waivers.values():
        for name in waiver.groups:  # each group must approve on its own
            groups_of(f"waiver {waiver.name!r}", [name], waiver.where, 1)
    for _, config in policy.gate.configs():
        if config.approvers and config.where is not None:
            groups_of("the gate's approvers", config.approvers, config.where, 1)
    for name in sorted(policy.names().get("groups", set())):
        if group(name) is None:
            problem("group", name, f"group {name!r} does not exist on the site", None)

    _statuses(policy, jira, problem)
    for name in sorted(policy.custom_fields()):
        try:
            jira.resolve_field(name)
        except FieldNameError as exc:
            problem("field", name, str(exc), None)
    return problems


def _statuses(policy: Policy, jira: Any, problem: Any) -> None:
    """Every status the gate names must be a status of the project(s) it applies to."""
    projects = {p.key: p for p in jira.projects()}
    cache: dict[str, set[str]] = {}

    def statuses(keys: Iterable[str]) -> set[str]:
        out: set[str] = set()
        for key in keys:
            if key not in cache:
                cache[key] = {s.name.casefold() for s in jira.statuses(key)}
            out |= cache[key]
        return out

    gated = set(policy.gate.projects)
    for project, config in policy.gate.configs():
        if project is not None and project not in projects:
            problem(
                "project",
                project,
                f"gate.projects names project {project!r}, which does "
                "not exist (or is not visible)",
                config.where,
            )
            continue
        scope = [project] if project is not None else [k for k in projects if k not in gated]
        known = statuses(scope)
        names = [*config.statuses, *(t.to for t in config.transitions)]
        names += [s for t in config.transitions for s in t.sources]
        if config.revert_to:
            names.append(config.revert_to)
        where = f"project {project}" if project else "any project"
        for name in dict.fromkeys(names):
            if name.casefold() not in known:
                problem(
                    "status",
                    name,
                    f"the gate names status {name!r}, which is in no "
                    f"workflow of {where} (check the spelling in the workflow)",
                    config.where,
                )
