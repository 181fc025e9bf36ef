"""Marker lines of governance comments, and the references that make them idempotent.

The first line of every governance comment is owned by the code, not the template (as for
tagging, ``render.py``): ``bridgeplugin: <what> (ref <10 hex>)``. The ref is a digest of the
situation the comment explains, e.g. "the approval of MKT-5 at 2026-11-20T14:02 without
integration, security". The same situation gives the same ref, so a comment already posted
(recorded in the ``governance`` section of the ``bridge`` property, or found by its marker
after a crash) is never posted again, and a new situation (approved again later, another
rejection) gets its own comment.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from ..model import Comment

__all__ = ["NOTICES", "find_ref", "marker_line", "ref_of"]

NOTICES = {
    "violation": "bridgeplugin: approval reverted, reviews missing",
    "blocked": "bridgeplugin: approved without the reviews it needs (bridge-violation)",
    "lapsed": "bridgeplugin: review lapsed after a change of scope",
    "rejected": "bridgeplugin: a required review was rejected",
}


def ref_of(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:10]


def marker_line(notice: str, ref: str) -> str:
    return f"{NOTICES[notice]} (ref {ref})"


def find_ref(comments: Iterable[Comment], ref: str) -> bool:
    """Whether a plugin comment with this ref is on the issue (a crash before the record)."""
    tail = f"(ref {ref})"
    return any(c.body.split("\n", 1)[0].endswith(tail) for c in comments)
