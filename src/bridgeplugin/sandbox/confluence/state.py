"""Confluence state: spaces, content (pages and attachments) with every version, and labels.

Data and Confluence's rules only (unique titles per space, ``version = current + 1``, a parent in
the same space, storage format that parses); no HTTP paths and no JSON shapes, which live in
``routes.py`` and ``shapes.py`` (moto's split). Rule violations raise ``HttpError`` carrying
Confluence's own status and message, so both API versions answer them alike.
"""

from __future__ import annotations

import base64
import html.entities
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ...errors import InputError
from ..accounts import Accounts
from ..clock import Clock
from ..routing import HttpError
from ..seed import Seed

__all__ = [
    "ConfluenceState",
    "Content",
    "Label",
    "Space",
    "Version",
    "validate_storage",
]

# Confluence Cloud ids are large numbers; starting well above 0 keeps them from looking like
# list indexes in test output, and attachments carry Confluence's "att" prefix.
_FIRST_CONTENT_ID = 65537
_FIRST_SPACE_ID = 98305
_LABEL_NAME = re.compile(r"^[^\s:;,.?&\[\]()#^*@!<>]+$")


@dataclass
class Space:
    id: int
    key: str
    name: str
    created: datetime
    created_by: str | None = None
    type: str = "global"
    status: str = "current"


@dataclass
class Version:
    """One version of a page or an attachment; a page version keeps its title and body so
    ``GET content/{id}?version=n`` and the history can answer for old versions."""

    number: int
    when: datetime
    by: str | None  # account id
    message: str = ""
    minor_edit: bool = False
    title: str = ""
    body: str = ""  # page: storage format
    data: bytes | None = None  # attachment: the file
    media_type: str | None = None
    comment: str | None = None


@dataclass(frozen=True)
class Label:
    prefix: str
    name: str


@dataclass
class Content:
    id: str
    type: str  # "page" | "attachment"
    space_key: str
    # page: the parent page (None at the space root); attachment: the page it is attached to
    parent_id: str | None
    created: datetime
    created_by: str | None
    versions: list[Version]
    status: str = "current"  # current | trashed | deleted (purged: kept only as a tombstone)
    labels: list[Label] = field(default_factory=list)
    position: int = 0  # order among siblings; creation order

    @property
    def latest(self) -> Version:
        return self.versions[-1]

    @property
    def title(self) -> str:
        return self.latest.title

    @property
    def body(self) -> str:
        return self.latest.body

    @property
    def number(self) -> int:
        return self.latest.number

    def at(self, number: int | None) -> Version:
        """The version ``number`` (the latest when None); 404 for one that never existed."""
        if number is None:
            return self.latest
        for v in self.versions:
            if v.number == number:
                return v
        raise HttpError(
            404, f"No content found with id: ContentId{{id={self.id}}} and version {number}"
        )


_MACRO_WITHOUT_ID = re.compile(r"<ac:structured-macro(?![^>]*\bac:macro-id=)")


def normalise_storage(body: str, next_id: Callable[[], str]) -> str:
    """What Confluence Cloud does to storage format on save: every macro gets an
    ``ac:macro-id``. A client that compares the body it reads back with the one it sent sees
    a difference it did not make, as it would on the real site."""
    return _MACRO_WITHOUT_ID.sub(lambda m: f'<ac:structured-macro ac:macro-id="{next_id()}"', body)


