"""``load_budgets``: read a budgets file strictly into a :class:`~.book.BudgetBook`.

Three passes over one YAML document (``rules/source.py`` keeps the line of every node):

1. ``kind: budgets`` — anything else is the wrong file.
2. The typed shape (``schema.py``): unknown keys (with the closest valid key), wrong types,
   missing keys.
3. What only the whole file can tell, each refused at the line of the value at fault, with the
   fix: currencies that are not ISO 4217, negative or zero amounts, splits that do not add up to
   100, a period that ends before it starts, two periods of one initiative that overlap,
   references to undeclared departments or teams, and money in two currencies that would meet
   in one line (or in the total) without an exchange rate in ``fx:``.

The first problem found is raised as :class:`~bridgeplugin.errors.RuleFileError`; nothing is
half-loaded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import yaml

from ..errors import RuleFileError
from ..rules.source import Document, Loc, read_document, read_text, suggest
from .book import (
    BudgetBook,
    BudgetLine,
    CostRules,
    CostSource,
    Department,
    FileSubscription,
    Milestone,
    Team,
    Thresholds,
)
from .money import COMMON, CURRENCIES, FxRates
from .schema import BudgetsFileSpec, CostSourceSpec, LineSpec

__all__ = ["load_budgets", "parse_budgets", "read_budgets"]

KIND = "budgets"


def load_budgets(path: str | Path) -> BudgetBook:
    """Load and check a budgets file; RuleFileError names file:line and the fix."""
    try:
        doc = read_document(path)
    except ValueError:
        # PyYAML raises a bare ValueError (no line) for a date it recognises but cannot build,
        # such as 2026-13-01; find the scalar to name its line.
        raise _bad_scalar(Path(path).read_text(encoding="utf-8"), str(path)) from None
    return parse_budgets(doc)


def read_budgets(text: str, path: str = "<string>") -> BudgetBook:
    """Load budgets from YAML text (``path`` is only used in messages)."""
    try:
        doc = read_text(text, path)
    except ValueError:
        raise _bad_scalar(text, path) from None
    return parse_budgets(doc)


def _bad_scalar(text: str, path: str) -> RuleFileError:
    """The first scalar PyYAML cannot construct, as a RuleFileError with its line."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    constructor = yaml.SafeLoader("")
    stack = [node] if node is not None else []
    while stack:
        n = stack.pop(0)
        if isinstance(n, yaml.ScalarNode):
            try:
                constructor.construct_object(n, deep=True)
            except ValueError as exc:
                return RuleFileError(
                    f"{n.value!r} is not a valid date: {exc}",
                    path=path,
                    line=n.start_mark.line + 1,
                    hint="write a date as YYYY-MM-DD, e.g. 2026-09-01",
                )
        elif isinstance(n, yaml.MappingNode):
            stack.extend(v for pair in n.value for v in pair)
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)
    return RuleFileError("a value cannot be read", path=path)


def parse_budgets(doc: Document) -> BudgetBook:
    """Check a composed document and build the book."""
    _check_kind(doc)
    _check_names(doc)
    spec: BudgetsFileSpec = doc.validate(BudgetsFileSpec, doc.data)
    return _Builder(doc, spec).build()


def _check_kind(doc: Document) -> None:
    start = f"start the file with kind: {KIND}"
    if not isinstance(doc.data, dict):
        raise doc.error((), "a budgets file is a mapping that starts with kind: budgets")
    if "kind" not in doc.data:
        raise doc.error((), "missing key 'kind'", hint=start)
    if doc.data["kind"] != KIND:
        raise doc.error(
            ("kind",),
            f"this is a {doc.data['kind']!r} file, not a budgets file",
            hint=f"{start}, or pass the budgets file instead",
        )


_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_NAMED = ("departments", "teams", "subscriptions", "budgets")


def _check_names(doc: Document) -> None:
    # Keys of these sections are identifiers (pages, stored figures); checked here so the
    # error points at the key itself rather than at the first line of its body.
    for section in _NAMED:
        block = doc.data.get(section)
        if not isinstance(block, dict):
            continue
        for key in block:
            if not isinstance(key, str) or not _NAME.match(key) or len(key) > 80:
                raise doc.error(
                    (section, key),
                    f"{key!r} is not a valid name",
                    hint="use lower-case letters, digits, '-' and '_', starting with a letter or "
                    "digit (the readable name goes under name:)",
                    key=True,
                )


