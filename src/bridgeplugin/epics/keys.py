"""The deterministic key of an initiative, and the labels that carry it on Jira issues.

The key is the initiative's name normalised (case, accents, punctuation and spacing folded into
``a-z0-9-``) so "Customer Data Platform " and "customer-data platform" are one initiative. A long
name is cut and suffixed with a hash of the whole normalised name: the label stays within
Jira's 255 characters and readable, and two long names sharing a prefix stay distinct.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

__all__ = [
    "CHECKLIST_LABEL",
    "EPIC_LABEL",
    "INITIATIVE_PREFIX",
    "MAX_KEY",
    "checklist_label",
    "initiative_key",
    "initiative_label",
    "key_of_label",
]

EPIC_LABEL = "bridge-epic"  # every epic the plugin made: one search finds them all
INITIATIVE_PREFIX = "bridge-initiative-"
CHECKLIST_LABEL = "bridge-checklist"
MAX_KEY = 40  # keeps labels short enough to read on a board card
_HASH = 10


def initiative_key(name: str) -> str:
    """``"Autumn campaign 2026"`` -> ``"autumn-campaign-2026"``; hashed when longer than 40."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    key = re.sub(r"[^a-z0-9]+", "-", folded.casefold()).strip("-")
    if not key:
        # A name of only symbols or non-Latin script: the hash alone still tells them apart.
        return "i-" + _digest(name.strip().casefold())
    if len(key) <= MAX_KEY:
        return key
    head = key[: MAX_KEY - _HASH - 1].rstrip("-")
    return f"{head}-{_digest(key)}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:_HASH]


def initiative_label(key: str) -> str:
    return INITIATIVE_PREFIX + key


def key_of_label(labels: tuple[str, ...] | list[str]) -> str | None:
    """The initiative key an epic's labels carry (the first, if a person added more)."""
    for label in labels:
        if label.startswith(INITIATIVE_PREFIX) and len(label) > len(INITIATIVE_PREFIX):
            return label[len(INITIATIVE_PREFIX) :]
    return None


def checklist_label(item: str) -> str:
    """The label of one checklist story: how a crashed run's stories are found again."""
    return f"{CHECKLIST_LABEL}-{item}"
