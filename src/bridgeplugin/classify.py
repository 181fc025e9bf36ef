"""``bridge classify``: Jira issue JSON in, one tagging verdict per issue out. Never writes.

Input is what Jira's REST API answers, saved to a file or piped in:

- one issue (``GET /rest/api/{2,3}/issue/KEY``),
- a list of issues,
- a search page (``{"issues": [...], ...}``, from ``/search`` or ``/search/jql``).

Descriptions may be v2 plain text or v3 ADF. Custom fields arrive by id (``customfield_10010``);
they are named from a ``names`` map in the JSON (what ``expand=names`` adds, at the top of a
search page or inside an issue), else from the site's field list when the caller hands one in,
else they keep their id (and a rule naming the field by name will not find them).

Jira JSON is turned into :class:`~bridgeplugin.model.Issue` by the same field parsers the
gateway uses, so a verdict from ``classify`` and one from ``sync`` can never differ because
the JSON was read differently.

Group membership comes from a :class:`FileDirectory` (``--directory FILE``: YAML mapping a
group to account ids or e-mail addresses) or from the site (:func:`site_directory`: one
``group_members`` call per group the rules name).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import InputError, NotFound
from .jira_gateway import _ISSUE_FIELD_PARSERS, _simplify, _simplify_system
from .model import Issue, User

__all__ = [
    "FileDirectory",
    "IssueBatch",
    "complete_fields",
    "issue_from_json",
    "load_directory",
    "parse_issue_json",
    "site_directory",
]


@dataclass
class IssueBatch:
    """Raw issues read from one input, and the field names it carried (``expand=names``)."""

    issues: list[dict[str, Any]]
    names: dict[str, str] = field(default_factory=dict)


def parse_issue_json(text: str, source: str = "<stdin>") -> IssueBatch:
    """Split Jira JSON into raw issues; malformed input is an InputError naming the position."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{source}:{exc.lineno}:{exc.colno}: malformed JSON: {exc.msg}",
            hint='give one issue, a list of issues, or a search page {"issues": [...]}',
        ) from None
    names: dict[str, str] = {}
    if isinstance(data, Mapping) and isinstance(data.get("issues"), list):
        names.update(_names(data.get("names"), source))
        raw = data["issues"]
    elif isinstance(data, list):
        raw = data
    elif isinstance(data, Mapping):
        raw = [data]
    else:
        raise InputError(
            f"{source}: expected an issue, a list of issues or a search page, "
            f"got {type(data).__name__}",
        )
    issues: list[dict[str, Any]] = []
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping) or not item.get("key"):
            raise InputError(
                f"{source}: issue #{i + 1} is not a Jira issue (an object with a key)",
                hint='each issue needs at least {"key": ..., "fields": {...}}',
            )
        if not isinstance(item.get("fields", {}), Mapping):
            raise InputError(f"{source}: issue {item['key']}: fields is not an object")
        names.update(_names(item.get("names"), source))
        issues.append(dict(item))
    return IssueBatch(issues, names)


def _names(raw: Any, source: str) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise InputError(f"{source}: names must map field ids to names (what expand=names gives)")
    return {str(k): str(v) for k, v in raw.items()}


def issue_from_json(raw: Mapping[str, Any], names: Mapping[str, str] | None = None) -> Issue:
    """One Jira issue object as an ``Issue``; custom fields keyed by name where one is known."""
    fields = raw.get("fields") or {}
    kw: dict[str, Any] = {"id": str(raw.get("id") or raw.get("key")), "key": str(raw["key"])}
    custom: dict[str, Any] = {}
    known = names or {}
    for fid, value in fields.items():
        parse = _ISSUE_FIELD_PARSERS.get(fid)
        if parse is not None:
            kw.update(parse(value))
        elif fid.startswith("customfield_"):
            custom[known.get(fid, fid)] = _simplify(value)
        else:  # other system fields (priority, duedate, ...) keep their id
            custom[fid] = _simplify_system(value)
    kw["custom"] = custom
    kw["properties"] = dict(raw.get("properties") or {})
    return Issue(**kw)


def complete_fields(issue: Issue, wanted: Iterable[str]) -> Issue:
    """``issue`` with every field in ``wanted`` present: absent ones as empty (``None``).

    The JSON is all ``classify`` knows of an issue, so a field the rules read that it does not
    carry is empty rather than "not loaded" (which would leave the verdict undecided).
    """
    missing = [name for name in wanted if name not in issue.custom]
    if not missing:
        return issue
    return issue.model_copy(update={"custom": {**issue.custom, **dict.fromkeys(missing)}})


