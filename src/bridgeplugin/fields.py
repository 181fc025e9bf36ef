"""Field-name resolution: the names people write ("Cost") to the ids Jira wants.

Config and rule files name custom fields the way they appear on screen, because ids differ
between sites (``customfield_10010`` on one, ``customfield_10231`` on the next). Jira allows
two custom fields with one name, and a near miss ("Costs") must not silently select nothing, so
resolution is strict: an exact id, or exactly one case-insensitive name match, or an error that
lists the close matches. Pure: the catalog is built from ``GET /field`` by the gateway.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import FieldNameError
from .model import FieldInfo

__all__ = ["FieldCatalog", "field_info_from_json"]


def field_info_from_json(raw: Mapping[str, Any]) -> FieldInfo:
    """One entry of ``GET /rest/api/{2,3}/field`` as a ``FieldInfo``."""
    schema = raw.get("schema") or {}
    return FieldInfo(
        id=str(raw["id"]),
        name=str(raw.get("name") or raw["id"]),
        custom=bool(raw.get("custom", str(raw["id"]).startswith("customfield_"))),
        schema_type=schema.get("type"),
        schema_custom=schema.get("custom"),
    )


class FieldCatalog:
    """The fields of one site, looked up by id or by name."""

    def __init__(self, fields: Iterable[FieldInfo]) -> None:
        self.fields: tuple[FieldInfo, ...] = tuple(fields)
        self._by_id = {f.id: f for f in self.fields}
        self._by_name: dict[str, list[FieldInfo]] = {}
        for f in self.fields:
            self._by_name.setdefault(f.name.casefold(), []).append(f)

    def by_id(self, field_id: str) -> FieldInfo | None:
        """The field with this id, or None (no error: ids come from Jira's own answers)."""
        return self._by_id.get(field_id)

    def resolve(self, name_or_id: str) -> FieldInfo:
        """The one field meant by ``name_or_id``; ``FieldNameError`` when unknown or ambiguous.

        An id wins over a name so that ``customfield_10010`` always works, even on a site where
        some field is literally named like another's id.
        """
        key = name_or_id.strip()
        if key in self._by_id:
            return self._by_id[key]
        matches = self._by_name.get(key.casefold(), [])
        if len(matches) > 1:
            exact = [f for f in matches if f.name == key]
            if len(exact) == 1:
                return exact[0]
            raise FieldNameError(
                name_or_id, candidates=[f"{f.name} ({f.id})" for f in matches], ambiguous=True
            )
        if matches:
            return matches[0]
        if key.startswith("customfield_"):
            raise FieldNameError(name_or_id, candidates=[])
        names = {f.name.casefold(): f.name for f in self.fields}
        close = difflib.get_close_matches(key.casefold(), list(names), n=3, cutoff=0.6)
        raise FieldNameError(name_or_id, candidates=[names[c] for c in close])

    def resolve_many(self, names_or_ids: Iterable[str]) -> list[FieldInfo]:
        """Resolve each name, keeping order and dropping duplicates."""
        out: list[FieldInfo] = []
        seen: set[str] = set()
        for name in names_or_ids:
            info = self.resolve(name)
            if info.id not in seen:
                seen.add(info.id)
                out.append(info)
        return out

    def __len__(self) -> int:
        return len(self.fields)
