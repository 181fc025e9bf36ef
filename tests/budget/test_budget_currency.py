"""One currency per line; mixing is an error unless the file gives a rate; rounding at the end."""

from __future__ import annotations

from decimal import Decimal

import pytest
from budgetkit import facts, moves, sprint, t, wl, yaml_text

from bridgeplugin.budget import (
    CurrencyMismatch,
    FxRates,
    Money,
    collect_costs,
    format_money,
    format_percent,
    read_budgets,
    sprint_report,
)
from bridgeplugin.budget.money import to_decimal
from bridgeplugin.errors import RuleFileError

D = Decimal

EUR_LINE = yaml_text(
    """
    kind: budgets
    currency: USD
    departments:
      it: {projects: [IT]}
    teams:
      it: {department: it, groups: [it], hourly_rate: 100}
    budgets:
      eu:
        initiative: EU rollout
        period: {start: 2026-01-05, end: 2026-02-01}
        amount: 8000
        currency: EUR
        split: {it: 100}
    """
)


def test_a_line_in_another_currency_than_the_rate_card_is_refused_without_a_rate():
    with pytest.raises(RuleFileError) as info:
        read_budgets(EUR_LINE, "budgets.yaml")
    err = info.value
    assert err.line == 12  # the line's own currency: the odd one out
    assert err.message == (
        "budgets.yaml:12: budgets.eu.currency: team 'it' (rate card, line 6) is in USD but "
        "budget line 'eu' is in EUR, and there is no exchange rate between them"
    )
    assert err.hint == "add fx: {USD/EUR: <rate>} (1 USD is <rate> EUR), or use one currency"


def test_a_cost_field_in_another_currency_is_refused_too():
    text = EUR_LINE.replace("hourly_rate: 100}", "hourly_rate: 100, currency: EUR}")
    with pytest.raises(RuleFileError) as info:
        read_budgets(text, "budgets.yaml")
    assert "costs.one_off (field 'Cost', line" in info.value.message
    assert "is in USD but budget line 'eu' is in EUR" in info.value.message


def test_with_a_rate_costs_are_converted_into_the_line_and_lines_into_the_report():
    # 1 EUR = 1.25 USD, so USD -> EUR divides by 1.25 (= x 0.8, exact).
    text = EUR_LINE + "fx: {EUR/USD: 1.25}\nreport_currency: USD\n"
    book = read_budgets(text)
    issues = [
        facts(
            "IT-1",
            initiative="EU rollout",
            status="Done",
            cost=500,  # USD, the Cost field's currency -> 400 EUR
            changelog=moves(("2026-01-06T10:00", "To Do", "Done")),
            worklogs=(wl("ada", "2026-01-07T10:00", 10),),  # 10 h x 100 USD = 1,000 -> 800 EUR
        )
    ]
    costs = collect_costs(book, issues, {"ada": ["it"]})
    sprints = [sprint(1, "2026-01-05T09:00", "2026-01-19T09:00")]
    r = sprint_report(book, sprints, costs, as_of=t("2026-01-20T00:00"))
    (line,) = r.lines
    assert line.currency == "EUR"
    assert line.spent_to_date == Money(D(1200), "EUR")  # 400 + 800
    assert line.amount == Money(D(8000), "EUR")
    # The total is in USD: 8,000 EUR x 1.25 = 10,000 USD; spent 1,200 EUR = 1,500 USD.
    assert r.currency == "USD"
    assert r.total.amount == Money(D(10000), "USD")
    assert r.total.spent_to_date == Money(D(1500), "USD")
    assert r.total.percent_used == D(15)  # the same share in either currency
    assert r.total.departments[0].agreed == Money(D(10000), "USD")


def test_lines_in_two_currencies_add_up_in_the_report_currency():
    text = EUR_LINE.replace(
        "  eu:\n",
        "  us:\n    initiative: US rollout\n"
        "    period: {start: 2026-01-05, end: 2026-02-01}\n"
        "    amount: 2000\n    split: {it: 100}\n  eu:\n",
    )
    text += "fx: {EUR/USD: 1.25}\nreport_currency: USD\n"
    book = read_budgets(text)
    costs = collect_costs(book, [], {})
    r = sprint_report(
        book,
        [sprint(1, "2026-01-05T09:00", "2026-01-19T09:00")],
        costs,
        as_of=t("2026-01-20T00:00"),
    )
    assert [x.currency for x in r.lines] == ["USD", "EUR"]
    assert r.total.amount == Money(D(12000), "USD")  # 2,000 + 8,000 x 1.25


def test_money_in_two_currencies_does_not_add():
    with pytest.raises(CurrencyMismatch):
        Money(D(1), "USD") + Money(D(1), "EUR")
    with pytest.raises(CurrencyMismatch, match=r"add fx: \{GBP/USD: <rate>\}"):
        FxRates({}).convert(D(1), "GBP", "USD")


def test_a_rate_converts_both_ways_but_is_not_chained():
    fx = FxRates({("EUR", "USD"): D("1.25"), ("USD", "JPY"): D(150)})
    assert fx.convert(D(100), "EUR", "USD") == D(125)
    assert fx.convert(D(125), "USD", "EUR") == D(100)
    assert not fx.can_convert("EUR", "JPY")  # only via USD: a rate nobody agreed to


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        ("1234.5", "USD", "USD 1,234.50"),
        ("0.125", "USD", "USD 0.13"),  # half-up
        ("-52", "USD", "USD -52.00"),
        ("1234.5", "JPY", "JPY 1,235"),  # no minor units
        ("1.2345", "KWD", "KWD 1.235"),  # three
        ("12000", "CLF", "CLF 12,000.0000"),  # four
    ],
)
def test_money_is_rounded_to_the_currencys_minor_units_only_when_shown(amount, currency, shown):
    money = Money(D(amount), currency)
    assert format_money(money) == shown
    assert money.amount == D(amount)  # the value itself is never rounded


def test_percent_and_missing_values_are_presented():
    assert format_percent(D("64.68")) == "64.7%"
    assert format_percent(None) == "—"
    assert format_money(None) == "—"


@pytest.mark.parametrize(
    ("raw", "value"),
    [(85, D(85)), (85.1, D("85.1")), ("1_000.50", D("1000.50")), (D("2.5"), D("2.5"))],
)
def test_numbers_become_decimals_through_their_text_never_through_binary_floats(raw, value):
    assert to_decimal(raw) == value
    assert str(to_decimal(85.1)) == "85.1"


@pytest.mark.parametrize("raw", [True, float("nan"), float("inf"), "lots", None, [1]])
def test_things_that_are_not_numbers_are_refused(raw):
    with pytest.raises(ValueError):
        to_decimal(raw)
