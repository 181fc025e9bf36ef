"""Render the sprint page, the index page and the HTML preview from ``templates/``.

Templates get display-ready values (money and percents already formatted, status lozenges as
label + colour) so they stay free of arithmetic. The plugin owns only the *managed part* of a
sprint page: the part between two anchor macros (``MANAGED_START``/``MANAGED_END``); whatever
people write outside it is kept verbatim on every republish (see ``publish.splice``).
"""

from __future__ import annotations

import base64
import importlib.util
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from ..budget import LineFigures, Status, format_money, format_percent
from ..config import shipped_dir
from .chart import FILENAME
from .data import ReportData

__all__ = [
    "MANAGED_END",
    "MANAGED_START",
    "PageRenderer",
    "headline",
    "page_title",
    "storage_to_html",
    "wrap_storage",
]

TITLE_PREFIX = "Marketing x IT — "
INDEX_TITLE = "Marketing x IT — sprint pages"
MANAGED_START = "bridge-managed-start"
MANAGED_END = "bridge-managed-end"
AC = "http://atlassian.com/content"
RI = "http://atlassian.com/resource/identifier"


def page_title(sprint_name: str) -> str:
    return f"{TITLE_PREFIX}{sprint_name}"


def anchor(name: str) -> str:
    return (
        '<ac:structured-macro ac:name="anchor">'
        f'<ac:parameter ac:name="">{name}</ac:parameter></ac:structured-macro>'
    )


def headline(line: LineFigures) -> str:
    """One sentence: how much burned, how fast, when it runs out at this rate."""
    t = line
    text = (
        f"{format_money(t.spent_to_date)} of {format_money(t.amount)} spent "
        f"({format_percent(t.percent_used)} used, {format_percent(t.percent_elapsed)} of the "
        f"period elapsed)"
    )
    if t.exhausted:
        return text + "; the budget is exhausted."
    if t.burn_rate is None:
        return text + "; no finished sprint yet, so no burn rate or forecast."
    when = (
        f"runs out on {t.forecast_exhaustion:%-d %b %Y}"
        if t.forecast_exhaustion and t.forecast_exhaustion <= t.end
        else f"lasts beyond the period end ({t.end:%-d %b %Y})"
    )
    return (
        f"{text}; burn rate {format_money(t.burn_rate)} per sprint, at which the money {when}; "
        f"estimate at completion {format_money(t.eac)}."
    )


def _status(status: Status) -> dict[str, str]:
    return {"title": status.label.upper(), "colour": status.colour}


def _line(line: LineFigures) -> dict[str, Any]:
    change = line.change
    return {
        "name": line.name,
        "amount": format_money(line.amount),
        "this": format_money(line.spent_this_sprint),
        "to_date": format_money(line.spent_to_date),
        "remaining": format_money(line.remaining),
        "used": format_percent(line.percent_used),
        "elapsed": format_percent(line.percent_elapsed),
        "burn": format_money(line.burn_rate),
        "exhaustion": (
            "exhausted"
            if line.exhausted
            else f"{line.forecast_exhaustion:%Y-%m-%d}"
            if line.forecast_exhaustion
            else "—"
        ),
        "eac": format_money(line.eac),
        "status": _status(line.status),
        "reasons": list(line.reasons),
        "change": (
            f"+{format_money(change.spent_to_date)} since {change.previous_sprint}"
            if change
            else "first sprint of the period"
        ),
        "departments": [
            {
                "name": d.name,
                "agreed_percent": format_percent(d.agreed_percent, places=0),
                "agreed": format_money(d.agreed),
                "to_date": format_money(d.spent_to_date),
                "this": format_money(d.spent_this_sprint),
                "share": format_percent(d.share_percent),
            }
            for d in line.departments
        ],
    }


@dataclass(frozen=True)
class IndexEntry:
    title: str
    sprint: str
    headline: str
    status_title: str
    status_colour: str


