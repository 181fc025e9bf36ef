"""The evaluation context: one issue plus everything a predicate may consult, and its caches.

A ``Context`` is built per issue (cheap: a few attributes) and passed to every predicate. It is
where per-issue work is done once and shared: the tokenised text of each field, the vendor
matches in it, the groups of each user, a signal set's score. Nothing here does I/O; the
:class:`Directory` is whatever the caller hands in (an in-memory map built from Jira, or a
fake in tests).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ..model import Issue
from .text import TextView

if TYPE_CHECKING:
    from .vendors import VendorCatalog, VendorMatch

__all__ = [
    "BUILTIN_TEXT_FIELDS",
    "Context",
    "Directory",
    "FieldNames",
    "MissingField",
    "StaticDirectory",
]

# Text fields that are attributes of Issue; any other name in ``in:`` is a custom field.
BUILTIN_TEXT_FIELDS = ("summary", "description")


@runtime_checkable
class Directory(Protocol):
    """Who is in which group. Only the one call evaluation makes."""

    def groups_of(self, account_id: str) -> frozenset[str]: ...


class StaticDirectory:
    """A ``Directory`` from a mapping account id -> group names (tests, ``bridge rules test``)."""

    def __init__(self, groups: Mapping[str, Iterable[str]] | None = None) -> None:
        self._groups = {a: frozenset(g) for a, g in (groups or {}).items()}
        # What Context.groups wants, made once per directory (a sync builds one per run and
        # asks it about the same people issue after issue)
        self._lower = {a: frozenset(map(str.lower, g)) for a, g in self._groups.items()}

    def groups_of(self, account_id: str) -> frozenset[str]:
        return self._groups.get(account_id, frozenset())


_NO_GROUPS: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class FieldNames:
    """Names of the custom fields some predicates read (set from config)."""

    requested_by: str = "Requested by"  # user picker: who asked for it (service desk, forms)
    request_type: str = "Request Type"  # Jira Service Management's request type field


class MissingField(LookupError):
    """A field a predicate needs is not on the issue: not loaded, or no such field.

    Raised inside predicates and turned into an ``error`` result node by the evaluator.
    """

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name

    @property
    def reason(self) -> str:
        return f"field {self.name!r} is not on the issue (not loaded, or no such field)"


@dataclass(slots=True, eq=False)
class Context:
    """Inputs of one issue's evaluation, and caches shared by its predicates.

    ``vendors`` is the vendor catalog (``RuleSet.vendors`` when the rules were loaded with one;
    ``RuleSet.context()`` fills it in). Custom fields are read from ``issue.custom`` by *name*:
    a name that is absent there means "not loaded" (an ``error`` outcome), a value of ``None``
    means "empty".
    """

    issue: Issue
    directory: Directory
    vendors: VendorCatalog | None = None
    fields: FieldNames = field(default_factory=FieldNames)
    _views: dict[str, TextView] = field(default_factory=dict, init=False, repr=False)
    _groups: dict[str, frozenset[str]] = field(default_factory=dict, init=False, repr=False)
    _vendor_hits: dict[str, tuple[VendorMatch, ...]] = field(
        default_factory=dict, init=False, repr=False
    )
    memo: dict[object, Any] = field(default_factory=dict, init=False, repr=False)

    def custom(self, name: str) -> Any:
        """The value of custom field ``name``; raises :class:`MissingField` if not loaded."""
        try:
            return self.issue.custom[name]
        except KeyError:
            raise MissingField(name) from None

    def text(self, name: str) -> TextView:
        """The tokenised text of a field (built once per issue); raises ``MissingField``."""
        view = self._views.get(name)
        if view is None:
            if name == "summary":
                raw = self.issue.summary or ""
            elif name == "description":
                raw = self.issue.description or ""
            else:
                raw = _as_text(self.custom(name))
            view = self._views[name] = TextView(raw)
        return view

    def text_or_none(self, name: str) -> TextView | None:
        """Like ``text``, but ``None`` for a custom field that is not on the issue."""
        view = self._views.get(name)
        if view is None:  # text() inlined: the scan of every issue comes here first
            if name == "summary":
                raw = self.issue.summary or ""
            elif name == "description":
                raw = self.issue.description or ""
            else:
                try:
                    value = self.issue.custom[name]
                except KeyError:  # not loaded: what text() raises MissingField for
                    return None
                raw = _as_text(value)
            view = self._views[name] = TextView(raw)
        return view

    def forget_texts(self) -> None:
        """Drop the tokenised texts (they are rebuilt when asked for again): a caller that
        keeps the context for later explanations need not keep their memory."""
        self._views.clear()

    def groups(self, account_id: str) -> frozenset[str]:
        """Lower-cased group names of a user, looked up once per issue."""
        groups = self._groups.get(account_id)
        if groups is None:
            directory = self.directory
            if type(directory) is StaticDirectory:  # (not a subclass: it may answer otherwise)
                groups = directory._lower.get(account_id, _NO_GROUPS)
            else:
                groups = frozenset(map(str.lower, directory.groups_of(account_id)))
            self._groups[account_id] = groups
        return groups

    def mentioned_vendors(self, name: str) -> tuple[VendorMatch, ...] | None:
        """``vendor_matches``, but ``None`` for a field that is not on the issue."""
        view = self.text_or_none(name)
        if view is None:
            return None
        hits = self._vendor_hits.get(name)
        if hits is None:
            hits = () if self.vendors is None else self.vendors.find(view)
            self._vendor_hits[name] = hits
        return hits

    def vendor_matches(self, name: str) -> tuple[VendorMatch, ...]:
        """Catalog vendors mentioned in a field (empty without a catalog or a missing field)."""
        hits = self._vendor_hits.get(name)
        if hits is None:
            view = self.text_or_none(name)
            hits = () if view is None or self.vendors is None else self.vendors.find(view)
            self._vendor_hits[name] = hits
        return hits


def _as_text(value: Any) -> str:
    """A custom field value as text: lists joined, option objects by their value/name."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        for key in ("value", "name", "displayName"):
            if isinstance(value.get(key), str):
                return value[key]
        return ""
    if isinstance(value, list | tuple):
        return " ; ".join(_as_text(v) for v in value)
    return str(value)
