"""``--assume``: what would the verdict be if ... (policy-bot's simulate), without touching Jira.

Items, each ``NAME=VALUE``:

- ``security=approved`` (or ``given``, ``rejected``, ``pending``, ``lapsed``): the review has
  that state, whatever its sub-tasks say;
- ``waiver.emergency=active`` (or ``expired``): the waiver is active, or not;
- ``status=Approved``: the request moves into that status now (test the gate).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..errors import InputError
from ..rules.source import suggest
from .policy import Policy

__all__ = ["REVIEW_VALUES", "Assumptions", "parse_assumptions"]

REVIEW_VALUES = {
    "approved": "given",
    "given": "given",
    "rejected": "rejected",
    "pending": "pending",
    "lapsed": "lapsed",
}
WAIVER_VALUES = {"active": True, "expired": False, "none": False}


@dataclass(frozen=True)
class Assumptions:
    reviews: Mapping[str, str] = field(default_factory=dict)  # review -> state
    waivers: Mapping[str, bool] = field(default_factory=dict)  # waiver -> active?
    status: str | None = None
    items: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.items)


def parse_assumptions(items: Iterable[str], policy: Policy) -> Assumptions:
    """Parse ``--assume`` items against the policy; a bad item is an InputError (exit 2)."""
    reviews: dict[str, str] = {}
    waivers: dict[str, bool] = {}
    status: str | None = None
    given = tuple(items)
    example = (
        "e.g. --assume security=approved, --assume waiver.emergency=active, "
        "--assume status=Approved"
    )
    for item in given:
        name, sep, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value:
            raise InputError(f"--assume {item!r}: expected NAME=VALUE", hint=example)
        if name.lower() == "status":
            status = value
            continue
        if name.lower().startswith(("waiver.", "waiver:")):
            waiver = name[7:]
            if waiver not in policy.waivers:
                raise InputError(
                    f"--assume {item!r}: unknown waiver {waiver!r}",
                    hint=_valid(waiver, list(policy.waivers), "waivers"),
                )
            if value.lower() not in WAIVER_VALUES:
                raise InputError(
                    f"--assume {item!r}: a waiver is assumed active or expired, not {value!r}"
                )
            waivers[waiver] = WAIVER_VALUES[value.lower()]
            continue
        if name not in policy.reviews:
            raise InputError(
                f"--assume {item!r}: unknown review {name!r}",
                hint=_valid(name, list(policy.reviews), "reviews") + f"; {example}",
            )
        state = REVIEW_VALUES.get(value.lower())
        if state is None:
            raise InputError(
                f"--assume {item!r}: unknown state {value!r}",
                hint="one of " + ", ".join(REVIEW_VALUES),
            )
        reviews[name] = state
    return Assumptions(reviews, waivers, status, given)


def _valid(name: str, known: list[str], noun: str) -> str:
    close = suggest(name, known)
    listed = ", ".join(sorted(known)) or "none"
    return (f"did you mean {close!r}? " if close else "") + f"{noun}: {listed}"
