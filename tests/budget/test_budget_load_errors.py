"""Every broken budgets file is refused with file:line, what is wrong, and the fix."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from budgetkit import yaml_text

from bridgeplugin.budget import load_budgets, read_budgets
from bridgeplugin.errors import RuleFileError

# A valid file; each case below breaks one thing in it. Line numbers are of this text.
GOOD = yaml_text(
    """
    kind: budgets
    currency: USD
    departments:
      marketing: {projects: [MKT]}
      it: {projects: [IT]}
    teams:
      marketing: {department: marketing, groups: [marketing], hourly_rate: 85}
      it: {department: it, groups: [it-architecture], hourly_rate: 120}
    budgets:
      cdp:
        initiative: Customer data platform
        period: {start: 2026-09-01, end: 2026-12-31}
        amount: 120000
        split: {marketing: 60, it: 40}
      campaign:
        initiative: Autumn campaign 2026
        period: {start: 2026-09-01, end: 2026-12-31}
        amount: 85000
        split: {marketing: 70, it: 30}
    """
)


@dataclass
class Bad:
    name: str
    old: str  # text of GOOD to replace
    new: str
    line: int
    message: tuple[str, ...]
    hint: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.name


CASES = [
    Bad(
        "an unknown key in a line suggests the right one",
        "    amount: 120000\n",
        "    amout: 120000\n",
        13,
        ("budgets.cdp: unknown key 'amout'",),
        ("did you mean 'amount'?", "valid keys: amount, currency, description"),
    ),
    Bad(
        "an unknown top-level key suggests the right one",
        "budgets:\n",
        "budget:\n",
        9,
        ("unknown key 'budget'",),
        ("did you mean 'budgets'?",),
    ),
    Bad(
        "an unknown key in a team suggests the right one",
        "hourly_rate: 85}",
        "hourly: 85}",
        7,
        ("teams.marketing: unknown key 'hourly'",),
        ("did you mean 'hourly_rate'?",),
    ),
    Bad(
        "an unknown currency suggests the closest common code",
        "currency: USD\n",
        "currency: USX\n",
        2,
        ("unknown currency 'USX'",),
        ("did you mean 'USD'?", "ISO 4217"),
    ),
    Bad(
        "a currency in lower case asks for capitals",
        "    amount: 85000\n",
        "    amount: 85000\n    currency: eur\n",
        19,
        ("budgets.campaign.currency: unknown currency 'eur'",),
        ("write it in capitals: EUR",),
    ),
    Bad(
        "a negative amount is refused",
        "amount: 120000",
        "amount: -120000",
        13,
        ("budgets.cdp.amount: amount is negative (-120000)",),
        ("write it as a positive number",),
    ),
    Bad(
        "a zero amount is refused",
        "amount: 85000",
        "amount: 0",
        18,
        ("budgets.campaign.amount: amount is 0",),
    ),
    Bad(
        "a negative hourly rate is refused",
        "hourly_rate: 120}",
        "hourly_rate: -120}",
        8,
        ("teams.it.hourly_rate: hourly_rate is negative (-120)",),
    ),
    Bad(
        "a split that does not add up to 100 shows the sum",
        "split: {marketing: 70, it: 30}",
        "split: {marketing: 70, it: 20}",
        19,
        ("the split adds up to 90, not 100 (marketing 70 + it 20)",),
        ("the percents must sum to 100",),
    ),
    Bad(
        "a split naming an unknown department lists the departments",
        "split: {marketing: 60, it: 40}",
        "split: {marketting: 60, it: 40}",
        14,
        ("budgets.cdp.split.marketting: unknown department 'marketting'",),
        ("did you mean 'marketing'?", "departments in this file: marketing, it"),
    ),
    Bad(
        "overlapping periods of one initiative name both lines",
        "initiative: Autumn campaign 2026",
        "initiative: customer data platform",
        17,
        (
            "budgets.campaign.period: the period 2026-09-01 to 2026-12-31 overlaps budget line "
            "'cdp' (2026-09-01 to 2026-12-31, line 10) of the same initiative",
        ),
        ("must not share a day",),
    ),
    Bad(
        "periods of one initiative sharing only their boundary day overlap",
        "initiative: Autumn campaign 2026\n    period: {start: 2026-09-01, end: 2026-12-31}",
        "initiative: Customer data platform\n    period: {start: 2026-12-31, end: 2027-03-31}",
        17,
        ("overlaps budget line 'cdp' (2026-09-01 to 2026-12-31, line 10)",),
    ),
    Bad(
        "a period that ends before it starts",
        "period: {start: 2026-09-01, end: 2026-12-31}\n    amount: 85000",
        "period: {start: 2026-09-01, end: 2025-12-31}\n    amount: 85000",
        17,
        ("budgets.campaign.period.end: the period ends (2025-12-31) before it starts",),
        ("swap start and end",),
    ),
    Bad(
        "a date that is not a date",
        "end: 2026-12-31}\n    amount: 120000",
        "end: 2026-13-01}\n    amount: 120000",
        12,
        ("'2026-13-01' is not a valid date: month must be in 1..12",),
        ("write a date as YYYY-MM-DD",),
    ),
    Bad(
        "a quoted date that does not exist",
        "end: 2026-12-31}\n    amount: 120000",
        "end: '2026-02-30'}\n    amount: 120000",
        12,
        ("budgets.cdp.period.end: expected a date like 2026-09-01, got '2026-02-30'",),
    ),
    Bad(
        "an amount that is not a number",
        "amount: 120000",
        "amount: lots",
        13,
        ("budgets.cdp.amount: expected a number, got 'lots'",),
    ),
    Bad(
        "no currency anywhere",
        "currency: USD\n",
        "",
        6,
        ("teams.marketing: team 'marketing' has no currency",),
        ("write currency: USD (an ISO 4217 code) here or once at the top of the file",),
    ),
    Bad(
        "a rate card in another currency than the lines needs a rate",
        "hourly_rate: 85}",
        "hourly_rate: 85, currency: EUR}",
        7,
        (
            "teams.marketing.currency: team 'marketing' (rate card) is in EUR but budget line "
            "'cdp' (line 10) is in USD, and there is no exchange rate between them",
        ),
        ("add fx: {EUR/USD: <rate>}", "1 EUR is <rate> USD"),
    ),
    Bad(
        "lines in two currencies need a report currency",
        "    amount: 85000\n",
        "    amount: 85000\n    currency: EUR\n",
        1,
        ("the budget lines are in EUR, USD: the total needs one currency",),
        ("add report_currency: EUR",),
    ),
    Bad(
        "a line key that is not a slug",
        "  cdp:\n",
        "  CDP 2026:\n",
        10,
        ("'CDP 2026' is not a valid name",),
        ("lower-case letters",),
    ),
    Bad(
        "a line key written twice",
        "  campaign:\n",
        "  cdp:\n",
        15,
        ("key 'cdp' appears twice in one mapping (first on line 10)",),
    ),
    Bad(
        "a group in two teams",
        "groups: [it-architecture]",
        "groups: [it-architecture, marketing]",
        8,
        ("teams.it.groups[1]: group 'marketing' is already mapped to team 'marketing'",),
    ),
    Bad(
        "a team in an unknown department",
        "{department: it, groups",
        "{department: itt, groups",
        8,
        ("teams.it.department: unknown department 'itt'",),
        ("did you mean 'it'?",),
    ),
    Bad(
        "a project charged to two departments",
        "it: {projects: [IT]}",
        "it: {projects: [IT, MKT]}",
        5,
        ("project 'MKT' is already charged to department 'marketing'",),
    ),
    Bad(
        "an unknown time zone",
        "currency: USD\n",
        "currency: USD\ntime_zone: Europe/Berln\n",
        3,
        ("unknown time zone 'Europe/Berln'",),
        ("did you mean 'Europe/Berlin'?",),
    ),
    Bad(
        "an exchange rate that is not a pair",
        "currency: USD\n",
        "currency: USD\nfx: {EURUSD: 1.08}\n",
        3,
        ("fx.EURUSD: 'EURUSD' is not a currency pair",),
        ("write FROM/TO: rate",),
    ),
    Bad(
        "a negative exchange rate",
        "currency: USD\n",
        "currency: USD\nfx: {EUR/USD: -1.08}\n",
        3,
        ("the rate EUR/USD is negative",),
    ),
    Bad(
        "a milestone outside the period",
        "    split: {marketing: 60, it: 40}\n",
        "    split: {marketing: 60, it: 40}\n"
        "    milestones:\n      - {name: Live, date: 2027-01-15}\n",
        16,
        ("milestone 'Live' on 2027-01-15 is outside the period 2026-09-01 to 2026-12-31",),
    ),
    Bad(
        "capex and opex that do not divide the amount",
        "    split: {marketing: 60, it: 40}\n",
        "    split: {marketing: 60, it: 40}\n    expense: {capex: 50000, opex: 60000}\n",
        15,
        ("capex 50000 + opex 60000 = 110000, not the line's amount 120000",),
    ),
    Bad(
        "a timestamp where a day belongs",
        "end: 2026-12-31}\n    amount: 120000",
        "end: 2026-12-31T10:00:00}\n    amount: 120000",
        12,
        ("expected a date like 2026-09-01, got the timestamp",),
    ),
    Bad(
        "a file of another kind",
        "kind: budgets\n",
        "kind: tagging\n",
        1,
        ("this is a 'tagging' file, not a budgets file",),
        ("start the file with kind: budgets",),
    ),
    Bad(
        "a YAML boolean where a project key belongs asks for quotes",
        "projects: [MKT]",
        "projects: [NO]",
        4,
        ("expected text, got False",),
        ("write it in quotes: 'NO'",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_broken_file_is_refused_with_line_and_fix(case: Bad):
    assert case.old in GOOD, "the case must change the good file"
    text = GOOD.replace(case.old, case.new, 1)
    if case.name == "money in two currencies without a rate":
        # lines in two currencies, no report currency: the total cannot be added up
        text = text.replace("report_currency: USD\n", "").replace(
            "    amount: 85000\n", "    amount: 85000\n    currency: EUR\n"
        )
        text += "fx: {USD/EUR: 0.9}\n"
        message = ("the budget lines are in EUR, USD: the total needs one currency",)
        hint: tuple[str, ...] = ("add report_currency: EUR",)
    else:
        message, hint = case.message, case.hint
    with pytest.raises(RuleFileError) as info:
        read_budgets(text, "rules/budgets.yaml")
    err = info.value
    assert err.path == "rules/budgets.yaml"
    assert err.line == case.line, str(err)
    assert str(err).startswith(f"rules/budgets.yaml:{case.line}: "), str(err)
    for fragment in message:
        assert fragment in err.message, str(err)
    for fragment in hint:
        assert err.hint is not None and fragment in err.hint, str(err)


def test_the_good_file_loads():
    book = read_budgets(GOOD, "rules/budgets.yaml")
    assert [x.key for x in book.lines] == ["cdp", "campaign"]
    assert book.lines[0].line == 10  # where the line is defined, for messages elsewhere
    assert book.report_currency == "USD"


def test_periods_of_one_initiative_may_follow_each_other():
    text = GOOD.replace("initiative: Autumn campaign 2026", "initiative: Customer data platform")
    text = text.replace(
        "period: {start: 2026-09-01, end: 2026-12-31}\n    amount: 85000",
        "period: {start: 2027-01-01, end: 2027-06-30}\n    amount: 85000",
    )
    book = read_budgets(text)
    assert [
        (x.start.isoformat(), x.end.isoformat()) for x in book.lines_for("CUSTOMER DATA PLATFORM")
    ] == [
        ("2026-09-01", "2026-12-31"),
        ("2027-01-01", "2027-06-30"),
    ]


def test_a_missing_file_names_the_path(tmp_path):
    with pytest.raises(RuleFileError) as info:
        load_budgets(tmp_path / "nope.yaml")
    assert "nope.yaml" in str(info.value)
    assert "cannot read" in str(info.value)
