"""Publish the sprint page and the index page, idempotently.

* The page id is remembered (a small table in the state database) and the page found again by
  title when the id is unknown or gone, so a lost state file never makes a duplicate.
* Only the managed part (between the two anchor macros) is compared and replaced; the rest of
  the body is kept verbatim, so notes people add below the figures survive every republish.
  Unchanged managed content writes nothing: no new version.
* The chart is re-attached only when its bytes' hash differs from the one recorded.
* A 409 (someone saved in between) re-reads the page and retries, at most ``ATTEMPTS`` times.
* ``dry_run`` reads everything, says what would change, and writes nothing (state included).
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..confluence_gateway import ConfluenceApi
from ..errors import ConfigError, Conflict, NotFound
from ..model import Page
from .chart import FILENAME
from .page import END_RE, INDEX_TITLE, START_RE, IndexEntry, managed_block

__all__ = ["ATTEMPTS", "PageStore", "Published", "publish_pages", "splice"]

ATTEMPTS = 3
NOTES = (
    "<h2>Notes</h2>\n<p>Write here: bridgeplugin only rewrites the part above, between its two "
    "anchors, and keeps this part as you leave it.</p>"
)


@dataclass
class Published:
    """What a publish did (or, with ``dry_run``, would do), one line per action."""

    actions: list[str] = field(default_factory=list)
    page_id: str | None = None
    url: str | None = None
    writes: int = 0

    def did(self, text: str, *, write: bool) -> None:
        self.actions.append(text)
        self.writes += int(write)


class PageStore:
    """Page ids, headlines and chart hashes of the pages published, in the state database."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path))
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS report_pages (space TEXT, title TEXT, page_id TEXT,"
            " sprint TEXT, sprint_start TEXT, headline TEXT, status_title TEXT,"
            " status_colour TEXT, chart_sha TEXT, PRIMARY KEY (space, title))"
        )
        # Added later: what we generated and the version we wrote it as (see upsert).
        have = {row[1] for row in self._db.execute("PRAGMA table_info(report_pages)")}
        for column in ("content_sha", "written_version", "final"):
            if column not in have:
                self._db.execute(f"ALTER TABLE report_pages ADD COLUMN {column} TEXT")

    def close(self) -> None:
        self._db.close()

    def get(self, space: str, title: str) -> dict[str, str] | None:
        cur = self._db.execute(
            "SELECT page_id, chart_sha, content_sha, written_version, final FROM report_pages"
            " WHERE space=? AND title=?",
            (space, title),
        )
        row = cur.fetchone()
        if not row:
            return None
        return {
            "page_id": row[0],
            "chart_sha": row[1] or "",
            "content_sha": row[2] or "",
            "written_version": row[3] or "",
            "final": row[4] or "",
        }

    def put(self, space: str, title: str, **values: str | None) -> None:
        with self._db:
            self._db.execute(
                "INSERT OR IGNORE INTO report_pages (space, title) VALUES (?, ?)", (space, title)
            )
            for key, value in values.items():  # keys are ours, never user input
                self._db.execute(
                    f"UPDATE report_pages SET {key}=? WHERE space=? AND title=?",
                    (value, space, title),
                )

    def entries(self, space: str) -> list[IndexEntry]:
        cur = self._db.execute(
            "SELECT title, sprint, headline, status_title, status_colour FROM report_pages"
            " WHERE space=? AND sprint IS NOT NULL ORDER BY sprint_start DESC, title DESC",
            (space,),
        )
        return [IndexEntry(*row) for row in cur.fetchall()]


@contextmanager
def open_pages(path: Path) -> Iterator[PageStore]:
    store = PageStore(path)
    try:
        yield store
    finally:
        store.close()


# The page says when its figures were computed (page.py: "Figures as of 2026-11-24 09:00 UTC"),
# and Confluence numbers the macros of what it saves. Neither is a change of the figures: a
# cron run every few minutes must not add a version each time, nor a run that lost the record
# of what it wrote (a crash right after the update).
_AS_OF = re.compile(r"Figures as of \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")
_MACRO_ID = re.compile(r'\s+ac:macro-id="[^"]*"')


def _settled(text: str) -> str:
    """``text`` as far as it decides whether the page changed."""
    return _MACRO_ID.sub("", _AS_OF.sub("", text)).strip()


def managed_part(body: str) -> str | None:
    """The managed part of ``body`` (between the anchors), or None when it has none."""
    start, end = START_RE.search(body), END_RE.search(body)
    if not start or not end or end.start() < start.end():
        return None
    return body[start.end() : end.start()].strip()


def splice(body: str, inner: str) -> str:
    """``body`` with its managed part replaced by ``inner``; the rest kept byte for byte. A
    body without anchors (removed by hand) gets the managed part on top, the rest below."""
    start, end = START_RE.search(body), END_RE.search(body)
    if not start or not end or end.start() < start.end():
        return f"{managed_block(inner)}\n{body}"
    return body[: start.start()] + managed_block(inner) + body[end.end() :]


def parent_page(confluence: ConfluenceApi, space: str, title: str) -> Page:
    page = confluence.find_page(space, title)
    if page is None:
        raise ConfigError(
            f"the report parent page {title!r} does not exist in Confluence space {space}",
            hint="create it, or set report_parent in bridge.yaml to an existing page",
        )
    return page


