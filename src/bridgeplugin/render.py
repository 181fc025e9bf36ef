"""Render the comments bridgeplugin writes from the Jinja2 templates in ``templates/``.

The first line of every plugin comment is a fixed **marker** the code owns, not the template:
``bridgeplugin: tagged as a marketing technology request (saas)`` or ``bridgeplugin: no longer
tagged as a marketing technology request``. Sync reads it back to know whether a comment was
already posted (after a crash between the comment and the property that records it), so a
template edited by a site cannot break that. ``last_marker`` finds the latest one.

A site's own ``templates`` directory (config ``templates``) wins; a template it lacks comes
from the shipped folder, so upgrading bridgeplugin never leaves a comment without a template.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

import jinja2

from .config import shipped_dir
from .errors import ConfigError
from .model import Comment

__all__ = [
    "TAGGED_MARKER",
    "UNTAGGED_MARKER",
    "Marker",
    "Renderer",
    "last_marker",
    "marker_of",
]

TAGGED_MARKER = "bridgeplugin: tagged as a marketing technology request"
UNTAGGED_MARKER = "bridgeplugin: no longer tagged as a marketing technology request"
TAGGING_TEMPLATE = "tagging_comment.txt.j2"
UNTAGGING_TEMPLATE = "untagging_comment.txt.j2"

Marker = Literal["tagged", "untagged"]
LabelChange = Literal["removed", "kept", "absent"]


class Renderer:
    """Comment bodies (plain text) from the templates; loads templates on first use."""

    def __init__(self, templates_dir: Path | None = None) -> None:
        dirs = [str(d) for d in (templates_dir, shipped_dir("templates")) if d is not None]
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(list(dict.fromkeys(dirs))),
            undefined=jinja2.StrictUndefined,  # a misspelt variable fails, never renders ""
            autoescape=False,  # plain text for Jira, not HTML
            keep_trailing_newline=False,
        )

    def tagging_comment(
        self,
        *,
        key: str,
        category: str | None,
        reasons: Sequence[str],
        label: str,
        rules_version: str,
    ) -> str:
        marker = f"{TAGGED_MARKER} ({category})" if category else TAGGED_MARKER
        body = self._render(
            TAGGING_TEMPLATE,
            key=key,
            category=category,
            reasons=list(reasons),
            label=label,
            rules_version=rules_version,
        )
        return f"{marker}\n\n{body}"

    def untagging_comment(
        self,
        *,
        key: str,
        label: str,
        label_change: LabelChange,
        reasons: Sequence[str],
        rules_version: str,
    ) -> str:
        body = self._render(
            UNTAGGING_TEMPLATE,
            key=key,
            label=label,
            label_change=label_change,
            reasons=list(reasons),
            rules_version=rules_version,
        )
        return f"{UNTAGGED_MARKER}\n\n{body}"

    def _render(self, name: str, **variables: object) -> str:
        try:
            text = self._env.get_template(name).render(**variables)
        except jinja2.TemplateNotFound:
            raise ConfigError(
                f"comment template {name} is missing",
                hint="restore it in the templates directory, or unset BRIDGE_TEMPLATES",
            ) from None
        except jinja2.TemplateError as exc:
            where = f"{getattr(exc, 'filename', None) or name}"
            line = getattr(exc, "lineno", None) or _template_line(exc, name)
            raise ConfigError(
                f"{where}{f':{line}' if line else ''}: {exc.message or exc}",
                hint="the variables a template may use are listed at its top",
            ) from None
        # Jira keeps blank lines as empty paragraphs: at most one in a row.
        lines: list[str] = []
        for line in text.strip().splitlines():
            if line.strip() or (lines and lines[-1].strip()):
                lines.append(line.rstrip())
        return "\n".join(lines)


def _template_line(exc: BaseException, name: str) -> int | None:
    """The template line a render error came from: Jinja2 puts the template's own frames,
    with template line numbers, into the traceback."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(name):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def marker_of(body: str) -> Marker | None:
    """Which plugin comment this is, from its first line (None: not one of ours)."""
    first = body.lstrip().split("\n", 1)[0].strip()
    if first.startswith(UNTAGGED_MARKER):
        return "untagged"
    if first.startswith(TAGGED_MARKER):
        return "tagged"
    return None


def last_marker(comments: Iterable[Comment]) -> Marker | None:
    """The marker of the latest plugin comment, in the order Jira lists them (oldest first)."""
    found: Marker | None = None
    for comment in comments:
        found = marker_of(comment.body) or found
    return found
