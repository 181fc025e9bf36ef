"""Webhook and Automation bodies -> which issues to re-read (never what the body says of them).

Payloads arrive late, twice and out of order, so the only thing taken from one is *which*
issues changed; their state is read from Jira when the delivery is processed.

* Jira webhooks (``webhookEvent``): issue events and comment events carry ``issue.key``;
  ``jira:issue_deleted`` leaves nothing to re-read; sprint events ask for a sweep of the scope
  (a sprint touches more issues than its payload names).
* Automation "Send web request": the *Jira format* wraps the issue (``{"issue": {"key"...}}``),
  the *Automation format* is the issue itself (``{"key", "fields"...}``); a custom body may
  name ``{"key": "MKT-1"}``, ``{"keys": [...]}`` or ``{"issues": [{"key": ...}]}``
  (``{{lookupIssues}}``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..sync import ISSUE_KEY

__all__ = ["MalformedPayload", "Target", "automation_target", "jira_target", "parse_json"]

# Sprint events change what a board shows for many issues at once: sweep rather than name them.
SWEEP_EVENTS = frozenset({"sprint_created", "sprint_started", "sprint_updated", "sprint_closed"})
NOTHING_TO_READ = frozenset({"jira:issue_deleted"})
MAX_KEYS = 1000  # a lookupIssues body can be long; more than this is not a trigger but a dump


class MalformedPayload(ValueError):
    """A body that is not what the endpoint takes: answered 400 (a redelivery cannot fix it)."""


@dataclass(frozen=True)
class Target:
    event: str
    keys: tuple[str, ...] = ()
    sweep: bool = False


def parse_json(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedPayload(f"the body is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise MalformedPayload("the body must be a JSON object")
    return payload


def jira_target(payload: dict[str, Any]) -> Target:
    event = payload.get("webhookEvent")
    if not isinstance(event, str) or not event:
        raise MalformedPayload("a Jira webhook body has a webhookEvent")
    if event in SWEEP_EVENTS:
        return Target(event, sweep=True)
    if event in NOTHING_TO_READ:
        return Target(event)
    issue = payload.get("issue")
    return Target(event, _keys([issue.get("key")] if isinstance(issue, dict) else []))


def automation_target(payload: dict[str, Any]) -> Target:
    event = payload.get("webhookEvent")
    event = event if isinstance(event, str) and event else "automation"
    found: list[Any] = []
    issue = payload.get("issue")
    if isinstance(issue, dict):  # Jira format
        found.append(issue.get("key"))
    elif isinstance(issue, str):
        found.append(issue)
    if "key" in payload:  # Automation format, or a custom {"key": ...}
        found.append(payload["key"])
    for name in ("keys", "issues"):
        items = payload.get(name)
        if items is None:
            continue
        if not isinstance(items, list):
            raise MalformedPayload(f"{name} must be a list")
        found.extend(i.get("key") if isinstance(i, dict) else i for i in items)
    if not found:
        raise MalformedPayload(
            "no issue in the body: send Issue data (Jira or Automation format), or a custom "
            'body such as {"key": "{{issue.key}}"}'
        )
    return Target(event, _keys(found))


def _keys(found: list[Any]) -> tuple[str, ...]:
    keys: list[str] = []
    for value in found:
        if value is None:
            continue
        key = str(value).strip().upper() if isinstance(value, str) else None
        # Keys go into JQL: anything but a plain issue key is refused, not quoted.
        if key is None or not ISSUE_KEY.fullmatch(key):
            raise MalformedPayload(f"not an issue key: {str(value)[:40]!r}")
        keys.append(key)
    if len(keys) > MAX_KEYS:
        raise MalformedPayload(f"more than {MAX_KEYS} issue keys in one request")
    return tuple(dict.fromkeys(keys))