class PageRenderer:
    """The three templates; a site's ``templates`` folder wins over the shipped one."""

    def __init__(self, templates_dir: Path | None = None) -> None:
        dirs = [str(d) for d in (templates_dir, shipped_dir("templates")) if d is not None]
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(list(dict.fromkeys(dirs))),
            undefined=jinja2.StrictUndefined,
            autoescape=True,  # storage format is XHTML: every value is escaped
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def context(self, data: ReportData) -> dict[str, Any]:
        r = data.report
        points = [
            {
                "label": p.label,
                "at": f"{p.at:%Y-%m-%d}",
                "spent": format_money(p.spent, missing=""),
                "budget": format_money(p.budget),
                "forecast": format_money(p.forecast, missing=""),
            }
            for p in r.series.points
        ]
        status_of = {ln.initiative: ln.status for ln in r.lines}
        return {
            "title": page_title(r.sprint.name),
            "sprint": r.sprint,
            "goal": data.sprint.goal,
            "as_of": f"{r.as_of:%Y-%m-%d %H:%M} UTC",
            "headline": headline(r.total),
            "total": _line(r.total),
            "lines": [_line(ln) for ln in r.lines],
            "items": [
                {
                    "key": i.source,
                    "kind": i.kind,
                    "initiative": i.initiative,
                    "amount": format_money(i.amount),
                    "why": i.why,
                    "is_issue": "-" in i.source and "." not in i.source,
                }
                for i in r.total.items
            ],
            "unbudgeted": [
                {"key": i.source, "initiative": i.initiative, "amount": format_money(i.amount)}
                for i in r.unbudgeted
            ],
            "pending": [
                {
                    "key": p.issue_key,
                    "kind": p.kind,
                    "initiative": p.initiative,
                    "amount": f"{p.currency} {p.amount:,}",
                    "status": p.status or "",
                }
                for p in r.pending
            ],
            "points": points,
            "chart": FILENAME,
            "initiatives": [
                {
                    "name": i.name,
                    "teams": [{"name": t, "done": d, "total": n} for t, d, n in i.teams],
                    "done": i.done,
                    "total": i.total,
                    "percent": round(100 * i.done / i.total) if i.total else 0,
                    "open_keys": list(i.open_keys),
                    "owners": ", ".join(i.owners) or "nobody assigned",
                    "status": _status(status_of[i.name]) if i.name in status_of else None,
                }
                for i in data.initiatives
            ],
            "epics_installed": importlib.util.find_spec("bridgeplugin.epics") is not None,
            "gov": data.governance,
            "jira": data.jira_url,
        }

    def managed(self, data: ReportData) -> str:
        """The managed part of a sprint page, without its anchors."""
        return self._env.get_template("sprint_page.xhtml.j2").render(self.context(data)).strip()

    def index(self, entries: list[IndexEntry]) -> str:
        return self._env.get_template("sprint_index.xhtml.j2").render(entries=entries).strip()

    def preview(self, title: str, storage: str, png: bytes | None) -> str:
        body = storage_to_html(storage, png)
        return self._env.get_template("preview.html.j2").render(title=title, body=body)


def managed_block(inner: str) -> str:
    return f"{anchor(MANAGED_START)}\n{inner}\n{anchor(MANAGED_END)}"


def wrap_storage(storage: str) -> ET.Element:
    """Parse storage format as XML: a root that declares the ac:/ri: prefixes."""
    doc = f'<root xmlns:ac="{AC}" xmlns:ri="{RI}">{storage}</root>'
    return ET.fromstring(doc)


def storage_to_html(storage: str, png: bytes | None) -> str:
    """The same content as plain HTML: lozenges become spans, the attached chart an inline
    data: URI, anchors vanish; anything else Confluence-only is dropped."""
    root = wrap_storage(storage)
    _to_html(root, png)
    html = "".join(ET.tostring(child, encoding="unicode", method="html") for child in root)
    return (root.text or "") + html


def _to_html(el: ET.Element, png: bytes | None) -> None:
    for i, child in enumerate(list(el)):
        tag = child.tag
        if tag == f"{{{AC}}}structured-macro":
            name = child.get(f"{{{AC}}}name")
            params = {
                p.get(f"{{{AC}}}name"): (p.text or "") for p in child.findall(f"{{{AC}}}parameter")
            }
            if name == "status":
                new = ET.Element("span", {"class": f"lozenge {params.get('colour', 'Grey')}"})
                new.text = params.get("title", "")
            else:
                new = ET.Element("span")
        elif tag == f"{{{AC}}}image":
            src = "data:image/png;base64," + base64.b64encode(png or b"").decode()
            new = ET.Element("img", {"src": src, "alt": "burn-up chart", "width": "640"})
        elif isinstance(tag, str) and tag.startswith("{"):
            new = ET.Element("span")
        else:
            _to_html(child, png)
            continue
        new.tail = child.tail
        el.remove(child)
        el.insert(i, new)


_ANCHOR = r'<ac:structured-macro[^>]*ac:name="anchor"[^>]*>\s*<ac:parameter ac:name="">{}</ac:parameter>\s*</ac:structured-macro>'  # noqa: E501
START_RE = re.compile(_ANCHOR.format(MANAGED_START))
END_RE = re.compile(_ANCHOR.format(MANAGED_END))
