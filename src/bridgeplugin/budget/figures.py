"""Sprint figures for the joint budget: pure arithmetic on a budget book, sprints and costs.

:func:`sprint_report` takes the :class:`~.book.BudgetBook`, the board's sprints (closed,
active, and future ones for the forecast's x axis), the :class:`~.costs.Costs` and the clock
(``as_of``), and returns a frozen :class:`SprintReport` a template and a chart use as is.
Money is ``Decimal`` throughout, unrounded; :class:`~.money.Money` rounds when printed.

Definitions (``S``/``E`` first/last day of a line's period, ``N = E - S + 1`` its days; days are
local days in the file's ``time_zone``):

Sprint window
    ``[start, end)`` with ``end`` the completion time of a closed sprint (else its planned end);
    a sprint still running at ``as_of`` is cut at ``as_of`` (its *cutoff*). ``R``, the sprint's
    *report day*, is the local day of the cutoff: figures are "at the start of day R", i.e.
    everything through ``R - 1`` (for a two-week sprint ending Monday 09:00, the Sunday).
    A sprint is *finished* when its end is at or before ``as_of``.
Spent this sprint
    charges (one-off costs, priced worklogs) dated in ``[start, cutoff)`` on a day of the period,
    plus subscription accrual for the window's days ``[day(start), R)`` inside the period.
Spent to date
    charges dated before the cutoff on a day of the period, plus subscription accrual for the
    period's days before ``R``. (Time-based, so a cost logged between two sprints — after one
    closed, before the next started — still counts here, though in no sprint's "this sprint".)
Subscription accrual
    ``days active in the range x monthly x 12 / 365`` (one division; every year has 365 days
    here, as the rate card's "per month" does not know leap years).
Remaining
    ``amount - spent to date`` (negative when over).
Percent used / elapsed
    ``spent to date x 100 / amount``; ``clamp(R - S, 0, N) x 100 / N``.
Burn rate
    mean spend of the last three *finished* sprints up to the reported one that overlap the
    period (fewer when fewer exist; none: no burn rate and no forecast). A running sprint is
    left out: half a sprint's spend is not a sprint's burn.
Forecast exhaustion date
    with ``spend`` and ``days`` the sums over the burn sprints, ``ref = max(R, S)``:
    ``ref + floor(remaining x days / spend)`` — the day during which (or at whose start) the
    money runs out at the burn rate's daily pace. None without burn; ``exhausted`` when
    ``remaining <= 0``.
Estimate at completion (EAC)
    ``spent to date + spend x days_left / days`` with ``days_left = max(0, E + 1 - ref)``, i.e.
    spent + burn rate x remaining sprints, ``remaining sprints = days_left x n / days``.
Status
    *over* when spent to date > amount; else *at risk* when ``percent used - percent elapsed >
    at_risk_points`` or (``at_risk_on_early_exhaustion`` and the exhaustion date is on or
    before ``E``); else *on track*. ``reasons`` says which.
Split by department
    agreed percent and amount (``amount x percent / 100``) against actual spend to date and this
    sprint, and each department's share of the spend.
Change
    every figure minus the same figure at the previous started sprint, computed from today's
    data (so a worklog logged late into an old sprint moves both).
Total
    lines converted to ``report_currency`` with the file's rates and summed; percent elapsed is
    the amount-weighted elapsed share (= planned spend / amount); a line without a burn rate
    adds its spend to date to the EAC; the status is the worst line's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum
from typing import Literal

from ..errors import InputError
from ..model import Sprint
from .book import BudgetBook, BudgetLine
from .costs import Charge, Costs, Pending, Skipped, Subscription
from .money import Money

__all__ = [
    "Change",
    "CostItem",
    "DepartmentFigures",
    "ExpenseFigures",
    "LineFigures",
    "MilestoneFigures",
    "Series",
    "SeriesPoint",
    "SprintReport",
    "SprintWindow",
    "Status",
    "pick_sprint",
    "sprint_report",
    "sprint_windows",
]

HUNDRED = Decimal(100)
MONTHS_PER_YEAR = Decimal(12)
DAYS_PER_YEAR = Decimal(365)
BURN_SPRINTS = 3


class Status(StrEnum):
    ON_TRACK = "on track"
    AT_RISK = "at risk"
    OVER = "over"

    @property
    def label(self) -> str:
        return self.value

    @property
    def colour(self) -> str:
        """The Confluence status-lozenge colour."""
        return {"on track": "Green", "at risk": "Yellow", "over": "Red"}[self.value]

    @property
    def rank(self) -> int:
        return {"on track": 0, "at risk": 1, "over": 2}[self.value]


# -- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SprintWindow:
    """A sprint as the figures see it (see the module docstring for the definitions)."""

    id: int
    name: str
    state: str
    start: datetime
    end: datetime | None  # completion (closed) or planned end
    cutoff: datetime  # min(end, as_of); as_of for a running sprint
    finished: bool
    first_day: date  # local day of start
    report_day: date  # R: local day of the cutoff; figures count days before it
    started: bool = True

    @property
    def days(self) -> int:
        return max(0, (self.report_day - self.first_day).days)


@dataclass(frozen=True)
class CostItem:
    """One piece of spend, in the currency of the line it counts for, and why it counts."""

    kind: Literal["one-off", "worklog", "subscription"]
    source: str  # issue key, or subscriptions.<key>
    initiative: str
    amount: Money
    department: str | None
    expense: str
    why: str


@dataclass(frozen=True)
class DepartmentFigures:
    key: str | None  # None: spend no department is charged with
    name: str
    agreed_percent: Decimal | None
    agreed: Money | None
    spent_this_sprint: Money
    spent_to_date: Money
    share_percent: Decimal | None  # of the line's spend to date
    remaining: Money | None  # agreed - spent to date


@dataclass(frozen=True)
class ExpenseFigures:
    kind: Literal["capex", "opex"]
    budget: Money | None
    spent_to_date: Money
    remaining: Money | None


@dataclass(frozen=True)
class MilestoneFigures:
    name: str
    date: date
    planned_spend: Money | None
    reached: bool  # the day is over at the report day
    spent_by: Money | None  # actual spend through that day (reached milestones)
    forecast_by: Money | None  # at the burn rate (milestones still ahead)
    variance: Money | None  # (spent_by or forecast_by) - planned_spend


@dataclass(frozen=True)
class Change:
    """Figures minus those at the previous sprint."""

    previous_sprint: str
    spent_to_date: Money
    remaining: Money
    percent_used: Decimal  # points
    percent_elapsed: Decimal  # points
    burn_rate: Money | None
    eac: Money | None
    forecast_exhaustion_days: int | None  # positive: the money lasts longer than it did
    status_before: Status
    status_after: Status

    @property
    def status_changed(self) -> bool:
        return self.status_before is not self.status_after


@dataclass(frozen=True)
class SeriesPoint:
    """One x position of the burn-up chart, at the start of day ``at``."""

    label: str
    at: date
    kind: Literal["start", "actual", "forecast", "end"]
    spent: Money | None  # cumulative actual spend (None for points in the future)
    budget: Money
    planned: Money  # linear plan: amount x elapsed share
    forecast: Money | None  # forecast line, from the last actual point on


@dataclass(frozen=True)
class Series:
    currency: str
    points: tuple[SeriesPoint, ...]

    @property
    def labels(self) -> list[str]:
        return [p.label for p in self.points]


@dataclass(frozen=True)
class LineFigures:
    """Figures of one budget line (or of the total) at one sprint."""

    key: str  # the line's key; "total" for the total
    name: str
    initiative: str | None  # None for the total
    currency: str
    start: date
    end: date
    amount: Money
    spent_this_sprint: Money
    spent_to_date: Money
    remaining: Money
    percent_used: Decimal
    percent_elapsed: Decimal
    burn_rate: Money | None
    burn_sprints: tuple[str, ...]  # names of the sprints the burn rate is the mean of
    remaining_days: int
    remaining_sprints: Decimal | None
    forecast_exhaustion: date | None
    exhausted: bool
    eac: Money | None
    variance_at_completion: Money | None  # amount - EAC (negative: forecast overrun)
    status: Status
    reasons: tuple[str, ...]
    departments: tuple[DepartmentFigures, ...]
    expense: tuple[ExpenseFigures, ...]
    milestones: tuple[MilestoneFigures, ...]
    pending_one_off: Money
    pending_monthly: Money
    items: tuple[CostItem, ...]  # what was spent this sprint
    change: Change | None
    series: Series
    is_total: bool = False

    @property
    def points_ahead(self) -> Decimal:
        """Percent used minus percent elapsed (positive: spending ahead of time)."""
        return self.percent_used - self.percent_elapsed


@dataclass(frozen=True)
class SprintReport:
    sprint: SprintWindow
    previous: SprintWindow | None
    as_of: datetime
    currency: str  # of the total
    lines: tuple[LineFigures, ...]
    total: LineFigures
    series: Series  # the total's burn-up
    sprints: tuple[SprintWindow, ...]  # started sprints up to the reported one
    unbudgeted: tuple[CostItem, ...]  # spend this sprint on initiatives no line covers
    pending: tuple[Pending, ...]
    skipped: tuple[Skipped, ...]


# -- sprints ------------------------------------------------------------------------------------


def _aware(t: datetime) -> datetime:
    # Jira sends offsets; a naive value (hand-made test data) is read as UTC.
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def sprint_windows(
    sprints: Iterable[Sprint], *, as_of: datetime, book: BudgetBook
) -> tuple[SprintWindow, ...]:
    """Windows of the sprints that have dates, ordered by start (future ones too)."""
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    tz = book.tz
    out = []
    for s in sorted(sprints, key=_order):
        if s.start_date is None:
            continue  # never planned: nothing to place
        start = _aware(s.start_date)
        end_raw = s.complete_date if s.state == "closed" and s.complete_date else s.end_date
        end = _aware(end_raw) if end_raw is not None else None
        # A future sprint has planned dates but has not started until someone starts it.
        started = s.state != "future" and start <= as_of
        if started:
            finished = end is not None and end <= as_of
            cutoff = end if finished and end is not None else as_of
        else:
            if end is None:
                continue  # a future sprint without dates cannot be placed on the chart
            finished = False
            cutoff = end
        out.append(
            SprintWindow(
                id=s.id,
                name=s.name,
                state=s.state,
                start=start,
                end=end,
                cutoff=cutoff,
                finished=finished,
                first_day=start.astimezone(tz).date(),
                report_day=cutoff.astimezone(tz).date(),
                started=started,
            )
        )
    return tuple(out)


def _order(s: Sprint) -> tuple[datetime, int]:
    return (_aware(s.start_date) if s.start_date else datetime.max.replace(tzinfo=UTC), s.id)


def _has_started(s: Sprint, as_of: datetime) -> bool:
    return s.state != "future" and s.start_date is not None and _aware(s.start_date) <= as_of


def pick_sprint(sprints: Sequence[Sprint], which: str | int | None, *, as_of: datetime) -> Sprint:
    """The sprint ``which`` names: None (the latest started), ``active``, ``closed-last``, an
    id, or a name (case-insensitive). InputError lists the choices when none matches."""
    dated = sorted(
        (s for s in sprints if _has_started(s, as_of)),
        key=_order,
    )
    names = ", ".join(s.name for s in dated) or "none"
    found: Sprint | None = None
    if which is None:
        found = dated[-1] if dated else None
    elif which == "active":
        found = next((s for s in reversed(dated) if s.state == "active"), None)
    elif which == "closed-last":
        found = next((s for s in reversed(dated) if s.state == "closed"), None)
    else:
        text = str(which).strip()
        for s in sprints:
            if (text.isdigit() and s.id == int(text)) or s.name.casefold() == text.casefold():
                found = s
                break
        if found is not None and not _has_started(found, as_of):
            raise InputError(
                f"sprint {found.name!r} has not started yet: it has no figures",
                hint=f"started sprints: {names}",
            )
    if found is None:
        raise InputError(
            f"no sprint matches {which!r}" if which is not None else "no sprint has started yet",
            hint=f"use active, closed-last, a sprint id or one of: {names}",
        )
    return found


# -- one line's ledger --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Snap:
    """A line's numbers at one sprint (Decimals in the line's currency)."""

    window: SprintWindow
    to_date: Decimal
    this: Decimal
    items_this: tuple[CostItem, ...]
    items_to_date: tuple[CostItem, ...]
    burn_windows: tuple[SprintWindow, ...]
    burn_spend: Decimal  # sum over the burn windows
    burn_days: int
    ref: date  # max(R, S): where forecasts start
    elapsed_days: int
    days_left: int

    @property
    def burn(self) -> Decimal | None:
        if not self.burn_windows:
            return None
        return self.burn_spend / len(self.burn_windows)

    @property
    def can_forecast(self) -> bool:
        return bool(self.burn_windows) and self.burn_days > 0


class _Ledger:
    """The costs of one line, converted into its currency, ready to be summed by window."""

    def __init__(self, line: BudgetLine, book: BudgetBook, costs: Costs) -> None:
        self.line = line
        tz = book.tz
        fx = book.fx
        self.charges: list[tuple[Charge, date, Decimal]] = []
        for c in costs.charges:
            day = _aware(c.at).astimezone(tz).date()
            if _same(c.initiative, line.initiative) and line.covers(day):
                self.charges.append((c, day, fx.convert(c.amount, c.currency, line.currency)))
        self.subs: list[tuple[Subscription, Decimal]] = [
            (s, fx.convert(s.monthly, s.currency, line.currency))
            for s in costs.subscriptions
            if _same(s.initiative, line.initiative)
        ]

    def money(self, amount: Decimal) -> Money:
        return Money(amount, self.line.currency)

    def items(self, t0: datetime | None, t1: datetime, d0: date | None, d1: date) -> list[CostItem]:
        """Charges dated in [t0, t1) and subscription accrual for days [d0, d1), all within
        the period (``None`` = from the beginning)."""
        out: list[CostItem] = []
        for c, _day, amount in self.charges:
            at = _aware(c.at)
            if (t0 is None or at >= t0) and at < t1:
                out.append(
                    CostItem(
                        c.kind,
                        c.issue_key,
                        c.initiative,
                        self.money(amount),
                        c.department,
                        c.expense,
                        c.why,
                    )
                )
        out.extend(self.accrual(d0, d1))
        return out

    def accrual(self, d0: date | None, d1: date) -> list[CostItem]:
        """Subscription accrual for the period's days in [d0, d1), one item per subscription."""
        line = self.line
        lo = line.start if d0 is None else max(d0, line.start)
        hi = min(d1, line.end + timedelta(days=1))
        out: list[CostItem] = []
        for s, monthly in self.subs:
            s_lo = max(lo, s.start)
            s_hi = hi if s.end is None else min(hi, s.end + timedelta(days=1))
            days = (s_hi - s_lo).days
            if days <= 0:
                continue
            # days x monthly x 12 / 365 with a single division, so whole results stay exact.
            amount = days * monthly * MONTHS_PER_YEAR / DAYS_PER_YEAR
            out.append(
                CostItem(
                    "subscription",
                    s.source,
                    s.initiative,
                    self.money(amount),
                    s.department,
                    s.expense,
                    f"{s.why}: {days} days x {monthly} x 12 / 365",
                )
            )
        return out

    def spent_through(self, day: date) -> Decimal:
        """Spend on the period's days up to and including ``day`` (for milestones)."""
        charges = sum((amount for _c, d, amount in self.charges if d <= day), Decimal(0))
        return charges + _sum(self.accrual(None, day + timedelta(days=1)))

    def snap(self, windows: Sequence[SprintWindow], i: int) -> _Snap:
        line = self.line
        w = windows[i]
        r = w.report_day
        to_date_items = self.items(None, w.cutoff, None, r)
        this_items = self.items(w.start, w.cutoff, w.first_day, r)
        overlapping = [
            x
            for x in windows[: i + 1]
            if x.finished and x.first_day <= line.end and x.report_day > line.start
        ]
        burn_windows = tuple(overlapping[-BURN_SPRINTS:])
        burn_spend = sum(
            (_sum(self.items(x.start, x.cutoff, x.first_day, x.report_day)) for x in burn_windows),
            Decimal(0),
        )
        ref = max(r, line.start)
        return _Snap(
            window=w,
            to_date=_sum(to_date_items),
            this=_sum(this_items),
            items_this=tuple(this_items),
            items_to_date=tuple(to_date_items),
            burn_windows=burn_windows,
            burn_spend=burn_spend,
            burn_days=sum(x.days for x in burn_windows),
            ref=ref,
            elapsed_days=min(max((r - line.start).days, 0), line.days),
            days_left=max(0, (line.end + timedelta(days=1) - ref).days),
        )

    def forecast_at(self, snap: _Snap, day: date) -> Decimal | None:
        """Cumulative spend forecast at the start of ``day`` (flat after the period ends)."""
        if not snap.can_forecast:
            return None
        end = self.line.end + timedelta(days=1)
        days = (min(max(day, snap.ref), end) - snap.ref).days
        return snap.to_date + snap.burn_spend * days / snap.burn_days

    def planned_at(self, day: date) -> Decimal:
        line = self.line
        elapsed = min(max((day - line.start).days, 0), line.days)
        return line.amount * elapsed / line.days


