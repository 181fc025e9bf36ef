"""The worker's processor: the ``bridge sync`` pipeline, narrowed to the deliveries' issues.

The tagging rules are loaded once (a load takes about half a second); restart ``bridge serve``
after changing them. The gateways are opened on first use and kept, and reopened after a run
that failed as a whole, in case the connection is what broke.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from ..config import Config
from ..enforce import Governance, governance_from_config
from ..epics.step import step_from_config
from ..logs import redact
from ..render import Renderer
from ..site import Site, open_site
from ..state import Store
from ..sync import SyncOptions, SyncReport, run_sync
from ..tagging import Tagger
from .worker import Outcome, dead_here

__all__ = ["SyncProcessor"]

log = logging.getLogger(__name__)


class SyncProcessor:
    def __init__(
        self,
        config: Config,
        store: Store,
        *,
        tagger: Tagger | None = None,
        governance: Governance | None = None,
    ) -> None:
        """``tagger`` / ``governance``: rules a caller has already loaded from ``config``
        (the fault-matrix rigs start hundreds of receivers); by default loaded here."""
        self._config = config
        self._store = store
        self._tagger = tagger or Tagger.load(config.rules)
        self._renderer = Renderer(config.templates)
        # The same steps bridge sync runs (epics, governance when enabled), built once.
        self._epics = step_from_config(config)
        self._governance = governance or governance_from_config(config, self._tagger)
        self._site: Site | None = None

    def sync_keys(self, keys: Sequence[str]) -> Outcome:
        return self._run(SyncOptions(keys=tuple(keys)))

    def sweep(self) -> Outcome:
        overlap = timedelta(minutes=self._config.sync.overlap_minutes)
        return self._run(SyncOptions(overlap=overlap))

    def close(self) -> None:
        if self._site is not None:
            self._site.close()
            self._site = None

    def _run(self, options: SyncOptions) -> Outcome:
        report = self._sync(options)
        if report.lease_holder is not None and dead_here(report.lease_holder.holder):
            # A sync killed on this host (kill -9, OOM) left its lease behind; it cannot write
            # any more, so waiting out the lease's time to live would only delay the inbox.
            log.warning(
                "taking over the sync lease of %s, which is gone", report.lease_holder.holder
            )
            self._store.release_lease(report.lease_holder)
            report = self._sync(options)
        return self._outcome(report)

    def _sync(self, options: SyncOptions) -> SyncReport:
        config = self._config
        if self._site is None:
            self._site = open_site(config)
        return run_sync(
            self._site.jira,
            self._tagger,
            store=self._store,
            site_url=str(config.jira_url),
            projects=tuple(dict.fromkeys((config.projects.marketing, config.projects.it))),
            label=config.tagging.label,
            renderer=self._renderer,
            options=options,
            lease_seconds=config.sync.lease_seconds,
            epics=self._epics,
            governance=self._governance,
        )

    def _outcome(self, report: SyncReport) -> Outcome:
        if report.lease_holder is not None:
            return Outcome(deferred=report.lease_message())
        if report.error is not None:
            self.close()
            return Outcome(error=redact(report.error.message))
        failed = {o.action.key: redact(str(o.result)) for o in report.failures}
        return Outcome(failed=failed)
