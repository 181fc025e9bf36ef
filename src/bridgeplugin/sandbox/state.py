"""The whole sandbox site: accounts, Jira, Confluence and the clock, and their persistence.

Handlers read ``site.jira`` / ``site.confluence`` at call time, so a reset or a new seed swaps
the parts in place without rebuilding the routes.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from .accounts import Accounts
from .clock import Clock
from .confluence.state import ConfluenceState
from .jira.state import JiraState
from .seed import Seed

__all__ = ["SiteState"]

_FORMAT = 1


class SiteState:
    def __init__(self, seed: Seed, clock: Clock | None = None) -> None:
        self.clock = clock or Clock(seed.site.clock)
        self.load(seed)

    def load(self, seed: Seed) -> None:
        """Replace everything with what the seed describes."""
        self.seed = seed
        if seed.site.clock is not None:
            self.clock.set(seed.site.clock)
        self.accounts = Accounts.from_seed(seed)
        self.jira = JiraState.from_seed(seed, self.accounts, self.clock)
        self.confluence = ConfluenceState.from_seed(seed, self.accounts, self.clock)

    def snapshot(self) -> dict[str, Any]:
        return {
            "format": _FORMAT,
            "seed": self.seed.model_dump(mode="json", by_alias=True),
            "clock": self.clock.describe(),
            "accounts": self.accounts.to_json(),
            "jira": self.jira.to_json(),
            "confluence": self.confluence.to_json(),
        }

    @classmethod
    def restore(cls, doc: dict[str, Any]) -> SiteState:
        seed = Seed.model_validate(doc["seed"])
        site = cls.__new__(cls)
        site.clock = Clock(seed.site.clock)
        if doc["clock"].get("frozen"):
            site.clock.set(datetime.fromisoformat(doc["clock"]["now"]))
        site.seed = seed
        site.accounts = Accounts.from_json(doc["accounts"])
        site.jira = JiraState.from_json(doc["jira"], site.accounts, site.clock)
        site.confluence = ConfluenceState.from_json(doc["confluence"], site.accounts, site.clock)
        return site

    def save(self, path: Path) -> None:
        """Write the snapshot atomically: a crash mid-write leaves the previous file intact."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name, dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(self.snapshot(), fh, separators=(",", ":"), default=str)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load_file(cls, path: Path) -> SiteState:
        with path.open(encoding="utf-8") as fh:
            return cls.restore(json.load(fh))
