"""Rich text of the fake Jira: plain text (API v2) and Atlassian Document Format (API v3).

Jira keeps one value per rich-text field and serves it as ADF on v3 and as text on v2. The
sandbox stores a ``RichText``: a ``str`` when the value is plain text (seeds, v2 writes, and v3
documents that hold nothing but paragraphs of unmarked text), else the ADF ``dict`` as sent.
Storing text wherever that loses nothing keeps 100,000 seeded descriptions cheap, and keeping
real documents keeps a v3 client's marks, mentions and lists intact on the way back.

Text <-> ADF is lossless for text: blank lines separate paragraphs, single newlines become
``hardBreak`` nodes.
"""

from __future__ import annotations

import html
from typing import Any

__all__ = [
    "RichText",
    "is_document",
    "normalize",
    "render_html",
    "to_adf",
    "to_text",
]

RichText = str | dict[str, Any]

_BLOCK_SEPARATOR = "\n\n"


def is_document(value: Any) -> bool:
    """Whether ``value`` looks like an ADF document (what v3 requires for rich text)."""
    return (
        isinstance(value, dict)
        and value.get("type") == "doc"
        and isinstance(value.get("content", []), list)
    )


def text_to_adf(text: str) -> dict[str, Any]:
    text = text.replace("\r\n", "\n")
    content: list[dict[str, Any]] = []
    if text:
        for block in text.split(_BLOCK_SEPARATOR):
            inline: list[dict[str, Any]] = []
            for i, line in enumerate(block.split("\n")):
                if i:
                    inline.append({"type": "hardBreak"})
                if line:
                    inline.append({"type": "text", "text": line})
            content.append({"type": "paragraph", "content": inline})
    return {"type": "doc", "version": 1, "content": content}


def to_adf(value: RichText) -> dict[str, Any]:
    return text_to_adf(value) if isinstance(value, str) else value


def to_text(value: RichText) -> str:
    """Plain text of a rich-text value; ADF structure beyond paragraphs is flattened the way
    Jira's v2 API renders it (list items on their own lines, mentions as their text)."""
    if isinstance(value, str):
        return value
    return _BLOCK_SEPARATOR.join(_block_text(node) for node in value.get("content", []))


def normalize(value: RichText) -> RichText:
    """Store plain text when the document says nothing text cannot."""
    if isinstance(value, dict):
        text = to_text(value)
        if text_to_adf(text) == value:
            return text
    return value


def render_html(value: RichText) -> str:
    """The ``renderedFields`` form: paragraphs of escaped text."""
    blocks = to_text(value).split(_BLOCK_SEPARATOR)
    return "".join("<p>" + html.escape(b).replace("\n", "<br/>\n") + "</p>" for b in blocks if b)


def _block_text(node: dict[str, Any]) -> str:
    kind = node.get("type")
    children = node.get("content", []) or []
    if kind in ("bulletList", "orderedList"):
        marker = "* " if kind == "bulletList" else "# "
        return "\n".join(marker + _block_text(item) for item in children)
    if kind == "listItem":
        return "\n".join(_block_text(child) for child in children)
    if kind in ("paragraph", "heading", "codeBlock", "blockquote", "panel"):
        if kind in ("blockquote", "panel"):
            return _BLOCK_SEPARATOR.join(_block_text(child) for child in children)
        return "".join(_inline_text(child) for child in children)
    if kind == "rule":
        return "----"
    if kind == "table":
        return "\n".join(_block_text(row) for row in children)
    if kind == "tableRow":
        return "|" + "|".join(_block_text(cell) for cell in children) + "|"
    if kind in ("tableCell", "tableHeader"):
        return " ".join(_block_text(child) for child in children)
    return "".join(_inline_text(child) for child in children) or _inline_text(node)


def _inline_text(node: dict[str, Any]) -> str:
    kind = node.get("type")
    attrs = node.get("attrs") or {}
    if kind == "text":
        return str(node.get("text", ""))
    if kind == "hardBreak":
        return "\n"
    if kind == "mention":
        return str(attrs.get("text") or f"[~accountid:{attrs.get('id', '')}]")
    if kind == "emoji":
        return str(attrs.get("text") or attrs.get("shortName", ""))
    if kind in ("inlineCard", "blockCard"):
        return str(attrs.get("url", ""))
    if kind == "date":
        return str(attrs.get("timestamp", ""))
    if kind == "status":
        return str(attrs.get("text", ""))
    children = node.get("content") or []
    return "".join(_inline_text(child) for child in children)