def validate_storage(body: str) -> None:
    """Reject storage format Confluence would reject: it must be well-formed XHTML.

    Confluence accepts HTML's named entities (``&nbsp;``) and the ``ac:``/``ri:`` prefixes
    without declarations, so both are made palatable to a strict XML parser first; a bare ``&``
    or an unclosed tag still fails, as it does on the real site ("Error parsing xhtml").
    """

    def entity(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in ("amp", "lt", "gt", "quot", "apos"):
            return m.group(0)
        cp = html.entities.name2codepoint.get(name)
        return f"&#{cp};" if cp is not None else m.group(0)

    text = re.sub(r"&([A-Za-z][A-Za-z0-9]*);", entity, body)
    doc = (
        '<r xmlns:ac="urn:confluence-ac" xmlns:ri="urn:confluence-ri" '
        f'xmlns:at="urn:confluence-at">{text}</r>'
    )
    try:
        ET.fromstring(doc)
    except ET.ParseError as exc:
        raise HttpError(400, f"Error parsing xhtml: {exc}") from None


def _title_key(title: str) -> str:
    # Confluence treats page titles in a space case-insensitively when it checks uniqueness.
    return title.strip().casefold()


class ConfluenceState:
    def __init__(self, accounts: Accounts, clock: Clock) -> None:
        self.accounts = accounts
        self.clock = clock
        self.spaces: dict[str, Space] = {}
        self.contents: dict[str, Content] = {}
        self.label_ids: dict[str, str] = {}  # "prefix:name" -> id; Confluence's ids are global
        self._next_id = _FIRST_CONTENT_ID
        self._next_space_id = _FIRST_SPACE_ID
        self._next_position = 0

    # -- ids ---------------------------------------------------------------------------------

    def _new_number(self) -> int:
        n = self._next_id
        self._next_id += 1
        return n

    def _new_position(self) -> int:
        self._next_position += 1
        return self._next_position

    def label_id(self, label: Label) -> str:
        key = f"{label.prefix}:{label.name}"
        if key not in self.label_ids:
            self.label_ids[key] = str(self._new_number())
        return self.label_ids[key]

    # -- seed --------------------------------------------------------------------------------

    @classmethod
    def from_seed(cls, seed: Seed, accounts: Accounts, clock: Clock) -> ConfluenceState:
        st = cls(accounts, clock)
        # Every real page has an author; a seed page without one is credited to a site admin
        # (else the first user) so `version.by` and v2's `authorId` are never empty.
        admins = [a for a in accounts.users.values() if a.site_admin]
        fallback = (admins or list(accounts.users.values()) or [None])[0]
        now = clock.now()
        for sp in seed.confluence.spaces:
            if sp.key in st.spaces:
                raise InputError(f"seed names Confluence space {sp.key!r} twice")
            st.spaces[sp.key] = Space(
                id=st._next_space_id,
                key=sp.key,
                name=sp.name,
                created=now,
                created_by=fallback.account_id if fallback else None,
            )
            st._next_space_id += 1
            by_title: dict[str, Content] = {}
            for p in sp.pages:
                if p.author:
                    acc = accounts.find(p.author)
                    if acc is None:
                        raise InputError(f"seed page {p.title!r} names unknown author {p.author!r}")
                else:
                    acc = fallback
                if _title_key(p.title) in by_title:
                    raise InputError(f"seed space {sp.key} has two pages titled {p.title!r}")
                try:
                    validate_storage(p.body)
                except HttpError as exc:
                    raise InputError(f"seed page {p.title!r}: {exc}") from None
                author = acc.account_id if acc else None
                page = Content(
                    id=str(st._new_number()),
                    type="page",
                    space_key=sp.key,
                    parent_id=None,
                    created=now,
                    created_by=author,
                    versions=[Version(1, now, author, title=p.title, body=p.body)],
                    position=st._new_position(),
                )
                for name in p.labels:
                    try:
                        page.labels.append(_checked_label("global", name))
                    except HttpError as exc:
                        raise InputError(f"seed page {p.title!r}: {exc}") from None
                    st.label_id(page.labels[-1])
                st.contents[page.id] = page
                by_title[_title_key(p.title)] = page
            # Parents by title, in a second pass so a child may be listed before its parent.
            for p in sp.pages:
                if p.parent is None:
                    continue
                parent = by_title.get(_title_key(p.parent))
                if parent is None:
                    raise InputError(
                        f"seed page {p.title!r} names parent {p.parent!r}, "
                        f"which is not a page of space {sp.key}"
                    )
                by_title[_title_key(p.title)].parent_id = parent.id
            for page in by_title.values():
                st._check_no_cycle(page)
        return st

    def _check_no_cycle(self, page: Content) -> None:
        seen: set[str] = set()
        pid = page.parent_id
        while pid is not None:
            if pid == page.id or pid in seen:
                raise InputError(f"seed page {page.title!r} is its own ancestor")
            seen.add(pid)
            parent = self.contents.get(pid)
            pid = parent.parent_id if parent is not None else None

    # -- lookups -----------------------------------------------------------------------------

    def space(self, key: str) -> Space:
        sp = self.spaces.get(key)
        if sp is None:
            raise HttpError(404, f"No space with key : {key}")
        return sp

    def space_by_id(self, space_id: str) -> Space | None:
        for sp in self.spaces.values():
            if str(sp.id) == str(space_id):
                return sp
        return None

    def get(self, content_id: str, statuses: Iterable[str] = ("current",)) -> Content:
        c = self.contents.get(content_id)
        wanted = set(statuses)
        if c is None or ("any" not in wanted and c.status not in wanted) or c.status == "deleted":
            raise HttpError(404, f"No content found with id: ContentId{{id={content_id}}}")
        return c

    def pages(self) -> Iterator[Content]:
        return (c for c in self.contents.values() if c.type == "page")

    def find_page(self, space_key: str, title: str) -> Content | None:
        key = _title_key(title)
        for c in self.pages():
            if c.status == "current" and c.space_key == space_key and _title_key(c.title) == key:
                return c
        return None

    def children(self, parent: Content, type_: str = "page") -> list[Content]:
        kids = [
            c
            for c in self.contents.values()
            if c.parent_id == parent.id and c.type == type_ and c.status == "current"
        ]
        return sorted(kids, key=lambda c: c.position)

    def ancestors(self, c: Content) -> list[Content]:
        """Root first, as Confluence lists them; an attachment's ancestors end with its page."""
        out: list[Content] = []
        seen = {c.id}
        pid = c.parent_id
        while pid is not None and pid not in seen:
            parent = self.contents.get(pid)
            if parent is None:
                break
            out.append(parent)
            seen.add(pid)
            pid = parent.parent_id
        out.reverse()
        return out

    def descendants(self, c: Content, type_: str = "page") -> list[Content]:
        out: list[Content] = []
        stack = list(reversed(self.children(c, "page")))
        while stack:
            node = stack.pop()
            if type_ == "page":
                out.append(node)
            stack.extend(reversed(self.children(node, "page")))
        if type_ == "attachment":
            out = [a for p in [c, *self.descendants(c)] for a in self.children(p, "attachment")]
        return out

    def attachment_named(self, page: Content, filename: str) -> Content | None:
        for a in self.children(page, "attachment"):
            if a.title == filename:
                return a
        return None

    # -- pages -------------------------------------------------------------------------------

    def _check_title(self, space_key: str, title: str | None, exclude: str | None = None) -> str:
        if title is None or not title.strip():
            raise HttpError(400, "Title is required to create or update a page.")
        if len(title) > 255:
            raise HttpError(400, "Title must be 255 characters or fewer.")
        clash = self.find_page(space_key, title)
        if clash is not None and clash.id != exclude:
            raise HttpError(
                400,
                "A page with this title already exists: "
                "A page already exists with the same TITLE in this space",
            )
        return title

    def _check_parent(
        self, space_key: str, parent_id: str | None, moving: str | None = None
    ) -> None:
        if parent_id is None:
            return
        parent = self.contents.get(str(parent_id))
        if parent is None or parent.status != "current" or parent.type != "page":
            raise HttpError(404, f"Could not find parent content with id {parent_id}")
        if parent.space_key != space_key:
            raise HttpError(
                400,
                f"The parent page {parent_id} is in space {parent.space_key}, not {space_key}: "
                "a page and its parent must be in the same space.",
            )
        if moving is not None and (
            parent.id == moving or any(a.id == moving for a in self.ancestors(parent))
        ):
            raise HttpError(400, f"Cannot move page {moving} under itself or its descendant.")

    def _macro_id(self) -> str:
        # Its own counter: page ids must not move because a body had macros.
        self._macros = getattr(self, "_macros", 0) + 1
        return str(uuid.UUID(int=self._macros))

    def create_page(
        self,
        *,
        space_key: str,
        title: str | None,
        body: str,
        parent_id: str | None,
        by: str | None,
        message: str = "",
    ) -> Content:
        self.space(space_key)
        self._check_parent(space_key, parent_id)
        title = self._check_title(space_key, title)
        validate_storage(body)
        body = normalise_storage(body, self._macro_id)
        now = self.clock.now()
        page = Content(
            id=str(self._new_number()),
            type="page",
            space_key=space_key,
            parent_id=str(parent_id) if parent_id is not None else None,
            created=now,
            created_by=by,
            versions=[Version(1, now, by, message=message, title=title, body=body)],
            position=self._new_position(),
        )
        self.contents[page.id] = page
        return page

    def update_page(
        self,
        page: Content,
        *,
        number: int | None,
        title: str | None,
        body: str | None,
        parent_id: str | None,
        by: str | None,
        message: str = "",
        minor_edit: bool = False,
        status: str = "current",
    ) -> Content:
        if number is None:
            raise HttpError(400, "Must supply an incremented version when updating Content.")
        if page.status == "trashed" and status == "current":
            # Restoring from the trash: Confluence only flips the status back.
            self._check_title(page.space_key, page.title, exclude=page.id)
            page.status = "current"
            return page
        if number != page.number + 1:
            raise HttpError(
                409,
                f"Version must be incremented on update. Current version is: {page.number}",
            )
        if status not in ("current",):
            raise HttpError(400, f"Cannot change a page's status to {status!r} with an update.")
        new_title = self._check_title(page.space_key, title, exclude=page.id)
        new_body = page.body if body is None else body
        validate_storage(new_body)
        new_body = normalise_storage(new_body, self._macro_id)
        if parent_id is not None and str(parent_id) != page.parent_id:
            self._check_parent(page.space_key, str(parent_id), moving=page.id)
            page.parent_id = str(parent_id)
        page.versions.append(
            Version(
                page.number + 1,
                self.clock.now(),
                by,
                message=message,
                minor_edit=minor_edit,
                title=new_title,
                body=new_body,
            )
        )
        return page

    def trash(self, c: Content) -> None:
        """Trash a page (its children move up to its parent, as in Confluence) or remove an
        attachment; trashing what is already in the trash purges it."""
        if c.status == "trashed":
            c.status = "deleted"
            return
        if c.type == "page":
            for child in self.children(c, "page"):
                child.parent_id = c.parent_id
        c.status = "trashed"

    # -- attachments -------------------------------------------------------------------------

    def add_attachment(
        self,
        page: Content,
        *,
        filename: str,
        data: bytes,
        media_type: str,
        comment: str | None,
        minor_edit: bool,
        by: str | None,
    ) -> Content:
        if self.attachment_named(page, filename) is not None:
            raise HttpError(
                400,
                "Cannot add a new attachment with same file name as an existing attachment: "
                f"{filename}",
            )
        now = self.clock.now()
        att = Content(
            id=f"att{self._new_number()}",
            type="attachment",
            space_key=page.space_key,
            parent_id=page.id,
            created=now,
            created_by=by,
            versions=[
                Version(
                    1,
                    now,
                    by,
                    message=comment or "",
                    minor_edit=minor_edit,
                    title=filename,
                    data=data,
                    media_type=media_type,
                    comment=comment,
                )
            ],
            position=self._new_position(),
        )
        self.contents[att.id] = att
        return att

    def add_attachment_version(
        self,
        att: Content,
        *,
        data: bytes,
        media_type: str | None,
        comment: str | None,
        minor_edit: bool,
        by: str | None,
        filename: str | None = None,
    ) -> Content:
        prev = att.latest
        att.versions.append(
            Version(
                prev.number + 1,
                self.clock.now(),
                by,
                message=comment or "",
                minor_edit=minor_edit,
                title=filename or prev.title,
                data=data,
                media_type=media_type or prev.media_type,
                comment=comment if comment is not None else prev.comment,
            )
        )
        return att

    # -- labels ------------------------------------------------------------------------------

    def add_labels(self, c: Content, labels: Iterable[tuple[str, str]]) -> None:
        for prefix, name in labels:
            label = _checked_label(prefix, name)
            self.label_id(label)
            if all(existing.name != label.name for existing in c.labels):
                c.labels.append(label)

    def remove_label(self, c: Content, name: str) -> bool:
        before = len(c.labels)
        c.labels = [lb for lb in c.labels if lb.name != name.lower()]
        return len(c.labels) != before

    # -- persistence -------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "next_id": self._next_id,
            "next_space_id": self._next_space_id,
            "next_position": self._next_position,
            "label_ids": dict(self.label_ids),
            "spaces": [{**vars(s), "created": s.created.isoformat()} for s in self.spaces.values()],
            "contents": [_content_to_json(c) for c in self.contents.values()],
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any], accounts: Accounts, clock: Clock) -> ConfluenceState:
        st = cls(accounts, clock)
        st._next_id = doc["next_id"]
        st._next_space_id = doc["next_space_id"]
        st._next_position = doc["next_position"]
        st.label_ids = dict(doc["label_ids"])
        for s in doc["spaces"]:
            st.spaces[s["key"]] = Space(**{**s, "created": datetime.fromisoformat(s["created"])})
        for c in doc["contents"]:
            content = _content_from_json(c)
            st.contents[content.id] = content
        return st


