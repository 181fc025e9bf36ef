"""Atlassian Document Format (ADF) <-> plain text.

Jira Cloud's v3 API answers descriptions and comment bodies as ADF trees and expects ADF for
new ones; Data Center's v2 API uses plain text (wiki markup). The core only ever sees plain
text, so the gateway flattens on the way in and builds ADF on the way out, here, in one place.

Flattening is lossy on purpose: rules match words, not formatting. It keeps what a person would
read (text, mentions, emoji, links, list items, table cells) and the paragraph structure, so
``adf_to_text(text_to_adf(s)) == s`` for any text without trailing blank lines or ``\\r``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["adf_to_text", "is_adf", "text_to_adf"]

# Nodes whose children are separated from the next block by a blank line.
_PARAGRAPH_BLOCKS = frozenset(
    {"paragraph", "heading", "codeBlock", "blockquote", "panel", "rule", "mediaSingle"}
)
_LIST_BLOCKS = frozenset({"bulletList", "orderedList", "taskList", "decisionList"})


def is_adf(value: Any) -> bool:
    """Whether ``value`` looks like an ADF document (``{"type": "doc", ...}``)."""
    return isinstance(value, Mapping) and value.get("type") == "doc"


def text_to_adf(text: str) -> dict[str, Any]:
    """Build an ADF document from plain text.

    Blank lines separate paragraphs and single newlines become hard breaks, which is how Jira's
    own editor shows pasted text; no markup is interpreted, so user text can't inject formatting.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = [p for p in text.split("\n\n")]
    content: list[dict[str, Any]] = []
    for paragraph in paragraphs:
        inline: list[dict[str, Any]] = []
        for i, line in enumerate(paragraph.split("\n")):
            if i:
                inline.append({"type": "hardBreak"})
            if line:
                inline.append({"type": "text", "text": line})
        node: dict[str, Any] = {"type": "paragraph"}
        if inline:
            node["content"] = inline
        content.append(node)
    return {"type": "doc", "version": 1, "content": content}


def adf_to_text(value: Any) -> str:
    """Flatten an ADF document (or pass plain text through) to plain text.

    ``None`` becomes ``""`` so callers need not special-case issues without a description.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if not isinstance(value, Mapping):
        return str(value)
    return _blocks(value.get("content") or []).strip("\n")


def _blocks(nodes: list[Any]) -> str:
    parts: list[str] = []
    for node in nodes:
        if not isinstance(node, Mapping):
            continue
        parts.append(_block(node))
    return "\n\n".join(p for p in parts if p is not None)


def _block(node: Mapping[str, Any]) -> str:
    kind = node.get("type")
    children = node.get("content") or []
    if kind in _LIST_BLOCKS:
        lines = []
        for number, item in enumerate(children, start=1):
            marker = f"{number}. " if kind == "orderedList" else "- "
            body = _item(item)
            lines.append(marker + body.replace("\n", "\n  "))
        return "\n".join(lines)
    if kind == "table":
        rows = []
        for row in children:
            cells = [_item(cell) for cell in (row.get("content") or [])]
            rows.append(" | ".join(cells))
        return "\n".join(rows)
    if kind == "rule":
        return "---"
    if kind in _PARAGRAPH_BLOCKS or kind in {"listItem", "taskItem", "decisionItem"}:
        if any(isinstance(c, Mapping) and _is_block(c) for c in children):
            return _blocks(children)
        return _inline(children)
    if _is_block(node):
        return _blocks(children)
    return _inline([node])


def _item(node: Any) -> str:
    """A list item or table cell: its blocks joined by single newlines."""
    if not isinstance(node, Mapping):
        return ""
    children = node.get("content") or []
    if any(isinstance(c, Mapping) and _is_block(c) for c in children):
        return "\n".join(_block(c) for c in children if isinstance(c, Mapping))
    return _inline(children)


def _is_block(node: Mapping[str, Any]) -> bool:
    kind = node.get("type")
    return (
        kind in _PARAGRAPH_BLOCKS
        or kind in _LIST_BLOCKS
        or kind
        in {
            "table",
            "tableRow",
            "tableCell",
            "tableHeader",
            "listItem",
            "taskItem",
            "decisionItem",
            "expand",
            "nestedExpand",
            "layoutSection",
            "layoutColumn",
            "bodiedExtension",
        }
    )


def _inline(nodes: list[Any]) -> str:
    out: list[str] = []
    for node in nodes:
        if not isinstance(node, Mapping):
            continue
        kind = node.get("type")
        attrs = node.get("attrs") or {}
        if kind == "text":
            out.append(str(node.get("text", "")))
        elif kind == "hardBreak":
            out.append("\n")
        elif kind == "mention":
            out.append(str(attrs.get("text") or attrs.get("id") or ""))
        elif kind == "emoji":
            out.append(str(attrs.get("text") or attrs.get("shortName") or ""))
        elif kind in {"inlineCard", "blockCard", "embedCard"}:
            out.append(str(attrs.get("url") or ""))
        elif kind == "status":
            out.append(str(attrs.get("text") or ""))
        elif kind == "date":
            out.append(str(attrs.get("timestamp") or ""))
        elif node.get("content"):
            out.append(_inline(node["content"]))
    return "".join(out)
