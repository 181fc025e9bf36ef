"""The shipped rules/budgets.yaml: loads, documents every key, fits the demo site's numbers."""

from __future__ import annotations

import re
import typing
from decimal import Decimal

import budgetdemo as demo
import pytest
from pydantic import BaseModel

from bridgeplugin.budget import Status, collect_costs, load_budgets, sprint_report
from bridgeplugin.budget.schema import BudgetsFileSpec
from bridgeplugin.config import shipped_dir
from bridgeplugin.rules import load_rules

D = Decimal
SHIPPED = shipped_dir("rules") / "budgets.yaml"


@pytest.fixture(scope="module")
def book():
    return load_budgets(SHIPPED)


@pytest.fixture(scope="module")
def costs(book):
    return collect_costs(book, demo.issues(), demo.groups())


def test_the_shipped_file_loads(book):
    assert [x.key for x in book.lines] == ["cdp-2026", "autumn-campaign-2026"]
    assert book.report_currency == "USD"


def test_its_lines_are_the_joint_budgets_on_the_demo_confluence_page(book):
    # "Shared initiatives 2026": <tr><td>Customer data platform</td>...<td>120000</td></tr>
    page = next(
        p
        for space in demo.seed()["confluence"]["spaces"]
        for p in space["pages"]
        if p["title"] == "Shared initiatives 2026"
    )
    rows = re.findall(r"<tr><td>([^<]+)</td><td>[^<]*</td><td>(\d+)</td></tr>", page["body"])
    assert {(x.initiative, x.amount) for x in book.lines} == {(n, D(a)) for n, a in rows}


def test_every_demo_initiative_has_a_line_and_every_worklog_is_priced(book, costs):
    initiatives = {
        i.issue.custom["Initiative"] for i in demo.issues() if "Initiative" in i.issue.custom
    }
    assert {x.initiative for x in book.lines} == initiatives
    assert costs.skipped == ()  # the rate card covers every group that logs work


def test_demo_figures_at_it_sprint_24(book, costs):
    r = sprint_report(book, demo.sprints(), costs, as_of=demo.CLOCK, sprint="IT Sprint 24")
    cdp, autumn = r.lines
    # CDP before 11-16 08:30: MKT-17 510 + 360 + 340; MKT-2 170 + Cost 4,800 (approved 11-04);
    # IT-10 600 + 720 + 170; IT-13 520 (security 4 h x 130) + 170; IT-12 720 + 600 = 9,680
    assert cdp.spent_to_date.amount == D(9680)
    # Autumn: MKT-33 Cost 6,500 (approved 09-16) + 850 + 680; MKT-9 340 + 170;
    # MKT-32 127.50 + Cost 15,000; IT-14 70 (1 h x 70); IT-15 600 + 360 + Cost 3,200 = 27,897.50
    assert autumn.spent_to_date.amount == D("27897.5")
    assert r.total.spent_to_date.amount == D("37577.5")
    # Requests still in review are the pipeline, not spend: MKT-21 Cost 1,500 (CDP), MKT-9
    # 2,500 and MKT-35 1,400 (Autumn).
    assert (cdp.pending_one_off.amount, autumn.pending_one_off.amount) == (D(1500), D(3900))
    assert {x.status for x in r.lines} == {Status.ON_TRACK}


def test_the_active_sprint_is_the_default_page(book, costs):
    r = sprint_report(book, demo.sprints(), costs, as_of=demo.CLOCK)
    assert r.sprint.name == "IT Sprint 25"
    assert not r.sprint.finished
    assert r.total.burn_sprints == ("IT Sprint 22", "IT Sprint 23", "IT Sprint 24")
    # IT Sprint 26 is future: it only places the forecast on the chart.
    assert [p.label for p in r.series.points if p.kind == "forecast"] == ["IT Sprint 26"]


def test_the_tagging_loader_skips_the_budgets_file():
    rules = load_rules(shipped_dir("rules"))
    assert str(SHIPPED) not in rules.files


def _keys(model: type[BaseModel]) -> set[str]:
    out: set[str] = set()
    for name, info in model.model_fields.items():
        out.add(info.alias or name)
        stack = [info.annotation]
        while stack:
            tp = stack.pop()
            if isinstance(tp, type) and issubclass(tp, BaseModel):
                out |= _keys(tp)
            stack.extend(typing.get_args(tp))
    return out


def test_every_key_of_the_format_is_shown_in_the_shipped_file():
    text = SHIPPED.read_text(encoding="utf-8")
    missing = sorted(k for k in _keys(BudgetsFileSpec) if not re.search(rf"\b{k}:", text))
    assert missing == []
