"""Shared parsing of ``all``/``any``: a non-empty list of predicates."""

from __future__ import annotations

from typing import Any

from .base import Predicate


def parse_items(key: str, value: Any, at: Any, parser: Any) -> list[Predicate]:
    if not isinstance(value, list) or not value:
        raise parser.error(
            at,
            f"{key} takes a non-empty list of predicates, got {value!r}",
            hint=f"write {key}: [{{project_in: [MKT]}}, {{label_in: [tracking]}}]",
        )
    return [parser.predicate(item, (*at, i)) for i, item in enumerate(value)]