def _locate(confluence: ConfluenceApi, store: PageStore, space: str, title: str) -> Page | None:
    known = store.get(space, title)
    if known and known["page_id"]:
        try:
            page = confluence.get_page(known["page_id"], body=True)
            if page.title.casefold() == title.casefold():
                return page
        except NotFound:
            pass  # deleted or moved away: look it up by title
    found = confluence.find_page(space, title)
    return confluence.get_page(found.id, body=True) if found else None


def upsert(
    confluence: ConfluenceApi,
    store: PageStore,
    *,
    space: str,
    parent: Page,
    title: str,
    inner: str,
    out: Published,
    dry_run: bool,
    initial_tail: str = NOTES,
) -> Page | None:
    """Create the page or rewrite its managed part; nothing when that part is unchanged."""
    content_sha = hashlib.sha256(_settled(inner).encode()).hexdigest()
    page = _locate(confluence, store, space, title)
    if page is None:
        out.did(f"create page {title!r}", write=True)
        if dry_run:
            return None
        page = confluence.create_page(
            space, title, f"{managed_block(inner)}\n{initial_tail}", parent_id=parent.id
        )
        store.put(space, title, page_id=page.id, **_written(page, content_sha))
        return page
    if not dry_run:
        store.put(space, title, page_id=page.id)
    known = store.get(space, title) or {}
    for attempt in range(1, ATTEMPTS + 1):
        body = page.body or ""
        # Confluence Cloud rewrites storage format when it saves (macro ids, attribute order),
        # so the body read back rarely equals what we sent. What we generated, and the
        # version we wrote it as, decide "unchanged" when nobody saved since; the text
        # comparison covers pages written before that was recorded.
        ours = known.get("written_version") == str(page.version)
        if (ours and known.get("content_sha") == content_sha) or (
            _settled(managed_part(body) or "") == _settled(inner)
        ):
            out.did(f"page {title!r} unchanged (version {page.version})", write=False)
            return page
        if dry_run:
            out.did(
                f"update page {title!r} (version {page.version} -> {page.version + 1})", write=True
            )
            return page
        try:
            updated = confluence.update_page(page, title, splice(body, inner))
        except Conflict:
            if attempt == ATTEMPTS:
                raise
            # Someone saved in between: re-read and splice into *their* version.
            out.actions.append(f"page {title!r} changed meanwhile: re-read, retry {attempt}")
            page = confluence.get_page(page.id, body=True)
            continue
        out.did(f"update page {title!r} to version {updated.version}", write=True)
        store.put(space, title, **_written(updated, content_sha))
        return updated
    return page  # unreachable: the loop returns or raises


def _written(page: Page, content_sha: str) -> dict[str, str]:
    return {"content_sha": content_sha, "written_version": str(page.version)}


def attach_chart(
    confluence: ConfluenceApi,
    store: PageStore,
    *,
    space: str,
    title: str,
    page: Page | None,
    png: bytes,
    out: Published,
    dry_run: bool,
) -> None:
    sha = hashlib.sha256(png).hexdigest()
    known = store.get(space, title) or {}
    chart = next(
        (a for a in (confluence.attachments(page.id) if page else []) if a.title == FILENAME),
        None,
    )
    # The version comment names the chart's digest: a run that lost its local record (a
    # crash right after the upload, another cron host with its own state file) sees the same
    # chart is there already instead of adding an identical version.
    if chart is not None and (known.get("chart_sha") == sha or sha in (chart.comment or "")):
        out.did(f"chart {FILENAME} unchanged", write=False)
        if not dry_run and known.get("chart_sha") != sha:
            store.put(space, title, chart_sha=sha)
        return
    out.did(f"attach chart {FILENAME} ({len(png):,} bytes)", write=True)
    if dry_run or page is None:
        return
    confluence.attach_file(page.id, FILENAME, png, "image/png", comment=f"sha256:{sha}")
    store.put(space, title, chart_sha=sha)


def publish_pages(
    confluence: ConfluenceApi,
    store: PageStore,
    *,
    space: str,
    parent_title: str,
    title: str,
    inner: str,
    png: bytes,
    entry: IndexEntry,
    sprint_start: str,
    index_body: Callable[[list[IndexEntry]], str],
    dry_run: bool = False,
) -> Published:
    """The sprint page, its chart, then the index page (which lists every sprint page)."""
    out = Published()
    parent = parent_page(confluence, space, parent_title)
    page = upsert(
        confluence,
        store,
        space=space,
        parent=parent,
        title=title,
        inner=inner,
        out=out,
        dry_run=dry_run,
    )
    attach_chart(
        confluence,
        store,
        space=space,
        title=title,
        page=page,
        png=png,
        out=out,
        dry_run=dry_run,
    )
    if page is not None:
        out.page_id, out.url = page.id, page.url
    entries = [e for e in store.entries(space) if e.title != entry.title]
    entries = sorted([entry, *entries], key=lambda e: e.title, reverse=True)
    if not dry_run:
        store.put(
            space,
            title,
            sprint=entry.sprint,
            sprint_start=sprint_start,
            headline=entry.headline,
            status_title=entry.status_title,
            status_colour=entry.status_colour,
        )
        entries = store.entries(space)
    upsert(
        confluence,
        store,
        space=space,
        parent=parent,
        title=INDEX_TITLE,
        inner=index_body(entries),
        out=out,
        dry_run=dry_run,
        initial_tail="",
    )
    return out
