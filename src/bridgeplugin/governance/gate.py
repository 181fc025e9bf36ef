"""The gate: is the request in a status that counts as approval, and where did it come from.

The status it came from is read from the request's changelog (the latest move into its
current status); the gate's ``revert_to`` is the fallback when the history does not say, or
when it came from another gated status (going back there would still be approved).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ..model import ChangelogEntry, Issue
from ..rules.context import Context
from .history import Person, last_move_into, person
from .policy import Gate, GateConfig
from .verdict import GateVerdict

__all__ = ["gate_state"]


def gate_state(
    gate: Gate,
    request: Issue,
    entries: Sequence[ChangelogEntry],
    *,
    ctx: Context,
    now: datetime,
    assumed_status: str | None = None,
) -> GateVerdict:
    config = gate.for_project(request.project)
    rule = config.describe()
    if assumed_status is not None:
        # Simulation: the request moves from where it is into ``assumed_status`` now.
        status, category = assumed_status, None
        came_from, entered_at, entered_by = request.status, now, None
        resolution = None
    else:
        status, category = request.status, request.status_category
        move = last_move_into(entries, status)
        came_from = move.from_status if move else None
        entered_at = move.at if move else None
        entered_by = move.by if move else None
        resolution = request.resolution

    common = {
        "status": status,
        "project": request.project,
        "rule": rule,
        "came_from": came_from,
        "entered_at": entered_at,
        "entered_by": entered_by,
        "approvers": config.approvers,
        "self_approval": config.self_approval,
        "assumed": assumed_status is not None,
    }
    gated = config.is_gated_status(status, category)
    via = next((t for t in config.transitions if t.matches(came_from, status)), None)
    if not gated and via is None:
        return GateVerdict(
            active=False,
            reason=f"{status or 'the status (not loaded)'} does not count as approval "
            f"(the gate: {rule})",
            **common,  # type: ignore[arg-type]
        )
    if config.exempt(resolution):
        return GateVerdict(
            active=False,
            reason=f"{status} with resolution {resolution} is not an approval",
            **common,  # type: ignore[arg-type]
        )
    how = f"moved {via.describe()}" if via is not None and not gated else f"in {status}"
    revert_to, source = None, None
    if came_from and not config.is_gated_status(came_from, None):
        revert_to, source = came_from, "history"
    elif config.revert_to:
        revert_to, source = config.revert_to, "fallback"
    since = ""
    if entered_at is not None:
        since = f" since {entered_at:%Y-%m-%d %H:%M}" + (f" by {entered_by}" if entered_by else "")
    origin = "its previous status" if source == "history" else "gate.revert_to"
    back = (
        f"; back to {revert_to} ({origin})" if revert_to else "; no status to go back to is known"
    )

    if assumed_status is not None:
        counts, why = True, "assumed: approved by someone who may approve it"
    else:
        counts, why = _approver(config, entered_by, person(request.reporter), ctx)
    return GateVerdict(
        active=True,
        reason=f"{how}{since}, which counts as approval{back}",
        approval_counts=counts,
        approval_reason=why,
        revert_to=revert_to,
        revert_source=source,  # type: ignore[arg-type]
        **common,  # type: ignore[arg-type]
    )


def _approver(
    config: GateConfig, by: Person | None, reporter: Person | None, ctx: Context
) -> tuple[bool, str]:
    """May the person who moved the request into the gated status approve it?"""
    if by is None:
        return False, "its history does not show who moved it there, so the approval is unknown"
    if reporter is not None and by.account_id == reporter.account_id and not config.self_approval:
        return False, f"approved by {by}, the request's reporter (no self-approval)"
    if not config.approvers:
        return True, f"approved by {by}"
    try:
        groups = ctx.groups(by.account_id)
    except Exception as exc:  # an unknown membership proves nothing: the approval does not count
        return False, f"the groups of {by} could not be looked up ({exc})"
    group = next((g for g in config.approvers if g.lower() in groups), None)
    if group is None:
        return False, f"approved by {by}, who is not in {' or '.join(config.approvers)}"
    return True, f"approved by {by} ({group})"