def _checked_label(prefix: str, name: str) -> Label:
    prefix = (prefix or "global").lower()
    if prefix not in ("global", "my", "team"):
        raise HttpError(400, f"Invalid label prefix {prefix!r}: use global, my or team.")
    name = (name or "").strip().lower()  # Confluence stores labels lower-cased
    if not name or not _LABEL_NAME.match(name) or len(name) > 255:
        raise HttpError(400, f"Label '{name}' contains invalid characters or is empty.")
    return Label(prefix, name)


def _content_to_json(c: Content) -> dict[str, Any]:
    return {
        "id": c.id,
        "type": c.type,
        "space_key": c.space_key,
        "parent_id": c.parent_id,
        "created": c.created.isoformat(),
        "created_by": c.created_by,
        "status": c.status,
        "position": c.position,
        "labels": [[lb.prefix, lb.name] for lb in c.labels],
        "versions": [
            {
                **{k: v for k, v in vars(ver).items() if k not in ("when", "data")},
                "when": ver.when.isoformat(),
                "data": base64.b64encode(ver.data).decode() if ver.data is not None else None,
            }
            for ver in c.versions
        ],
    }


def _content_from_json(doc: dict[str, Any]) -> Content:
    versions = [
        Version(
            **{
                **v,
                "when": datetime.fromisoformat(v["when"]),
                "data": base64.b64decode(v["data"]) if v["data"] is not None else None,
            }
        )
        for v in doc["versions"]
    ]
    return Content(
        id=doc["id"],
        type=doc["type"],
        space_key=doc["space_key"],
        parent_id=doc["parent_id"],
        created=datetime.fromisoformat(doc["created"]),
        created_by=doc["created_by"],
        versions=versions,
        status=doc["status"],
        labels=[Label(p, n) for p, n in doc["labels"]],
        position=doc["position"],
    )
