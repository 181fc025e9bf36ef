"""``GET /check/{key}``: the verdict of ``bridge check KEY``, for Automation conditions.

Same library call as the command (``check.check_issue``), on current Jira state; the rules are
loaded once at start. Jira is called from a thread (the client blocks), with a gateway per
thread because the HTTP session is not meant to be shared; the answer must come within the
Automation web request's timeout, so the app bounds the wait.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from ..check import check_issue
from ..config import Config
from ..governance import categories_of, load_policy
from ..site import Site, open_site
from ..tagging import Tagger

__all__ = ["CheckService"]


class CheckService:
    def __init__(self, config: Config) -> None:
        self._config = config
        self._tagger = Tagger.load(config.rules)
        policy = load_policy(config.rules, categories=categories_of(self._tagger.rules))
        assert policy is not None  # required=True raises instead
        self._policy = policy
        self._local = threading.local()
        self._sites: list[Site] = []
        self._lock = threading.Lock()

    def __call__(self, key: str) -> dict[str, Any]:
        """The verdict JSON of ``bridge check KEY --format json``; raises the gateway's errors."""
        checked = check_issue(
            self._site().jira,
            key,
            tagger=self._tagger,
            policy=self._policy,
            now=datetime.now(UTC),
        )
        return checked.verdict.to_json()

    def close(self) -> None:
        with self._lock:
            for site in self._sites:
                site.close()
            self._sites.clear()

    def _site(self) -> Site:
        site: Site | None = getattr(self._local, "site", None)
        if site is None:
            site = open_site(self._config)
            self._local.site = site
            with self._lock:
                self._sites.append(site)
        return site
