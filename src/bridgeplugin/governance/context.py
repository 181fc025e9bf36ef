"""The evaluation context of review rules: a rule-engine ``Context`` plus the tagging verdict.

``tagged`` and ``category_in`` read ``ctx.tagging``; everything else (fields by name, groups,
the vendor catalog, caches) is the engine's own ``Context``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..rules.context import Context
from ..tagging import TagVerdict

__all__ = ["ReviewContext"]


@dataclass(slots=True, eq=False)
class ReviewContext(Context):
    tagging: TagVerdict | None = None