class _Builder:
    """Semantic checks in file order, then the resolved book."""

    def __init__(self, doc: Document, spec: BudgetsFileSpec) -> None:
        self.doc = doc
        self.spec = spec

    # -- helpers -----------------------------------------------------------------------------

    def fail(self, at: Loc, message: str, hint: str | None = None) -> RuleFileError:
        return self.doc.error(at, message, hint=hint)

    def currency(self, value: str | None, at: Loc, owner: str) -> str:
        """A checked ISO 4217 code: the value, else the file's default currency."""
        if value is None:
            if self.spec.currency is None:
                raise self.fail(
                    at[:-1],
                    f"{owner} has no currency",
                    hint="write currency: USD (an ISO 4217 code) here or once at the top of "
                    "the file",
                )
            return self.currency(self.spec.currency, ("currency",), "the file")
        if value in CURRENCIES:
            return value
        if value.upper() in CURRENCIES:
            raise self.fail(
                at, f"unknown currency {value!r}", hint=f"write it in capitals: {value.upper()}"
            )
        close = suggest(value.upper(), COMMON) or suggest(value.upper(), list(CURRENCIES))
        raise self.fail(
            at,
            f"unknown currency {value!r}",
            hint=(f"did you mean {close!r}? " if close else "")
            + "use an ISO 4217 code such as USD, EUR, GBP, JPY",
        )

    def not_negative(self, value: Decimal, at: Loc, what: str) -> Decimal:
        if value < 0:
            raise self.fail(
                at, f"{what} is negative ({value})", hint="write it as a positive number"
            )
        return value

    def positive(self, value: Decimal, at: Loc, what: str) -> Decimal:
        self.not_negative(value, at, what)
        if value == 0:
            raise self.fail(at, f"{what} is 0", hint="write the amount agreed, more than 0")
        return value

    def department(self, key: str | None, at: Loc) -> str | None:
        if key is None or key in self.spec.departments:
            return key
        valid = list(self.spec.departments)
        close = suggest(key, valid)
        raise self.fail(
            at,
            f"unknown department {key!r}",
            hint=(f"did you mean {close!r}? " if close else "")
            + "departments in this file: "
            + ", ".join(valid),
        )

    # -- passes ------------------------------------------------------------------------------

    def build(self) -> BudgetBook:
        spec = self.spec
        if spec.currency is not None:
            self.currency(spec.currency, ("currency",), "the file")
        tz = self.time_zone()
        departments = self.departments()
        teams = self.teams()
        default_team = spec.default_team
        if default_team is not None and default_team not in spec.teams:
            close = suggest(default_team, list(spec.teams))
            raise self.fail(
                ("default_team",),
                f"unknown team {default_team!r}",
                hint=(f"did you mean {close!r}? " if close else "")
                + "teams in this file: "
                + (", ".join(spec.teams) or "none"),
            )
        costs = self.cost_rules()
        thresholds = Thresholds(
            at_risk_points=self.not_negative(
                spec.thresholds.at_risk_points, ("thresholds", "at_risk_points"), "at_risk_points"
            ),
            at_risk_on_early_exhaustion=spec.thresholds.at_risk_on_early_exhaustion,
        )
        lines = tuple(self.line(key, line, thresholds) for key, line in spec.budgets.items())
        self.overlaps(lines)
        subscriptions = self.subscriptions()
        fx = self.fx()
        report_currency = self.report_currency(lines, fx)
        self.mixing(lines, teams, costs, subscriptions, fx)
        return BudgetBook(
            path=self.doc.path,
            description=spec.description,
            lines=lines,
            departments=departments,
            teams=teams,
            default_team=default_team,
            costs=costs,
            subscriptions=subscriptions,
            fx=fx,
            report_currency=report_currency,
            time_zone=tz,
            thresholds=thresholds,
        )

    def time_zone(self) -> str:
        name = self.spec.time_zone
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            close = suggest(name, sorted(available_timezones()))
            raise self.fail(
                ("time_zone",),
                f"unknown time zone {name!r}",
                hint=(f"did you mean {close!r}? " if close else "")
                + "use an IANA name such as UTC, Europe/Berlin, America/New_York",
            ) from None
        return name

    def departments(self) -> tuple[Department, ...]:
        owner: dict[str, str] = {}
        out = []
        for key, dept in self.spec.departments.items():
            for i, project in enumerate(dept.projects):
                other = owner.get(project.casefold())
                if other is not None:
                    raise self.fail(
                        ("departments", key, "projects", i),
                        f"project {project!r} is already charged to department {other!r}",
                        hint="a project's costs go to one department: list it once",
                    )
                owner[project.casefold()] = key
            out.append(Department(key=key, name=dept.name or key, projects=tuple(dept.projects)))
        return tuple(out)

    def teams(self) -> tuple[Team, ...]:
        seen: dict[str, str] = {}
        out = []
        for key, team in self.spec.teams.items():
            at: Loc = ("teams", key)
            self.department(team.department, (*at, "department"))
            for i, group in enumerate(team.groups):
                other = seen.get(group.casefold())
                if other is not None:
                    raise self.fail(
                        (*at, "groups", i),
                        f"group {group!r} is already mapped to team {other!r}",
                        hint="a group belongs to one team: remove it from one of them",
                    )
                seen[group.casefold()] = key
            out.append(
                Team(
                    key=key,
                    department=team.department,
                    groups=tuple(team.groups),
                    hourly_rate=self.not_negative(
                        team.hourly_rate, (*at, "hourly_rate"), "hourly_rate"
                    ),
                    currency=self.currency(team.currency, (*at, "currency"), f"team {key!r}"),
                )
            )
        return tuple(out)

    def cost_source(self, name: str, src: CostSourceSpec) -> CostSource:
        at: Loc = ("costs", name)
        # A switched-off source still needs no currency: nothing will ever be read from it.
        if src.field is None and src.currency is None and self.spec.currency is None:
            return CostSource(field=None, currency="XXX", expense=src.expense)
        currency = self.currency(src.currency, (*at, "currency"), f"costs.{name}")
        return CostSource(field=src.field, currency=currency, expense=src.expense)

    def cost_rules(self) -> CostRules:
        c = self.spec.costs
        return CostRules(
            initiative_field=c.initiative_field,
            one_off=self.cost_source("one_off", c.one_off),
            monthly=self.cost_source("monthly", c.monthly),
            worklogs_enabled=c.worklogs.enabled,
            worklog_expense=c.worklogs.expense,
            committed_statuses=tuple(c.committed_statuses),
            not_spent_resolutions=tuple(c.not_spent_resolutions),
            capex_labels=tuple(c.capex_labels),
        )

    def line(self, key: str, spec: LineSpec, defaults: Thresholds) -> BudgetLine:
        at: Loc = ("budgets", key)
        currency = self.currency(spec.currency, (*at, "currency"), f"budget line {key!r}")
        amount = self.positive(spec.amount, (*at, "amount"), "amount")
        start, end = spec.period.start, spec.period.end
        if end < start:
            raise self.fail(
                (*at, "period", "end"),
                f"the period ends ({end}) before it starts ({start})",
                hint="swap start and end, or fix the year",
            )
        for dept, share in spec.split.items():
            self.department(dept, (*at, "split", dept))
            self.not_negative(share, (*at, "split", dept), f"the share of {dept!r}")
        total = sum(spec.split.values(), Decimal(0))
        if total != 100:
            shares = " + ".join(f"{d} {s}" for d, s in spec.split.items())
            raise self.fail(
                (*at, "split"),
                f"the split adds up to {total}, not 100 ({shares})",
                hint="give each department its percent of the line; the percents must sum to 100",
            )
        expense = None
        if spec.expense is not None:
            capex = self.not_negative(spec.expense.capex, (*at, "expense", "capex"), "capex")
            opex = self.not_negative(spec.expense.opex, (*at, "expense", "opex"), "opex")
            if capex + opex != amount:
                raise self.fail(
                    (*at, "expense"),
                    f"capex {capex} + opex {opex} = {capex + opex}, not the line's amount {amount}",
                    hint="capex and opex divide the amount: make them add up to it",
                )
            expense = {"capex": capex, "opex": opex}
        milestones = []
        for i, m in enumerate(spec.milestones):
            mat: Loc = (*at, "milestones", i)
            if not start <= m.date <= end:
                raise self.fail(
                    (*mat, "date"),
                    f"milestone {m.name!r} on {m.date} is outside the period {start} to {end}",
                    hint="move the milestone into the period, or the period around it",
                )
            if m.planned_spend is not None:
                self.not_negative(m.planned_spend, (*mat, "planned_spend"), "planned_spend")
                if m.planned_spend > amount:
                    raise self.fail(
                        (*mat, "planned_spend"),
                        f"planned_spend {m.planned_spend} is more than the line's amount {amount}",
                        hint="planned_spend is the cumulative spend planned by that day",
                    )
            milestones.append(Milestone(name=m.name, date=m.date, planned_spend=m.planned_spend))
        thresholds = defaults
        if spec.thresholds is not None:
            points = spec.thresholds.at_risk_points
            if points is not None:
                self.not_negative(points, (*at, "thresholds", "at_risk_points"), "at_risk_points")
            early = spec.thresholds.at_risk_on_early_exhaustion
            thresholds = Thresholds(
                at_risk_points=defaults.at_risk_points if points is None else points,
                at_risk_on_early_exhaustion=(
                    defaults.at_risk_on_early_exhaustion if early is None else early
                ),
            )
        return BudgetLine(
            key=key,
            name=spec.name or key,
            initiative=spec.initiative.strip(),
            start=start,
            end=end,
            amount=amount,
            currency=currency,
            split=dict(spec.split),
            expense=expense,
            milestones=tuple(milestones),
            thresholds=thresholds,
            description=spec.description,
            path=self.doc.path,
            line=self.doc.line(at, key=True),
        )

    def overlaps(self, lines: tuple[BudgetLine, ...]) -> None:
        # One cost must land on at most one line: two periods of one initiative that share a
        # day would count that day's spend twice (or pick one line arbitrarily).
        for i, later in enumerate(lines):
            for earlier in lines[:i]:
                same = earlier.initiative.casefold() == later.initiative.casefold()
                if same and later.start <= earlier.end and earlier.start <= later.end:
                    raise self.fail(
                        ("budgets", later.key, "period"),
                        f"the period {later.start} to {later.end} overlaps budget line "
                        f"{earlier.key!r} ({earlier.start} to {earlier.end}, line {earlier.line}) "
                        f"of the same initiative {later.initiative!r}",
                        hint="periods of one initiative must not share a day: end one before "
                        "the other starts, or merge them into one line",
                    )

    def subscriptions(self) -> tuple[FileSubscription, ...]:
        out = []
        for key, sub in self.spec.subscriptions.items():
            at: Loc = ("subscriptions", key)
            if sub.end is not None and sub.end < sub.start:
                raise self.fail(
                    (*at, "end"),
                    f"the subscription ends ({sub.end}) before it starts ({sub.start})",
                    hint="swap start and end, or fix the year",
                )
            out.append(
                FileSubscription(
                    key=key,
                    initiative=sub.initiative.strip(),
                    monthly=self.positive(sub.monthly, (*at, "monthly"), "monthly"),
                    currency=self.currency(
                        sub.currency, (*at, "currency"), f"subscription {key!r}"
                    ),
                    start=sub.start,
                    end=sub.end,
                    department=self.department(sub.department, (*at, "department")),
                    expense=sub.expense,
                    description=sub.description,
                )
            )
        return tuple(out)

    def fx(self) -> FxRates:
        rates: dict[tuple[str, str], Decimal] = {}
        for pair, rate in self.spec.fx.items():
            at: Loc = ("fx", pair)
            parts = pair.split("/")
            if len(parts) != 2:
                raise self.fail(
                    at,
                    f"{pair!r} is not a currency pair",
                    hint="write FROM/TO: rate, e.g. EUR/USD: 1.08 (1 EUR is 1.08 USD)",
                )
            source, target = (self.currency(p.strip(), at, f"fx {pair!r}") for p in parts)
            if source == target:
                raise self.fail(at, f"{pair!r} converts a currency to itself", hint="remove it")
            self.positive(rate, at, f"the rate {pair}")
            if (target, source) in rates or (source, target) in rates:
                raise self.fail(
                    at,
                    f"a rate between {source} and {target} is given twice",
                    hint="give one direction only; the other is its inverse",
                )
            rates[(source, target)] = rate
        return FxRates(rates)

    def report_currency(self, lines: tuple[BudgetLine, ...], fx: FxRates) -> str:
        if self.spec.report_currency is not None:
            target = self.currency(self.spec.report_currency, ("report_currency",), "the report")
        else:
            found = sorted({x.currency for x in lines})
            if len(found) == 1:
                return found[0]
            raise self.fail(
                (),
                f"the budget lines are in {', '.join(found)}: the total needs one currency",
                hint=f"add report_currency: {found[0]} and fx rates to it from the others",
            )
        for x in lines:
            if not fx.can_convert(x.currency, target):
                raise self._no_rate(
                    ("budgets", x.key, "currency"),
                    f"budget line {x.key!r}",
                    x.currency,
                    "the report",
                    target,
                )
        return target

    def mixing(
        self,
        lines: tuple[BudgetLine, ...],
        teams: tuple[Team, ...],
        costs: CostRules,
        subscriptions: tuple[FileSubscription, ...],
        fx: FxRates,
    ) -> None:
        # Every source that can pour money into a line must be convertible into its currency;
        # checking here, against the declared currencies, means figures never meet two
        # currencies they cannot add.
        for x in lines:
            for what, currency, at in self._sources(x, teams, costs, subscriptions):
                if fx.can_convert(currency, x.currency):
                    continue
                line_at: Loc = ("budgets", x.key)
                line_no = self.doc.line(line_at, key=True)
                if "currency" in self.doc.data["budgets"][x.key]:
                    # The line chose its own currency: that is the odd one out.
                    source_no = self.doc.line(at, key=True)
                    raise self._no_rate(
                        (*line_at, "currency"),
                        f"{what[0]} ({what[1]}, line {source_no})",
                        currency,
                        f"budget line {x.key!r}",
                        x.currency,
                    )
                spot = (*at, "currency") if "currency" in self._data(at) else at
                raise self._no_rate(
                    spot,
                    f"{what[0]} ({what[1]})",
                    currency,
                    f"budget line {x.key!r} (line {line_no})",
                    x.currency,
                )

    def _data(self, at: Loc) -> dict[str, object]:
        node: object = self.doc.data
        for part in at:
            node = node.get(part, {}) if isinstance(node, dict) else {}
        return node if isinstance(node, dict) else {}

    def _sources(
        self,
        line: BudgetLine,
        teams: tuple[Team, ...],
        costs: CostRules,
        subscriptions: tuple[FileSubscription, ...],
    ) -> Iterator[tuple[tuple[str, str], str, Loc]]:
        """((what, detail), currency, location) of every source that can feed ``line``."""
        for t in teams:
            yield (f"team {t.key!r}", "rate card"), t.currency, ("teams", t.key)
        for name, src in (("one_off", costs.one_off), ("monthly", costs.monthly)):
            if src.field is not None:
                yield (f"costs.{name}", f"field {src.field!r}"), src.currency, ("costs", name)
        for s in subscriptions:
            if s.initiative.casefold() == line.initiative.casefold():
                yield (f"subscription {s.key!r}", "listed"), s.currency, ("subscriptions", s.key)

    def _no_rate(self, at: Loc, what: str, source: str, into: str, target: str) -> RuleFileError:
        return self.fail(
            at,
            f"{what} is in {source} but {into} is in {target}, and there is no exchange rate "
            f"between them",
            hint=f"add fx: {{{source}/{target}: <rate>}} (1 {source} is <rate> {target}), or use "
            f"one currency",
        )
