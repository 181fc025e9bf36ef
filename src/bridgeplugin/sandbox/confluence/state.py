"""Confluence state: spaces, pages and their versions. Minimal first cut; grows below."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..accounts import Accounts
from ..clock import Clock
from ..seed import Seed

__all__ = ["ConfluenceState", "Content", "Space"]


@dataclass
class Space:
    id: int
    key: str
    name: str


@dataclass
class Content:
    id: str
    type: str
    title: str
    space_key: str
    body: str
    parent_id: str | None
    created: datetime
    created_by: str | None
    version: int = 1
    status: str = "current"
    labels: list[str] = field(default_factory=list)


class ConfluenceState:
    def __init__(self, accounts: Accounts, clock: Clock) -> None:
        self.accounts = accounts
        self.clock = clock
        self.spaces: dict[str, Space] = {}
        self.contents: dict[str, Content] = {}
        self._next_id = 65537

    def new_id(self) -> str:
        self._next_id += 1
        return str(self._next_id)

    @classmethod
    def from_seed(cls, seed: Seed, accounts: Accounts, clock: Clock) -> ConfluenceState:
        st = cls(accounts, clock)
        for i, sp in enumerate(seed.confluence.spaces):
            st.spaces[sp.key] = Space(id=98305 + i, key=sp.key, name=sp.name)
            by_title: dict[str, str] = {}
            for p in sp.pages:
                author = accounts.find(p.author)
                c = Content(
                    id=st.new_id(),
                    type="page",
                    title=p.title,
                    space_key=sp.key,
                    body=p.body,
                    parent_id=by_title.get(p.parent) if p.parent else None,
                    created=clock.now(),
                    created_by=author.account_id if author else None,
                    labels=list(p.labels),
                )
                st.contents[c.id] = c
                by_title[p.title] = c.id
        return st

    def to_json(self) -> dict[str, Any]:
        return {
            "next_id": self._next_id,
            "spaces": [vars(s) for s in self.spaces.values()],
            "contents": [
                {**vars(c), "created": c.created.isoformat()} for c in self.contents.values()
            ],
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any], accounts: Accounts, clock: Clock) -> ConfluenceState:
        st = cls(accounts, clock)
        st._next_id = doc["next_id"]
        for s in doc["spaces"]:
            st.spaces[s["key"]] = Space(**s)
        for c in doc["contents"]:
            st.contents[c["id"]] = Content(**{**c, "created": datetime.fromisoformat(c["created"])})
        return st
