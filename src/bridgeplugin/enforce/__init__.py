"""Enforcement of the review rules in ``bridge sync``: review sub-tasks, reverts, lapses.

``governance`` decides (pure); this package reads what it needs in bulk (``load``), plans the
writes (``plan``, compare before write), and adds them to sync's plan as action kinds of its
own (``actions``, registered with ``apply``). ``step`` has the order and the crash and loop
reasoning; ``markers`` how comments stay single; ``render`` the texts from ``templates/``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from .render import GovernanceRenderer
from .step import Governance, GovernanceResult

if TYPE_CHECKING:
    from ..config import Config
    from ..tagging import Tagger

__all__ = ["Governance", "GovernanceRenderer", "GovernanceResult", "governance_from_config"]


def governance_from_config(
    config: Config, tagger: Tagger, *, now: Callable[[], datetime] | None = None
) -> Governance | None:
    """The sync step for the configured rules directory; None when enforcement is off
    (``governance.enforce``) or the directory has no review rules."""
    from ..governance import categories_of, load_policy

    settings = config.governance
    if not settings.enforce:
        return None

    policy = load_policy(config.rules, categories=categories_of(tagger.rules), required=False)
    if policy is None:
        return None
    renderer = GovernanceRenderer(str(config.jira_url), config.templates)
    governance = Governance(
        policy,
        renderer,
        label=settings.violation_label,
        max_reverts=settings.max_reverts,
        tagger=tagger,
    )
    if now is not None:
        governance.now = now
    return governance
