"""Texts governance writes: review sub-task descriptions and the three request comments,
from ``templates/`` (a site's templates directory first, the shipped one otherwise)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..governance import Missing, ReviewVerdict
from ..governance.history import Change
from ..render import Renderer
from .markers import marker_line

__all__ = ["GovernanceRenderer", "change_text"]

SUBTASK_TEMPLATE = "review_subtask.txt.j2"
REVERT_TEMPLATE = "revert_comment.txt.j2"
LAPSED_TEMPLATE = "review_lapsed_comment.txt.j2"
REJECTED_TEMPLATE = "review_rejected_comment.txt.j2"


def change_text(change: Change) -> str:
    """ "Vendor changed: Meta -> TikTok (2026-11-09 09:00 by Mateo)"; long texts shortened."""
    by = f" by {change.by.name}" if change.by else ""
    values = ""
    if change.before is not None or change.after is not None:
        values = f": {_short(change.before)} -> {_short(change.after)}"
    return f"{change.why}{values} ({change.at:%Y-%m-%d %H:%M}{by})"


def _short(text: str | None, limit: int = 80) -> str:
    if not text:
        return "(empty)"
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class GovernanceRenderer(Renderer):
    """``Renderer`` with governance's templates; ``site_url`` makes the links."""

    def __init__(self, site_url: str, templates_dir: Any = None) -> None:
        super().__init__(templates_dir)
        self.site_url = site_url.rstrip("/")

    def url(self, key: str) -> str:
        return f"{self.site_url}/browse/{key}"

    def subtask_description(
        self,
        *,
        key: str,
        request_summary: str,
        review: str,
        title: str,
        description: str | None,
        who: str,
        groups: Sequence[str],
        approve: Sequence[str],
        reject: Sequence[str],
    ) -> str:
        return self._render(
            SUBTASK_TEMPLATE,
            key=key,
            request_summary=request_summary,
            review=review,
            title=title,
            description=description or "",
            who=who,
            groups=list(groups),
            url=self.url(key),
            approve=list(approve),
            reject=list(reject),
        )

    def _missing(self, missing: Sequence[Missing], keys: Mapping[str, str]) -> list[dict[str, Any]]:
        out = []
        for m in missing:
            sub_task = m.sub_task or keys.get(m.name)
            out.append(
                {
                    "title": m.title,
                    "state": m.state,
                    "reason": m.reason,
                    "who": m.who,
                    "sub_task": sub_task,
                    "url": self.url(sub_task) if sub_task else "",
                }
            )
        return out

    def revert_comment(
        self,
        *,
        key: str,
        ref: str,
        status: str,
        revert_to: str | None,
        reason_not_reverted: str | None,
        label: str,
        missing: Sequence[Missing],
        keys: Mapping[str, str],
        entered_by: str | None,
        waivers: Sequence[str],
    ) -> str:
        reverted = reason_not_reverted is None
        body = self._render(
            REVERT_TEMPLATE,
            key=key,
            status=status,
            reverted=reverted,
            revert_to=revert_to,
            reason_not_reverted=reason_not_reverted,
            label=label,
            missing=self._missing(missing, keys),
            entered_by=entered_by,
            waivers=list(waivers),
        )
        return f"{marker_line('violation' if reverted else 'blocked', ref)}\n\n{body}"

    def lapsed_comment(
        self, *, key: str, ref: str, lapsed: Sequence[tuple[ReviewVerdict, bool, str | None]]
    ) -> str:
        """``lapsed``: (review, reopened, the fresh sub-task created instead, if any)."""
        items = [
            {
                "title": r.title,
                "sub_task": r.sub_task,
                "url": self.url(r.sub_task or key),
                "reopened": reopened,
                "fresh": fresh,
                "fresh_url": self.url(fresh) if fresh else "",
                "changes": [change_text(c) for c in r.changes],
            }
            for r, reopened, fresh in lapsed
        ]
        body = self._render(LAPSED_TEMPLATE, key=key, lapsed=items)
        return f"{marker_line('lapsed', ref)}\n\n{body}"

    def rejected_comment(self, *, key: str, ref: str, rejected: Sequence[Missing]) -> str:
        body = self._render(REJECTED_TEMPLATE, key=key, rejected=self._missing(rejected, {}))
        return f"{marker_line('rejected', ref)}\n\n{body}"