def users_of(issue: Issue) -> Iterator[User]:
    """The people of an issue whose groups rules may ask about."""
    for user in (issue.reporter, issue.creator, issue.assignee):
        if user is not None:
            yield user
    for value in issue.custom.values():
        for item in value if isinstance(value, list | tuple) else [value]:
            if isinstance(item, User):
                yield item


# -- directories --------------------------------------------------------------------------------


class FileDirectory:
    """Group membership from a mapping group -> members (account ids or e-mail addresses).

    E-mail addresses are matched through the users seen in the input (Jira user objects carry
    ``emailAddress`` when the site shows it): call :meth:`learn` with them first.
    """

    def __init__(self, groups: Mapping[str, Iterable[str]]) -> None:
        self._by_member: dict[str, set[str]] = {}
        for group, members in groups.items():
            for member in members:
                self._by_member.setdefault(member.casefold(), set()).add(group)
        self._emails: dict[str, str] = {}

    def learn(self, users: Iterable[User]) -> None:
        """Remember which account has which e-mail address."""
        for user in users:
            if user.email:
                self._emails[user.account_id] = user.email

    def groups_of(self, account_id: str) -> frozenset[str]:
        found = set(self._by_member.get(account_id.casefold(), ()))
        email = self._emails.get(account_id)
        if email:
            found |= self._by_member.get(email.casefold(), set())
        return frozenset(found)


def load_directory(path: str | Path) -> FileDirectory:
    """Read a ``--directory`` file: YAML (or JSON) mapping each group to a list of members."""
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{p}: cannot read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{p}:{mark.line + 1}" if mark is not None else str(p)
        raise InputError(f"{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    example = "write it as  marketing: [5b10a..., dana@example.com]"
    if not isinstance(data, Mapping):
        raise InputError(f"{p}: a directory file maps group names to member lists", hint=example)
    groups: dict[str, list[str]] = {}
    for group, members in data.items():
        if members is None:
            members = []
        if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
            raise InputError(
                f"{p}: group {group!r} must list account ids or e-mail addresses", hint=example
            )
        groups[str(group)] = members
    return FileDirectory(groups)


@dataclass
class SiteGroups:
    """What ``site_directory`` learnt: the directory, and the groups the site does not have."""

    directory: FileDirectory
    missing: list[str] = field(default_factory=list)


def site_directory(jira: Any, groups: Iterable[str]) -> SiteGroups:
    """Members of each group the rules name, one ``group_members`` call per existing group.

    A group the site does not have has no members (and is reported in ``missing``): rules may
    name groups of a bigger organisation than this site's. One bulk call finds which exist.
    """
    members: dict[str, list[str]] = {}
    wanted = sorted(set(groups))
    existing = jira.existing_groups(wanted) if wanted else set()
    missing: list[str] = [g for g in wanted if g not in existing]
    for group in (g for g in wanted if g in existing):
        try:
            users = jira.group_members(group)
        except NotFound:  # deleted between the two calls
            missing.append(group)
            continue
        members[group] = [u.account_id for u in users]
    return SiteGroups(FileDirectory(members), missing)


class UserGroupsDirectory:
    """Groups of each person looked up on the site when first asked (``user_groups``), cached.

    For one issue (``bridge rules explain``) asking about its two or three people is cheaper
    than listing every group the rules name.
    """

    def __init__(self, jira: Any) -> None:
        self._jira = jira
        self._cache: dict[str, frozenset[str]] = {}

    def groups_of(self, account_id: str) -> frozenset[str]:
        groups = self._cache.get(account_id)
        if groups is None:
            groups = self._cache[account_id] = frozenset(self._jira.user_groups(account_id))
        return groups


@dataclass
class FetchedIssue:
    """An issue read for the rules, and the fields the rules name that the site lacks."""

    issue: Issue
    absent_fields: list[str] = field(default_factory=list)


def fetch_for_rules(
    jira: Any, key: str, system_fields: Iterable[str], custom: Iterable[str]
) -> FetchedIssue:
    """Read one issue with every field the rules read.

    A custom field the site does not have cannot be asked for; it is read as empty and named
    in ``absent_fields`` (``bridge rules validate --site`` reports it as a problem).
    """
    from .errors import FieldNameError

    present: list[str] = []
    absent: list[str] = []
    for name in sorted(custom):
        try:
            jira.resolve_field(name)
        except FieldNameError:
            absent.append(name)
            continue
        present.append(name)
    issue = jira.get_issue(key, [*system_fields, *present])
    return FetchedIssue(complete_fields(issue, [*present, *absent]), absent)
