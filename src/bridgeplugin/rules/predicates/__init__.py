"""The predicates, one module per rule-file key (policy-bot's layout).

``PREDICATES`` maps each key to its module's ``parse``. ``field`` is special only in shape: its
mapping carries the operator beside the key (``{field: Cost, gt: 1000}``), so the parser hands
it the whole mapping.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from . import (
    all_,
    any_,
    assignee_in_group,
    category_in,
    component_in,
    creator_in_group,
    field,
    issue_type_in,
    label_in,
    not_,
    project_in,
    ref,
    reporter_in_group,
    request_type_in,
    requested_by_in_group,
    signals,
    status_in,
    tagged,
    text,
    vendor,
)
from .base import Predicate, run

__all__ = ["PREDICATES", "Predicate", "run"]

_MODULES: tuple[ModuleType, ...] = (
    all_,
    any_,
    not_,
    ref,
    project_in,
    issue_type_in,
    status_in,
    component_in,
    label_in,
    request_type_in,
    reporter_in_group,
    creator_in_group,
    assignee_in_group,
    requested_by_in_group,
    field,
    text,
    vendor,
    signals,
    tagged,
    category_in,
)

PREDICATES: dict[str, Callable[..., Any]] = {m.KEY: m.parse for m in _MODULES}
