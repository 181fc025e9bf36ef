"""Shared by the Confluence sandbox tests: a small seed and the real atlassian-python-api clients.

Holds no tests. The clients are the ones the plugin's gateway uses against Confluence Cloud:
``ConfluenceServer(<site>/wiki, cloud=True)`` for REST v1 (the Cloud-detected ``Confluence`` class
lacks create/update/attach) and ``ConfluenceV2`` for REST v2.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from atlassian import ConfluenceServer, ConfluenceV2

from bridgeplugin.sandbox import Seed, start
from bridgeplugin.sandbox.server import RunningSandbox

TOKEN = "sandbox-token"
ADA = "ada@example.com"  # writes pages
ROOT = "root@example.com"  # site admin

# 1x1 transparent PNG: real image bytes, including NUL, CR and LF, to catch any text mangling.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6300010000050001ff0d0a2db40000000049454e44ae426082"
)


def seed(**extra_spaces: list[dict[str, Any]]) -> Seed:
    """Space DOC: Home > Parent > (Child A, Child B); space OPS: Runbook. ``extra_spaces`` adds
    spaces by key with the given pages."""
    spaces: list[dict[str, Any]] = [
        {
            "key": "DOC",
            "name": "Documentation",
            "pages": [
                {"title": "Home", "body": "<p>Welcome</p>", "author": ROOT},
                {
                    "title": "Parent",
                    "body": "<p>Reports live below.</p>",
                    "parent": "Home",
                    "labels": ["reports"],
                    "author": ADA,
                },
                {"title": "Child A", "body": "<p>alpha budget</p>", "parent": "Parent"},
                {"title": "Child B", "body": "<p>beta</p>", "parent": "Parent", "labels": ["beta"]},
            ],
        },
        {"key": "OPS", "name": "Operations", "pages": [{"title": "Runbook", "body": "<p>x</p>"}]},
    ]
    for key, pages in extra_spaces.items():
        spaces.append({"key": key, "name": f"Space {key}", "pages": pages})
    return Seed.model_validate(
        {
            "users": [
                {
                    "account_id": "acc-root",
                    "display_name": "Root",
                    "email": ROOT,
                    "site_admin": True,
                },
                {"account_id": "acc-ada", "display_name": "Ada Writer", "email": ADA},
            ],
            "confluence": {"spaces": spaces},
        }
    )


@contextmanager
def sandbox(s: Seed | None = None, **kwargs: Any) -> Iterator[RunningSandbox]:
    sb = start(s or seed(), **kwargs)
    try:
        yield sb
    finally:
        sb.stop()


def v1(sb: RunningSandbox, user: str = ADA, password: str = TOKEN) -> ConfluenceServer:
    return ConfluenceServer(sb.wiki_url, username=user, password=password, cloud=True)


def v2(sb: RunningSandbox, user: str = ADA, password: str = TOKEN) -> ConfluenceV2:
    with warnings.catch_warnings():
        # ConfluenceV2 warns on construction that its v1 compatibility names are deprecated.
        warnings.simplefilter("ignore", DeprecationWarning)
        return ConfluenceV2(sb.wiki_url, username=user, password=password)


def page_id(sb: RunningSandbox, space: str, title: str) -> str:
    c = sb.app.site.confluence.find_page(space, title)
    assert c is not None, f"no page {title!r} in {space}"
    return c.id


def calls(sb: RunningSandbox, prefix: str = "/wiki/") -> list[tuple[str, str, int, int]]:
    return [
        (c.method, c.path, c.status, c.points)
        for c in sb.app.ledger.calls()
        if c.path.startswith(prefix)
    ]