def _same(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def _sum(items: Iterable[CostItem]) -> Decimal:
    return sum((i.amount.amount for i in items), Decimal(0))


def _floor(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def _add_days(day: date, days: int) -> date | None:
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return None  # the money lasts past the year 9999: no date worth printing


# -- the figures of one line --------------------------------------------------------------------


@dataclass(frozen=True)
class _Core:
    """The headline numbers of a line at one sprint; shared by the line, its change and the
    total."""

    amount: Decimal
    to_date: Decimal
    this: Decimal
    remaining: Decimal
    percent_used: Decimal
    percent_elapsed: Decimal
    burn: Decimal | None
    remaining_sprints: Decimal | None
    exhaustion: date | None
    exhausted: bool
    eac: Decimal | None
    status: Status
    reasons: tuple[str, ...]


def _core(line: BudgetLine, snap: _Snap) -> _Core:
    amount = line.amount
    remaining = amount - snap.to_date
    used = snap.to_date * HUNDRED / amount
    elapsed = Decimal(snap.elapsed_days) * HUNDRED / line.days
    exhausted = remaining <= 0
    exhaustion: date | None = None
    eac: Decimal | None = None
    remaining_sprints: Decimal | None = None
    if snap.can_forecast:
        eac = snap.to_date + snap.burn_spend * snap.days_left / snap.burn_days
        remaining_sprints = Decimal(snap.days_left) * len(snap.burn_windows) / snap.burn_days
        if not exhausted and snap.burn_spend > 0:
            exhaustion = _add_days(snap.ref, _floor(remaining * snap.burn_days / snap.burn_spend))
    status, reasons = _status(line, snap.to_date, used, elapsed, exhaustion)
    return _Core(
        amount=amount,
        to_date=snap.to_date,
        this=snap.this,
        remaining=remaining,
        percent_used=used,
        percent_elapsed=elapsed,
        burn=snap.burn,
        remaining_sprints=remaining_sprints,
        exhaustion=exhaustion,
        exhausted=exhausted,
        eac=eac,
        status=status,
        reasons=reasons,
    )


def _status(
    line: BudgetLine, spent: Decimal, used: Decimal, elapsed: Decimal, exhaustion: date | None
) -> tuple[Status, tuple[str, ...]]:
    cur = line.currency
    if spent > line.amount:
        return Status.OVER, (
            f"spent {Money(spent, cur)} is more than the amount {Money(line.amount, cur)} "
            f"(by {Money(spent - line.amount, cur)})",
        )
    t = line.thresholds
    reasons = []
    ahead = used - elapsed
    if ahead > t.at_risk_points:
        reasons.append(
            f"{_pct(used)} used with {_pct(elapsed)} of the period elapsed: "
            f"{_pts(ahead)} points ahead, more than the {t.at_risk_points} allowed"
        )
    if t.at_risk_on_early_exhaustion and exhaustion is not None and exhaustion <= line.end:
        reasons.append(
            f"at the burn rate the money runs out on {exhaustion}, before the period ends on "
            f"{line.end}"
        )
    if reasons:
        return Status.AT_RISK, tuple(reasons)
    return Status.ON_TRACK, (
        f"{_pct(used)} used with {_pct(elapsed)} of the period elapsed"
        + (f"; the money lasts until {exhaustion}" if exhaustion else ""),
    )


def _pct(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.1'))}%"


def _pts(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.1'))}"


def _departments(line: BudgetLine, book: BudgetBook, snap: _Snap) -> tuple[DepartmentFigures, ...]:
    cur = line.currency
    keys: list[str | None] = list(line.split)
    for item in snap.items_to_date:
        if item.department not in keys:
            keys.append(item.department)
    out = []
    for key in keys:
        spent = _sum(i for i in snap.items_to_date if i.department == key)
        this = _sum(i for i in snap.items_this if i.department == key)
        share = line.split.get(key) if key is not None else None
        agreed = line.amount * share / HUNDRED if share is not None else None
        out.append(
            DepartmentFigures(
                key=key,
                name=book.department_name(key),
                agreed_percent=share,
                agreed=Money(agreed, cur) if agreed is not None else None,
                spent_this_sprint=Money(this, cur),
                spent_to_date=Money(spent, cur),
                share_percent=spent * HUNDRED / snap.to_date if snap.to_date else None,
                remaining=Money(agreed - spent, cur) if agreed is not None else None,
            )
        )
    return tuple(out)


def _expense(line: BudgetLine, snap: _Snap) -> tuple[ExpenseFigures, ...]:
    cur = line.currency
    out = []
    kinds: tuple[Literal["capex", "opex"], ...] = ("capex", "opex")
    for kind in kinds:
        spent = _sum(i for i in snap.items_to_date if i.expense == kind)
        budget = line.expense[kind] if line.expense is not None else None
        out.append(
            ExpenseFigures(
                kind=kind,
                budget=Money(budget, cur) if budget is not None else None,
                spent_to_date=Money(spent, cur),
                remaining=Money(budget - spent, cur) if budget is not None else None,
            )
        )
    return tuple(out)


def _milestones(ledger: _Ledger, snap: _Snap) -> tuple[MilestoneFigures, ...]:
    cur = ledger.line.currency
    out = []
    for m in ledger.line.milestones:
        reached = m.date < snap.window.report_day
        spent = ledger.spent_through(m.date) if reached else None
        forecast = None if reached else ledger.forecast_at(snap, m.date + timedelta(days=1))
        basis = spent if spent is not None else forecast
        variance = (
            basis - m.planned_spend if basis is not None and m.planned_spend is not None else None
        )
        out.append(
            MilestoneFigures(
                name=m.name,
                date=m.date,
                planned_spend=Money(m.planned_spend, cur) if m.planned_spend is not None else None,
                reached=reached,
                spent_by=Money(spent, cur) if spent is not None else None,
                forecast_by=Money(forecast, cur) if forecast is not None else None,
                variance=Money(variance, cur) if variance is not None else None,
            )
        )
    return tuple(out)


def _change(now: _Core, before: _Core, previous: SprintWindow, cur: str) -> Change:
    def opt(a: Decimal | None, b: Decimal | None) -> Money | None:
        return Money(a - b, cur) if a is not None and b is not None else None

    shift = None
    if now.exhaustion is not None and before.exhaustion is not None:
        shift = (now.exhaustion - before.exhaustion).days
    return Change(
        previous_sprint=previous.name,
        spent_to_date=Money(now.to_date - before.to_date, cur),
        remaining=Money(now.remaining - before.remaining, cur),
        percent_used=now.percent_used - before.percent_used,
        percent_elapsed=now.percent_elapsed - before.percent_elapsed,
        burn_rate=opt(now.burn, before.burn),
        eac=opt(now.eac, before.eac),
        forecast_exhaustion_days=shift,
        status_before=before.status,
        status_after=now.status,
    )


def _line_series(ledger: _Ledger, snaps: Sequence[_Snap], future: Sequence[SprintWindow]) -> Series:
    line = ledger.line
    cur = line.currency
    budget = Money(line.amount, cur)
    current = snaps[-1]
    points = [
        SeriesPoint(
            "period start", line.start, "start", Money.zero(cur), budget, Money.zero(cur), None
        )
    ]
    for snap in snaps:
        w = snap.window
        if w.report_day <= line.start or w.first_day > line.end:
            continue  # the sprint does not touch the period
        forecast = Money(snap.to_date, cur) if snap is current and current.can_forecast else None
        points.append(
            SeriesPoint(
                w.name,
                w.report_day,
                "actual",
                Money(snap.to_date, cur),
                budget,
                Money(ledger.planned_at(w.report_day), cur),
                forecast,
            )
        )
    end = line.end + timedelta(days=1)
    for w in future:
        # Only sprints ending inside the period, after the report day, place a forecast.
        if max(current.window.report_day, line.start) < w.report_day < end:
            value = ledger.forecast_at(current, w.report_day)
            points.append(
                SeriesPoint(
                    w.name,
                    w.report_day,
                    "forecast",
                    None,
                    budget,
                    Money(ledger.planned_at(w.report_day), cur),
                    Money(value, cur) if value is not None else None,
                )
            )
    if current.window.report_day < end:
        value = ledger.forecast_at(current, end)
        points.append(
            SeriesPoint(
                "end of period",
                end,
                "end",
                None,
                budget,
                budget,
                Money(value, cur) if value is not None else None,
            )
        )
    return Series(cur, tuple(points))


def _line_figures(
    ledger: _Ledger,
    book: BudgetBook,
    snaps: Sequence[_Snap],
    cores: Sequence[_Core],
    future: Sequence[SprintWindow],
    pending: Sequence[Pending],
) -> LineFigures:
    line = ledger.line
    cur = line.currency
    snap, core = snaps[-1], cores[-1]
    change = None
    if len(snaps) > 1:
        change = _change(core, cores[-2], snaps[-2].window, cur)
    last_day = snap.window.report_day - timedelta(days=1)
    mine = [p for p in pending if _same(p.initiative, line.initiative) and line.covers(last_day)]
    one_off = sum(
        (book.fx.convert(p.amount, p.currency, cur) for p in mine if p.kind == "one-off"),
        Decimal(0),
    )
    monthly = sum(
        (book.fx.convert(p.amount, p.currency, cur) for p in mine if p.kind == "monthly"),
        Decimal(0),
    )
    return LineFigures(
        key=line.key,
        name=line.name,
        initiative=line.initiative,
        currency=cur,
        start=line.start,
        end=line.end,
        amount=Money(line.amount, cur),
        spent_this_sprint=Money(core.this, cur),
        spent_to_date=Money(core.to_date, cur),
        remaining=Money(core.remaining, cur),
        percent_used=core.percent_used,
        percent_elapsed=core.percent_elapsed,
        burn_rate=Money(core.burn, cur) if core.burn is not None else None,
        burn_sprints=tuple(w.name for w in snap.burn_windows),
        remaining_days=snap.days_left,
        remaining_sprints=core.remaining_sprints,
        forecast_exhaustion=core.exhaustion,
        exhausted=core.exhausted,
        eac=Money(core.eac, cur) if core.eac is not None else None,
        variance_at_completion=Money(line.amount - core.eac, cur) if core.eac is not None else None,
        status=core.status,
        reasons=core.reasons,
        departments=_departments(line, book, snap),
        expense=_expense(line, snap),
        milestones=_milestones(ledger, snap),
        pending_one_off=Money(one_off, cur),
        pending_monthly=Money(monthly, cur),
        items=snap.items_this,
        change=change,
        series=_line_series(ledger, snaps, future),
    )


# -- the total ----------------------------------------------------------------------------------


def _total(
    book: BudgetBook,
    ledgers: Sequence[_Ledger],
    all_snaps: Sequence[Sequence[_Snap]],
    all_cores: Sequence[Sequence[_Core]],
    lines: Sequence[LineFigures],
    windows: Sequence[SprintWindow],
    future: Sequence[SprintWindow],
) -> LineFigures:
    cur = book.report_currency
    fx = book.fx
    rows = list(zip(ledgers, all_snaps, all_cores, strict=True))

    def conv(amount: Decimal, line: BudgetLine) -> Decimal:
        return fx.convert(amount, line.currency, cur)

    def money(amount: Decimal) -> Money:
        return Money(amount, cur)

    def msum(values: Iterable[Money]) -> Decimal:
        return sum((fx.money(v, cur).amount for v in values), Decimal(0))

    amount = sum((conv(x.line.amount, x.line) for x in ledgers), Decimal(0))
    start = min(x.line.start for x in ledgers)
    end = max(x.line.end for x in ledgers)
    end_day = end + timedelta(days=1)

    @dataclass(frozen=True)
    class At:
        to_date: Decimal
        this: Decimal
        planned: Decimal
        burn: Decimal | None
        eac: Decimal | None  # None when no line can forecast
        exhaustion: date | None
        status: Status

    def at(j: int) -> At:
        to_date = this = planned = eac = daily = Decimal(0)
        burn: Decimal | None = None
        for ledger, snaps, cores in rows:
            line, snap, core = ledger.line, snaps[j], cores[j]
            to_date += conv(snap.to_date, line)
            this += conv(snap.this, line)
            planned += conv(ledger.planned_at(snap.window.report_day), line)
            if core.burn is not None:
                burn = (burn or Decimal(0)) + conv(core.burn, line)
            # A line that cannot forecast yet adds what it has spent (documented above).
            eac += conv(core.eac if core.eac is not None else snap.to_date, line)
            if snap.can_forecast:
                # The joint daily pace: each line's burn spend over its burn days.
                daily += conv(snap.burn_spend, line) / snap.burn_days
        forecasting = any(snaps[j].can_forecast for _, snaps, _ in rows)
        worst = max((cores[j].status for _, _, cores in rows), key=lambda s: s.rank)
        remaining = amount - to_date
        exhaustion = None
        if remaining > 0 and daily > 0:
            ref = max(windows[j].report_day, start)
            exhaustion = _add_days(ref, _floor(remaining / daily))
        return At(to_date, this, planned, burn, eac if forecasting else None, exhaustion, worst)

    k = len(windows) - 1
    now = at(k)
    remaining = amount - now.to_date
    r = windows[k].report_day
    ref = max(r, start)
    reasons = tuple(
        f"{x.name} is {x.status.label}: {'; '.join(x.reasons)}"
        for x in lines
        if x.status is not Status.ON_TRACK
    ) or ("every line is on track",)
    if now.eac is not None and any(not snaps[k].can_forecast for _, snaps, _ in rows):
        reasons += ("the EAC counts only the spend to date of lines without a burn rate yet",)
    sprints_left = [x.remaining_sprints for x in lines if x.remaining_sprints is not None]

    change = None
    if k > 0:
        before = at(k - 1)
        change = Change(
            previous_sprint=windows[k - 1].name,
            spent_to_date=money(now.to_date - before.to_date),
            remaining=money(before.to_date - now.to_date),
            percent_used=(now.to_date - before.to_date) * HUNDRED / amount,
            percent_elapsed=(now.planned - before.planned) * HUNDRED / amount,
            burn_rate=(
                money(now.burn - before.burn)
                if now.burn is not None and before.burn is not None
                else None
            ),
            eac=(
                money(now.eac - before.eac)
                if now.eac is not None and before.eac is not None
                else None
            ),
            forecast_exhaustion_days=(
                (now.exhaustion - before.exhaustion).days
                if now.exhaustion is not None and before.exhaustion is not None
                else None
            ),
            status_before=before.status,
            status_after=now.status,
        )

    def departments() -> tuple[DepartmentFigures, ...]:
        keys: list[str | None] = []
        for x in lines:
            for d in x.departments:
                if d.key not in keys:
                    keys.append(d.key)
        out = []
        for key in keys:
            mine = [d for x in lines for d in x.departments if d.key == key]
            agreed_parts = [d.agreed for d in mine if d.agreed is not None]
            agreed = msum(agreed_parts) if agreed_parts else None
            spent = msum(d.spent_to_date for d in mine)
            out.append(
                DepartmentFigures(
                    key=key,
                    name=book.department_name(key),
                    agreed_percent=agreed * HUNDRED / amount if agreed is not None else None,
                    agreed=money(agreed) if agreed is not None else None,
                    spent_this_sprint=money(msum(d.spent_this_sprint for d in mine)),
                    spent_to_date=money(spent),
                    share_percent=spent * HUNDRED / now.to_date if now.to_date else None,
                    remaining=money(agreed - spent) if agreed is not None else None,
                )
            )
        return tuple(out)

    def expense() -> tuple[ExpenseFigures, ...]:
        out = []
        kinds: tuple[Literal["capex", "opex"], ...] = ("capex", "opex")
        for i, kind in enumerate(kinds):
            spent = msum(x.expense[i].spent_to_date for x in lines)
            budgets = [x.expense[i].budget for x in lines]
            # A total capex budget exists only when every line divides its amount.
            budget = msum(b for b in budgets if b is not None) if None not in budgets else None
            out.append(
                ExpenseFigures(
                    kind=kind,
                    budget=money(budget) if budget is not None else None,
                    spent_to_date=money(spent),
                    remaining=money(budget - spent) if budget is not None else None,
                )
            )
        return tuple(out)

    def ahead(day: date) -> tuple[Decimal, Decimal | None]:
        """(planned, forecast) summed over the lines at a day after the report day."""
        planned = sum((conv(x.planned_at(day), x.line) for x in ledgers), Decimal(0))
        if now.eac is None:
            return planned, None
        forecast = Decimal(0)
        for x, snaps, _ in rows:
            value = x.forecast_at(snaps[k], day)
            forecast += conv(snaps[k].to_date if value is None else value, x.line)
        return planned, forecast

    # The series: the union of the lines' x positions, each value summed over the lines.
    budget = money(amount)
    zero = money(Decimal(0))
    points = [SeriesPoint("period start", start, "start", zero, budget, zero, None)]
    for j, w in enumerate(windows):
        if w.report_day <= start or w.first_day > end:
            continue
        t = at(j)
        line_start = money(t.to_date) if j == k and now.eac is not None else None
        points.append(
            SeriesPoint(
                w.name,
                w.report_day,
                "actual",
                money(t.to_date),
                budget,
                money(t.planned),
                line_start,
            )
        )
    for w in future:
        if max(r, start) < w.report_day < end_day:
            p, f = ahead(w.report_day)
            points.append(
                SeriesPoint(
                    w.name,
                    w.report_day,
                    "forecast",
                    None,
                    budget,
                    money(p),
                    money(f) if f is not None else None,
                )
            )
    if r < end_day:
        p, f = ahead(end_day)
        points.append(
            SeriesPoint(
                "end of period",
                end_day,
                "end",
                None,
                budget,
                money(p),
                money(f) if f is not None else None,
            )
        )

    return LineFigures(
        key="total",
        name="Total",
        initiative=None,
        currency=cur,
        start=start,
        end=end,
        amount=budget,
        spent_this_sprint=money(now.this),
        spent_to_date=money(now.to_date),
        remaining=money(remaining),
        percent_used=now.to_date * HUNDRED / amount,
        percent_elapsed=now.planned * HUNDRED / amount,
        burn_rate=money(now.burn) if now.burn is not None else None,
        burn_sprints=tuple(w.name for w in _burn_union(all_snaps, k)),
        remaining_days=max(0, (end_day - ref).days),
        remaining_sprints=max(sprints_left) if sprints_left else None,
        forecast_exhaustion=now.exhaustion,
        exhausted=remaining <= 0,
        eac=money(now.eac) if now.eac is not None else None,
        variance_at_completion=money(amount - now.eac) if now.eac is not None else None,
        status=now.status,
        reasons=reasons,
        departments=departments(),
        expense=expense(),
        milestones=(),
        pending_one_off=money(msum(x.pending_one_off for x in lines)),
        pending_monthly=money(msum(x.pending_monthly for x in lines)),
        items=tuple(i for x in lines for i in x.items),
        change=change,
        series=Series(cur, tuple(points)),
        is_total=True,
    )


def _burn_union(all_snaps: Sequence[Sequence[_Snap]], k: int) -> list[SprintWindow]:
    seen: dict[int, SprintWindow] = {}
    for snaps in all_snaps:
        for w in snaps[k].burn_windows:
            seen.setdefault(w.id, w)
    return sorted(seen.values(), key=lambda w: w.start)


# -- entry point --------------------------------------------------------------------------------


def sprint_report(
    book: BudgetBook,
    sprints: Sequence[Sprint],
    costs: Costs,
    *,
    as_of: datetime,
    sprint: str | int | None = None,
) -> SprintReport:
    """The budget figures at one sprint (default: the latest started one).

    ``sprints`` are the board's sprints in any order and state; future ones only place the
    forecast on the chart. ``as_of`` is the clock (timezone-aware). ``sprint`` is anything
    :func:`pick_sprint` accepts.
    """
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware (the clock is passed in, in UTC)")
    chosen = pick_sprint(sprints, sprint, as_of=as_of)
    all_windows = sprint_windows(sprints, as_of=as_of, book=book)
    started = [w for w in all_windows if w.started]
    k = next(i for i, w in enumerate(started) if w.id == chosen.id)
    windows = started[: k + 1]
    current = windows[-1]
    future = [w for w in all_windows if w.report_day > current.report_day and w not in windows]

    ledgers = [_Ledger(line, book, costs) for line in book.lines]
    all_snaps = [[x.snap(windows, j) for j in range(len(windows))] for x in ledgers]
    all_cores = [
        [_core(x.line, snap) for snap in snaps] for x, snaps in zip(ledgers, all_snaps, strict=True)
    ]
    results = [
        _line_figures(x, book, snaps, cores, future, costs.pending)
        for x, snaps, cores in zip(ledgers, all_snaps, all_cores, strict=True)
    ]
    total = _total(book, ledgers, all_snaps, all_cores, results, windows, future)
    return SprintReport(
        sprint=current,
        previous=windows[-2] if len(windows) > 1 else None,
        as_of=as_of,
        currency=book.report_currency,
        lines=tuple(results),
        total=total,
        series=total.series,
        sprints=tuple(windows),
        unbudgeted=_unbudgeted(book, costs, current),
        pending=costs.pending,
        skipped=costs.skipped,
    )


def _unbudgeted(book: BudgetBook, costs: Costs, w: SprintWindow) -> tuple[CostItem, ...]:
    """Spend this sprint on an initiative, but on a day no line of it covers."""
    tz = book.tz
    out = []
    for c in costs.charges:
        at = _aware(c.at)
        if (
            w.start <= at < w.cutoff
            and book.line_on(c.initiative, at.astimezone(tz).date()) is None
        ):
            out.append(
                CostItem(
                    c.kind,
                    c.issue_key,
                    c.initiative,
                    Money(c.amount, c.currency),
                    c.department,
                    c.expense,
                    c.why,
                )
            )
    for s in costs.subscriptions:
        days = _uncovered_days(book, s, w.first_day, w.report_day)
        if days:
            amount = days * s.monthly * MONTHS_PER_YEAR / DAYS_PER_YEAR
            out.append(
                CostItem(
                    "subscription",
                    s.source,
                    s.initiative,
                    Money(amount, s.currency),
                    s.department,
                    s.expense,
                    f"{s.why}: {days} days outside every line",
                )
            )
    return tuple(out)


def _uncovered_days(book: BudgetBook, s: Subscription, d0: date, d1: date) -> int:
    lo = max(d0, s.start)
    hi = d1 if s.end is None else min(d1, s.end + timedelta(days=1))
    count = 0
    day = lo
    while day < hi:
        if book.line_on(s.initiative, day) is None:
            count += 1
        day += timedelta(days=1)
    return count
