"""Rendering: every template renders, the storage format parses as XML, key figures appear.

The report data is built from the demo seed without a sandbox (tests/budget/budgetdemo.py)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bridgeplugin.budget import collect_costs, format_money, load_budgets, sprint_report
from bridgeplugin.config import shipped_dir
from bridgeplugin.report.chart import burnup_png
from bridgeplugin.report.data import (
    GovernanceFacts,
    InitiativeFacts,
    PendingReview,
    ReportData,
    TaggedRequest,
)
from bridgeplugin.report.page import (
    AC,
    IndexEntry,
    PageRenderer,
    managed_block,
    storage_to_html,
    wrap_storage,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "budget"))
import budgetdemo

AS_OF = datetime(2026, 11, 24, 9, tzinfo=UTC)


def make_data(governance: GovernanceFacts | None = None) -> ReportData:
    book = load_budgets(shipped_dir("rules") / "budgets.yaml")
    costs = collect_costs(book, budgetdemo.issues(), groups=budgetdemo.groups())
    sprints = budgetdemo.sprints()
    report = sprint_report(book, sprints, costs, as_of=AS_OF, sprint="active")
    gov = governance or GovernanceFacts(
        tagged=(
            TaggedRequest("MKT-5", "Add Meta pixel", "Approved", "tracking", True, False, True),
            TaggedRequest("MKT-2", "Sync <HubSpot> & SF", "Approved", "integration", False, True),
        ),
        pending=(PendingReview("MKT-9", "Security review", "MKT-11", 34),),
        evaluated=True,
    )
    return ReportData(
        report=report,
        sprint=next(s for s in sprints if s.id == report.sprint.id),
        sprints=tuple(sprints),
        initiatives=(
            InitiativeFacts(
                "Customer data platform",
                (("IT", 2, 4), ("Marketing", 0, 4)),
                2,
                8,
                ("IT-11", "MKT-2"),
                ("Grace Liu",),
            ),
        ),
        governance=gov,
        jira_url="https://acme.atlassian.net",
    )


@pytest.fixture(scope="module")
def data() -> ReportData:
    return make_data()


def test_sprint_page_parses_and_carries_the_key_figures(data):
    inner = PageRenderer().managed(data)
    root = wrap_storage(managed_block(inner))
    text = "".join(root.itertext())
    total = data.report.total
    assert data.report.sprint.name == "IT Sprint 25"
    for figure in (total.amount, total.spent_to_date, total.remaining, total.spent_this_sprint):
        assert format_money(figure) in text
    for line in data.report.lines:
        assert line.name in text
    # Lozenges: one per line, the total, and the initiative's budget status at least.
    lozenges = [
        m for m in root.iter(f"{{{AC}}}structured-macro") if m.get(f"{{{AC}}}name") == "status"
    ]
    titles = {p.text for m in lozenges for p in m}
    assert "ON TRACK" in titles and "Green" in titles
    assert len(lozenges) >= len(data.report.lines) + 1
    # The chart is embedded as the attachment, with its data table beside it.
    att = root.find(f".//{{{AC}}}image/{{http://atlassian.com/resource/identifier}}attachment")
    assert att is not None and att.get("{http://atlassian.com/resource/identifier}filename") == (
        "burnup.png"
    )
    assert "IT Sprint 24" in text and "end of period" in text
    # Jira links, escaped user text, sections with real data.
    hrefs = {a.get("href") for a in root.iter("a")}
    assert "https://acme.atlassian.net/browse/MKT-11" in hrefs
    assert "Sync <HubSpot> & SF" in text
    assert "Customer data platform" in text and "2 / 8" in text
    assert "APPROVED WITHOUT REVIEWS" in titles
    assert "not evaluated" not in text


def test_sections_without_data_say_so_plainly():
    empty = GovernanceFacts(tagged=(), pending=(), evaluated=False)
    data = make_data(empty)
    data = ReportData(**{**data.__dict__, "initiatives": ()})
    text = "".join(wrap_storage(PageRenderer().managed(data)).itertext())
    assert "No request is tagged as marketing technology yet" in text
    assert "No issue carries an initiative yet" in text


def test_index_template_renders_every_entry_and_parses():
    entries = [
        IndexEntry(
            "Marketing x IT — IT Sprint 25", "IT Sprint 25", "USD 1 of USD 2", "AT RISK", "Yellow"
        ),
        IndexEntry("Marketing x IT — IT Sprint 24", "IT Sprint 24", "USD 1 & more", "OVER", "Red"),
    ]
    root = wrap_storage(PageRenderer().index(entries))
    text = "".join(root.itertext())
    assert "IT Sprint 24" in text and "USD 1 & more" in text and "AT RISK" in text
    empty = "".join(wrap_storage(PageRenderer().index([])).itertext())
    assert "No sprint page has been published yet" in empty


def test_preview_is_standalone_html_with_the_chart_inline(data):
    renderer = PageRenderer()
    png = burnup_png(data.report.series, title="t")
    html = renderer.preview(
        "Marketing x IT — IT Sprint 25", managed_block(renderer.managed(data)), png
    )
    assert html.startswith("<!DOCTYPE html>")
    assert "data:image/png;base64,iVBOR" in html
    assert "ac:" not in html and "ri:" not in html
    assert 'class="lozenge Green"' in html
    assert format_money(data.report.total.spent_to_date) in html


def test_storage_to_html_replaces_macros_and_keeps_text():
    html = storage_to_html(
        '<p>a <ac:structured-macro ac:name="status"><ac:parameter ac:name="title">OVER'
        '</ac:parameter><ac:parameter ac:name="colour">Red</ac:parameter>'
        "</ac:structured-macro> b</p>",
        None,
    )
    assert html == '<p>a <span class="lozenge Red">OVER</span> b</p>'


def test_chart_is_a_png_and_deterministic(data):
    a = burnup_png(data.report.series, title="x")
    b = burnup_png(data.report.series, title="x")
    assert a[:8] == b"\x89PNG\r\n\x1a\n"
    assert a == b  # same figures, same bytes: publish compares hashes
