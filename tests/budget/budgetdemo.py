"""The demo seed's issues, sprints and groups as the budget core's input (no sandbox needed).

The seed (src/bridgeplugin/sandbox/seeds/demo.yaml) is read as YAML and turned into the
models the gateways produce: custom fields by name, changelog status changes, worklogs whose
author's account id is the e-mail (the groups map uses the same key).
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bridgeplugin.budget import IssueFacts
from bridgeplugin.model import ChangeItem, ChangelogEntry, Issue, Sprint, User, Worklog

SEED = Path(__file__).resolve().parents[2] / "src/bridgeplugin/sandbox/seeds/demo.yaml"
CLOCK = datetime.fromisoformat("2026-11-24T09:00:00+00:00")  # the seed's site.clock


@cache
def seed() -> dict[str, Any]:
    return yaml.safe_load(SEED.read_text(encoding="utf-8"))


def _t(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def groups() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for g in seed()["groups"]:
        for member in g["members"]:
            out.setdefault(member, []).append(g["name"])
    return out


def sprints() -> list[Sprint]:
    return [
        Sprint(
            id=s["id"],
            name=s["name"],
            state=s["state"],
            start_date=_t(s["start"]),
            end_date=_t(s["end"]),
            complete_date=_t(s["complete"]) if s.get("complete") else None,
            board_id=s["board"],
        )
        for s in seed()["sprints"]
    ]


def issues() -> list[IssueFacts]:
    out = []
    for i in seed()["issues"]:
        issue = Issue(
            id=i["key"],
            key=i["key"],
            project=i["project"],
            issue_type=i.get("type"),
            status=i.get("status"),
            resolution=i.get("resolution"),
            parent=i.get("parent"),
            labels=tuple(i.get("labels", ())),
            created=_t(i["created"]) if i.get("created") else None,
            custom=dict(i.get("fields", {})),
        )
        changelog = tuple(
            ChangelogEntry(
                id=f"{i['key']}-{n}",
                created=_t(c["created"]),
                items=tuple(
                    ChangeItem(
                        field=it["field"], from_string=it.get("from"), to_string=it.get("to")
                    )
                    for it in c["items"]
                ),
            )
            for n, c in enumerate(i.get("changelog", ()))
        )
        worklogs = tuple(
            Worklog(
                id=f"{i['key']}-w{n}",
                author=User(account_id=w["author"], display_name=w["author"].split("@")[0]),
                started=_t(w["started"]),
                time_spent_seconds=w["seconds"],
            )
            for n, w in enumerate(i.get("worklogs", ()))
        )
        out.append(IssueFacts(issue, changelog, worklogs))
    return out
