"""Evaluate rules against one issue: pure, no I/O, never raises for a bad issue.

Tagging verdict from the rule results, per conclusion (``marketing_originated``,
``tech_request``) separately:

1. a rule concluding ``false`` (a *veto*) whose condition is true makes it ``false``;
2. otherwise the rules concluding ``true`` are combined with Kleene OR: ``true`` if one of them
   is true, ``false`` if all are false (or there are none);
3. a veto that could not be decided turns a would-be ``true`` (or ``error``) into ``error``:
   the veto might have applied.

So ``error`` means "a rule that matters could not be decided"; the caller chooses what that
does (tagging leaves the issue untagged and reports it; mandatory reviews will require the
review). The category is that of the first true rule (in order) concluding ``tech_request``
with a category; with ``category_from: vendor`` it is the category of the vendor that matched,
falling back to the rule's ``category``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from .context import Context
from .predicates.all_ import All
from .predicates.any_ import AnyOf
from .predicates.base import Predicate, run
from .predicates.not_ import Not
from .predicates.ref import Ref
from .predicates.signals import SignalsReach
from .predicates.text import DECIDED, TextMatch
from .predicates.vendor import VendorMentioned
from .result import (
    ERROR,
    FALSE,
    TRUE,
    Outcome,
    Result,
    RuleResult,
    TaggingResult,
)
from .ruleset import Rule, RuleSet
from .text import Pending, SignalSet, TextIndex

__all__ = ["evaluate", "evaluate_each", "evaluate_predicate", "evaluate_rule"]


def evaluate_predicate(predicate: Predicate, ctx: Context) -> Result:
    """One predicate's result tree; a failure is an ``error`` node, never an exception."""
    return run(predicate, ctx)


def evaluate_rule(rule: Rule, ctx: Context) -> RuleResult:
    """One rule with its result tree built now (``bridge check``, ``bridge rules explain``)."""
    result = run(rule.condition, ctx)
    return RuleResult(rule, result.outcome, condition=result)


# Outcomes folded as bits: an accumulator says whether any rule was true / an error.
_BIT = {TRUE: 1, ERROR: 2, FALSE: 0}


def _verdict(positive: int, veto: int) -> Outcome:
    """Kleene-OR of the rules concluding true, then the vetoes on top (module doc)."""
    if veto & 1:  # a veto that holds
        return FALSE
    if not positive:  # no rule concluding true is true or undecided
        return FALSE
    if veto & 2:  # a veto that could not be decided
        return ERROR
    return TRUE if positive & 1 else ERROR


def evaluate(ruleset: RuleSet, ctx: Context) -> TaggingResult:
    """The tagging verdict of ``ctx.issue`` under ``ruleset`` (``kind: tagging``).

    The verdicts are decided from the outcomes of the rules' leaf predicates (everything that
    is not ``all``/``any``/``not``/``ref``), which the composites combine with Kleene logic:
    the text predicates are decided together through the rule set's
    :class:`~.text.TextIndex`, and the other leaves only as far as the verdicts need them
    (see :class:`_Plan`). Every rule's outcome (``TaggingResult.rules``) is worked out when
    first read, and each rule's result tree from ``ctx`` when first read
    (``RuleResult.condition``), so a bulk run explains only the issues someone looks at.
    """
    plan = ruleset._compiled
    if plan is None:
        if ruleset.kind != "tagging":
            raise ValueError(f"evaluate() takes tagging rules, not {ruleset.kind!r}")
        plan = _plan(ruleset)
    return plan.evaluate(ctx)


def evaluate_each(ruleset: RuleSet, ctx: Context) -> TaggingResult:
    """``evaluate`` the straightforward way: every rule's ``test``, folded rule by rule.

    The engine as it was before ``_Plan``: the reference the planned evaluation is checked
    against (tests/rules/test_equivalence.py), and a way to time the difference.
    """
    if ruleset.kind != "tagging":
        raise ValueError(f"evaluate() takes tagging rules, not {ruleset.kind!r}")
    outcomes: list[Outcome] = []
    mo_pos = mo_veto = tr_pos = tr_veto = 0
    first_tech = -1
    bit = _BIT
    for index, (test, mo, tr) in enumerate(ruleset._plan):
        try:
            outcome = test(ctx)
        except Exception:  # recorded as the rule's error outcome, never raised through the run
            outcome = ERROR
        outcomes.append(outcome)
        if mo is not None:
            if mo:
                mo_pos |= bit[outcome]
            else:
                mo_veto |= bit[outcome]
        if tr is not None:
            if tr:
                tr_pos |= bit[outcome]
                if first_tech < 0 and outcome is TRUE:
                    first_tech = index
            else:
                tr_veto |= bit[outcome]
    tech = _verdict(tr_pos, tr_veto)
    category = None
    if tech is TRUE:
        # The first true rule concluding tech_request that names a category.
        for index in range(first_tech, len(outcomes)):
            rule = ruleset.rules[index]
            if outcomes[index] is TRUE and rule.then.tech_request:
                category = RuleResult(rule, TRUE, ctx=ctx).category
                if category is not None:
                    break
    return TaggingResult(
        ctx.issue.key,
        _verdict(mo_pos, mo_veto),
        tech,
        category,
        ruleset.version,
        rules=ruleset.rules,
        outcomes=outcomes,
        ctx=ctx,
    )


# Composites: Kleene functions of their children's outcomes (see result.py).
_COMPOSITES = (All, AnyOf, Not, Ref)
# Caches of the vendor filters, per plan; emptied when one grows past this.
_CACHE_LIMIT = 50_000
# How costly a leaf decided by its own ``test`` is, by rule-file key (others: 4). Children
# of ``all``/``any`` are tried cheapest first: Kleene AND/OR do not depend on the order, so
# this only saves work.
_COST_HINT = {
    "project_in": 1,
    "issue_type_in": 1,
    "status_in": 1,
    "label_in": 1,
    "component_in": 1,
    "request_type_in": 1,
    "reporter_in_group": 2,
    "creator_in_group": 2,
    "assignee_in_group": 2,
    "requested_by_in_group": 3,
}


class _Plan:
    """A tagging rule set compiled for bulk evaluation (built on first use, see ``_plan``).

    The leaves of all rules (everything that is not ``all``/``any``/``not``/``ref``; each
    shared definition once) are of two sorts. The *bulk* leaves get a bit each, and an
    issue's outcomes of them are three masks (true, error, waiting; the rest are false):

    - ``text`` leaves are decided together by the rule set's :class:`~.text.TextIndex` (their
      bits come first, and are the index's); a leaf the words alone cannot settle (a regex
      whose literals are there, mostly) is *waiting*: its check runs when the compiled code
      first reads the leaf (``_Confirm``), so the regexes of rules the verdicts do not reach
      never run;
    - ``signals`` leaves from their set's score, the sum of the weights of the set's signals
      that occur: each term and regex of the set is an entry of the same index (when the sum
      cannot depend on its order, see ``SignalSet.signals``), plus the vendor weight;
    - ``vendor`` leaves from the vendors mentioned in each field (one cached lookup per
      field), with each leaf's own filter.

    The other leaves are decided by their own ``test``, when first needed (a failure is an
    error, as in the composites). The rule trees themselves are compiled into two Python
    functions (``_source``, see ``_compile``): ``decide`` works out both verdicts (per
    question the rules concluding true up to the first true one, then, only if one was true
    or undecided, the vetoes up to the first true one) and ``run`` every rule's outcome, when
    ``TaggingResult.rules`` is first read. Both are Kleene logic over the bulk outcomes and
    those tests, each composite stopping at the first child that decides it, cheap children
    first, shared definitions decided once.
    """

    __slots__ = (
        "_decide",
        "_index",
        "_leaf_mask",
        "_run",
        "_signal_entries",
        "_signal_sets",
        "_slots",
        "_source",
        "_tech_from",
        "_tech_rules",
        "_text_bits",
        "_text_leaves",
        "_text_mask",
        "_vendor_fields",
        "_vendor_leaves",
        "_vendor_readers",
        "_vendor_wanted",
        "ruleset",
    )

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        leaves: list[Predicate] = []
        seen: set[int] = set()

        def walk(pred: Predicate) -> None:
            if id(pred) in seen:
                return
            seen.add(id(pred))
            if type(pred) in _COMPOSITES:
                for child in pred.children():
                    walk(child)
            else:
                leaves.append(pred)

        for rule in ruleset.rules:
            walk(rule.condition)
        text = [p for p in leaves if type(p) is TextMatch]
        entries: list[tuple[Any, Any, Any]] = [(p.fields, p.terms, p.regexes) for p in text]
        # Signal sets whose score the index can compute: their signals are entries too.
        sets: dict[SignalSet, list[SignalsReach]] = {}
        for p in leaves:
            if type(p) is SignalsReach and p.set.signals() is not None:
                sets.setdefault(p.set, []).append(p)
        signal_sets = []
        for signal_set, readers in sets.items():
            weights = []
            for terms, regexes, weight in signal_set.signals() or ():
                weights.append((1 << len(entries), weight))
                entries.append((signal_set.fields, terms, regexes))
            signal_sets.append((signal_set, tuple(weights), tuple(readers)))
        self._index = TextIndex(entries)
        vendor = [p for p in leaves if type(p) is VendorMentioned]
        readers = [r for _s, _w, rs in signal_sets for r in rs]
        bulk = {id(p) for p in (*text, *vendor, *readers)}
        # Bits: text leaves (= their index entries), signal entries, then vendor and signals.
        bits = {id(p): 1 << i for i, p in enumerate(text)}
        for i, p in enumerate((*vendor, *readers)):
            bits[id(p)] = 1 << (len(entries) + i)
        self._text_leaves = tuple((p, bits[id(p)]) for p in text)
        self._text_mask = sum(bits[id(p)] for p in text)
        self._signal_entries = ((1 << len(entries)) - 1) & ~self._text_mask
        self._text_bits = {id(p): bits[id(p)] for p in text}
        self._leaf_mask = sum(bits.values())
        self._signal_sets = tuple(
            (s, dict(w), sum(b for b, _w in w), tuple((p, bits[id(p)]) for p in rs))
            for s, w, rs in signal_sets
        )
        self._vendor_leaves = tuple((p, bits[id(p)]) for p in vendor)
        # Per field: the vendor leaves reading it; per vendor match: the leaves wanting it.
        self._vendor_readers = tuple(
            (name, sum(bits[id(p)] for p in vendor if name in p.fields))
            for name in dict.fromkeys(f for p in vendor for f in p.fields)
        )
        self._vendor_wanted: dict[int, tuple[Any, int]] = {}
        fields = [f for p in vendor for f in p.fields]
        fields += [f for s, _w, _r in signal_sets if s.vendor_weight is not None for f in s.fields]
        self._vendor_fields = tuple(dict.fromkeys(fields))
        other = [p for p in leaves if id(p) not in bulk]
        self._source, self._decide, self._run, self._slots = _compile(
            ruleset.rules, bits, other, self._text_mask
        )
        # The rules that may give the category, in order: (index, rule, category_from
        # vendor, the condition when it is a single vendor leaf: its category needs no tree)
        self._tech_rules = tuple(
            (
                i,
                r,
                r.then.category_from == "vendor",
                r.condition
                if r.then.category_from == "vendor" and type(r.condition) is VendorMentioned
                else None,
            )
            for i, r in enumerate(ruleset.rules)
            if r.then.tech_request
        )
        # Those from each one on (the first true one is where the search starts)
        self._tech_from = {
            entry[0]: self._tech_rules[n:] for n, entry in enumerate(self._tech_rules)
        }

    def evaluate(self, ctx: Context) -> TaggingResult:
        true, error, waiting, confirm = self._bulk(ctx)
        slots = [None] * self._slots
        # for TextMatch.evaluate: a leaf still waiting for its check is not known to be false
        ctx.memo[DECIDED] = (self._text_bits, true, error | waiting)
        args = (ctx, true, error, waiting, confirm, slots)
        marketing_originated, tech_request, first = self._decide(*args)
        outcomes = _Outcomes(self._run, *args)
        category = None
        if first >= 0:
            # The category of the first true rule concluding tech_request that names one.
            for index, rule, from_vendor, leaf in self._tech_from[first]:
                if index > first and outcomes[index] is not TRUE:
                    continue
                if leaf is not None:  # if: {vendor: ...}: its first vendor, as its tree says
                    found = _vendor_category(leaf, ctx) or rule.then.category
                elif from_vendor:  # the category of the vendor on the true path
                    found = RuleResult(rule, TRUE, ctx=ctx).category
                else:
                    found = rule.then.category
                if found is not None:
                    category = found
                    break
        return TaggingResult(
            ctx.issue.key,
            marketing_originated,
            tech_request,
            category,
            self.ruleset.version,
            rules=self.ruleset.rules,
            outcomes=outcomes,
            ctx=ctx,
        )

    def _bulk(self, ctx: Context) -> tuple[int, int, int, _Confirm | None]:
        """The masks of the text, signals and vendor leaves: ``(true, error, waiting,
        confirm)``. The text leaves in ``waiting`` have a check left to run (a regex, mostly:
        the costliest part of a scan), run by ``confirm`` only if the verdicts need them."""
        found, missing, unresolved, pending = self._index.scan(ctx)
        waiting = 0
        confirm = None
        if pending is not None:
            waiting = TextIndex.waiting(pending) & ~(found | unresolved)
            if waiting & self._signal_entries:  # every signal counts: check them now
                found |= TextIndex.confirm(ctx, pending, waiting & self._signal_entries)
                waiting &= ~self._signal_entries
            if waiting:
                confirm = _Confirm(ctx, pending, missing)
        true = found
        error = missing & ~(found | unresolved | waiting) & self._text_mask
        if unresolved:  # a field's text could not be built: the leaves decide themselves
            for leaf, bit in self._text_leaves:
                if unresolved & bit:
                    true, error = _test_each(ctx, ((leaf, bit),), true, error)
        mentioned: dict[str, Any] | None = None  # per field, the vendors mentioned in it
        if self._vendor_fields:
            mentioned = self._mentioned(ctx)
            if mentioned is None:  # no catalog, a field missing: the leaves decide themselves
                true, error = _test_each(ctx, self._vendor_leaves, true, error)
            elif any(mentioned.values()):
                true |= self._vendor_true(mentioned)
        for signal_set, weights, entries, readers in self._signal_sets:
            if unresolved & entries:  # a field's text could not be built
                true, error = _test_each(ctx, readers, true, error)
                continue
            score = 0.0
            hits = found & entries
            while hits:  # whole numbers (SignalSet.signals): the order of the sum is moot
                bit = hits & -hits
                hits ^= bit
                score += weights[bit]
            try:
                # Every entry of the set reads all its fields: one of them is missing iff
                # the entries are marked so (a set without entries asks the context).
                absent = (
                    bool(missing & entries)
                    if entries
                    else any(ctx.text_or_none(name) is None for name in signal_set.fields)
                )
                if signal_set.vendor_weight is not None:
                    if mentioned is not None and signal_set.vendor_categories is None:
                        hit = False  # any vendor in one of the set's fields
                        for name in signal_set.fields:
                            if mentioned[name]:
                                hit = True
                                break
                    else:
                        hit = _vendor_hit(signal_set, ctx, mentioned)
                    if hit:
                        score += signal_set.vendor_weight or 0.0
            except Exception:  # as SignalSet.score would: the readers decide themselves
                true, error = _test_each(ctx, readers, true, error)
                continue
            # SignalsReach.decide, inlined
            veto_absent = absent and signal_set.has_negative
            for reader, bit in readers:
                if score >= reader.threshold and not veto_absent:
                    true |= bit
                elif absent:
                    error |= bit
        mask = self._leaf_mask  # not the signal entries
        return true & mask, error & mask, waiting, confirm

    def _mentioned(self, ctx: Context) -> dict[str, Any] | None:
        """The vendors mentioned in each field the vendor leaves or signal sets read; ``None``
        when the leaves' own ``test`` must decide (no catalog, a field missing)."""
        catalog = ctx.vendors
        if catalog is None:
            return None
        out = {}
        # ctx.mentioned_vendors() inlined: the texts were built by the scan just now
        views, hits = ctx._views, ctx._vendor_hits
        try:
            for name in self._vendor_fields:
                view = views.get(name)
                if view is None:
                    view = ctx.text_or_none(name)
                    if view is None:
                        return None
                found = hits.get(name)
                if found is None:
                    found = hits[name] = catalog.find(view)
                out[name] = found
        except Exception:  # the leaves' own test decides (an error outcome)
            return None
        return out

    def _vendor_true(self, mentioned: dict[str, Any]) -> int:
        """The vendor leaves that hold, from the vendors mentioned in each field."""
        true = 0
        wanted = self._vendor_wanted
        for name, readers in self._vendor_readers:
            for match in mentioned[name]:
                found = wanted.get(id(match))
                if found is None or found[0] is not match:
                    # Which leaves want this vendor: their own category/segment filter.
                    bits = 0
                    for leaf, bit in self._vendor_leaves:
                        if leaf._wanted(match.category, match.segment):  # type: ignore[attr-defined]
                            bits |= bit
                    if len(wanted) >= _CACHE_LIMIT:
                        wanted.clear()
                    found = wanted[id(match)] = (match, bits)  # the match pins its id
                true |= found[1] & readers
        return true


class _Confirm:
    """One issue's text leaves waiting for their checks: each leaf's outcome once asked."""

    __slots__ = ("_ctx", "_done", "_missing", "_pending")

    def __init__(self, ctx: Context, pending: Pending, missing: int) -> None:
        self._ctx = ctx
        self._pending = pending
        self._missing = missing
        self._done: dict[int, Outcome] = {}

    def __call__(self, bit: int) -> Outcome:
        outcome = self._done.get(bit)
        if outcome is None:
            if TextIndex.confirm(self._ctx, self._pending, bit):
                outcome = TRUE
            else:  # as scan's masks say of a leaf found nowhere
                outcome = ERROR if self._missing & bit else FALSE
            self._done[bit] = outcome
        return outcome


def _settle(
    confirm: _Confirm, waiting: int, undecided: bool, decisive: Outcome, otherwise: Outcome
) -> Outcome:
    """Kleene OR (``decisive`` TRUE) or AND (``decisive`` FALSE) of the ``waiting`` bulk
    leaves, confirmed one by one until one decides; ``undecided`` when an error is known."""
    while waiting:
        bit = waiting & -waiting
        waiting ^= bit
        outcome = confirm(bit)
        if outcome is decisive:
            return decisive
        if outcome is ERROR:
            undecided = True
    return ERROR if undecided else otherwise


def _any_waiting(confirm: _Confirm, waiting: int, error: int) -> Outcome:
    """Kleene OR of bulk leaves none of which is true yet: ``waiting`` ones, errors."""
    return _settle(confirm, waiting, bool(error), TRUE, FALSE)


def _all_waiting(confirm: _Confirm, group: int, t: int, e: int, p: int) -> Outcome:
    """Kleene AND of the bulk leaves ``group``, some of them waiting (in ``p``)."""
    if group & ~(t | e | p):  # one is false already
        return FALSE
    return _settle(confirm, group & p, bool(group & e), FALSE, TRUE)


class _Outcomes(Sequence[Outcome]):
    """Every rule's outcome, worked out when first read (``_Plan.evaluate`` decides the
    verdicts with as few rules as it can); the leaves tested already are not tested again."""

    __slots__ = ("_args", "_done", "_run")

    def __init__(self, run: Callable[..., tuple[Outcome, ...]], *args: Any) -> None:
        self._run = run
        self._args = args  # ctx, the masks, confirm, the slots
        self._done: tuple[Outcome, ...] | None = None

    def _outcomes(self) -> tuple[Outcome, ...]:
        if self._done is None:
            self._done = self._run(*self._args)
            self._args = ()
        return self._done

    def __len__(self) -> int:
        return len(self._outcomes())

    def __iter__(self) -> Iterator[Outcome]:
        return iter(self._outcomes())

    def __getitem__(self, index: Any) -> Any:
        return self._outcomes()[index]


def _test_each(ctx: Context, leaves: Any, true: int, error: int) -> tuple[int, int]:
    """Set the bits of ``(leaf, bit)`` pairs from the leaves' own ``test``."""
    for leaf, bit in leaves:
        true &= ~bit
        error &= ~bit
        try:
            outcome = leaf.test(ctx)
        except Exception:  # as in the composites: an error outcome
            outcome = ERROR
        if outcome is TRUE:
            true |= bit
        elif outcome is ERROR:
            error |= bit
    return true, error


def _vendor_category(leaf: VendorMentioned, ctx: Context) -> str | None:
    """The category of the vendor a true ``vendor`` leaf names first: the vendor its
    ``evaluate`` reports (the first wanted match, fields in order)."""
    for name in leaf.fields:
        if ctx.text_or_none(name) is None:
            continue
        for match in ctx.vendor_matches(name):
            if leaf._wanted(match.category, match.segment):
                return match.category
    return None


def _vendor_hit(signal_set: SignalSet, ctx: Context, mentioned: dict[str, Any] | None) -> bool:
    """Whether a vendor the set scores is mentioned in one of its fields (``score``)."""
    cats = signal_set.vendor_categories
    for name in signal_set.fields:
        found = ctx.mentioned_vendors(name) if mentioned is None else mentioned[name]
        for match in found or ():
            if cats is None or match.category.lower() in cats:
                return True
    return False


def _test(test: Callable[[Context], Outcome], ctx: Context) -> Outcome:
    """A leaf's ``test``; a failure is the ``error`` outcome, as in the composites."""
    try:
        return test(ctx)
    except Exception:  # recorded as an error outcome, never raised through the run
        return ERROR


def _leaf(
    slots: list[Any], index: int, test: Callable[[Context], Outcome], ctx: Context
) -> Outcome:
    """``_test``, keeping the outcome in ``slots[index]``."""
    try:
        outcome = test(ctx)
    except Exception:  # recorded as an error outcome, never raised through the run
        outcome = ERROR
    slots[index] = outcome
    return outcome


# Inlining a definition at each place it is used duplicates it; past this size the rules
# are compiled with one function per shared definition instead.
_INLINE_LIMIT = 400_000


def _compile(
    rules: tuple[Rule, ...], bits: dict[int, int], other: list[Predicate], waits: int
) -> tuple[str, Callable[..., Any], Callable[..., Any], int]:
    """The rule trees compiled into two functions; returns ``(source, decide, run, slots)``.

    ``bits``: the bulk leaves' bits in the masks ``t`` (true) and ``e`` (error); those in
    ``waits`` (the text leaves) may instead be in ``p``, waiting for a check that ``r(bit)``
    runs (``_Confirm``); ``other``: the leaves decided by their own ``test``, once per issue,
    when first needed: their outcomes (and shared definitions', when not inlined) are kept
    in a list ``s`` of ``slots`` entries, shared by both functions.

    - ``decide(ctx, t, e, p, r, s)``: ``(marketing_originated, tech_request, first)``, ``first``
      being the index of the first true rule concluding tech_request when that verdict is
      true, else -1. Per question, the rules concluding true in order up to the first true
      one; then, if one was true or undecided, the vetoes up to the first true one (module
      doc; the verdict is that of ``_verdict``).
    - ``run(ctx, t, e, p, r, s)``: every rule's outcome (``TaggingResult.rules``).
    """
    source, slots = _source(rules, bits, other, waits, inline=True)
    if len(source) > _INLINE_LIMIT:
        source, slots = _source(rules, bits, other, waits, inline=False)
    namespace: dict[str, Any] = {
        "T": TRUE,
        "F": FALSE,
        "E": ERROR,
        "_leaf": _leaf,
        "_any": _any_waiting,
        "_all": _all_waiting,
    }
    namespace.update({f"_t{i}": p.test for i, p in enumerate(other)})
    exec(compile(source, "<tagging rules>", "exec"), namespace)  # our own code, from the rules
    return source, namespace["decide"], namespace["run"], slots


def _source(
    rules: tuple[Rule, ...],
    bits: dict[int, int],
    other: list[Predicate],
    waits: int,
    *,
    inline: bool,
) -> tuple[str, int]:
    lazy = {id(p): i for i, p in enumerate(other)}
    uses: dict[int, int] = {}

    def count(pred: Predicate) -> None:
        uses[id(pred)] = uses.get(id(pred), 0) + 1
        if uses[id(pred)] == 1 and type(pred) in _COMPOSITES:
            for child in pred.children():
                count(child)

    for rule in rules:
        count(rule.condition)
    costs: dict[int, int] = {}

    def cost(pred: Predicate) -> int:
        found = costs.get(id(pred))
        if found is None:
            if id(pred) in bits:
                found = 0
            elif id(pred) in lazy:
                found = _COST_HINT.get(getattr(pred, "key", ""), 4)
            else:
                found = sum(cost(child) for child in pred.children())
            costs[id(pred)] = found
        return found

    shared: dict[int, int] = {}  # shared composites: their number
    helpers: list[str] = []  # inline=False: one function per shared composite
    temps = iter(range(1 << 30))

    def expr(pred: Predicate) -> str:
        key = id(pred)
        if key in bits:
            b = bits[key]
            if b & waits:  # a text leaf may be waiting for its check: r(b) runs it
                return f"(T if t & {b} else E if e & {b} else F if not p & {b} else r({b}))"
            return f"(T if t & {b} else E if e & {b} else F)"
        if key in lazy:
            j = lazy[key]
            return f"(s[{j}] if s[{j}] is not None else _leaf(s, {j}, _t{j}, ctx))"
        if uses[key] == 1:
            return body(pred)
        # A shared composite (a definition several rules use): decided once.
        k = shared.get(key)
        if k is None:
            k = shared[key] = len(shared)
            if not inline:
                slot = len(other) + k
                helpers.append(
                    f"def d{k}(ctx, t, e, p, r, s):\n"
                    f"    s[{slot}] = out = {body(pred)}\n    return out\n"
                )
        if inline:
            return f"(m{k} if m{k} is not None else (m{k} := {body(pred)}))"
        slot = len(other) + k
        return f"(s[{slot}] if s[{slot}] is not None else d{k}(ctx, t, e, p, r, s))"

    def body(pred: Predicate) -> str:
        kind = type(pred)
        if kind is Ref:
            return expr(pred.item)  # type: ignore[attr-defined]
        if kind is Not:
            x = f"x{next(temps)}"
            inner = expr(pred.item)  # type: ignore[attr-defined]
            return f"(F if ({x} := {inner}) is T else T if {x} is F else E)"
        stop, rest = ("F", "T") if kind is All else ("T", "F")
        children = sorted(pred.children(), key=cost)  # stable: then in the rule's order
        # The bulk leaves among the children are decided together, by one mask operation.
        group = [c for c in children if id(c) in bits]
        parts = [expr(c) for c in children if id(c) not in bits]
        if len(group) > 1:
            k = sum(bits[id(c)] for c in group)
            # (waiting text leaves, see _Plan._bulk: the helpers run their checks)
            if kind is All:  # false if one is false, else an error if one is, else true
                wait = f"_all(r, {k}, t, e, p) if p & {k} else " if k & waits else ""
                parts.insert(
                    0, f"(T if t & {k} == {k} else {wait}E if (t | e) & {k} == {k} else F)"
                )
            else:  # true if one is true, else an error if one is, else false
                wait = f"_any(r, p & {k}, e & {k}) if p & {k} else " if k & waits else ""
                parts.insert(0, f"(T if t & {k} else {wait}E if e & {k} else F)")
        elif group:
            parts.insert(0, expr(group[0]))
        names = [f"x{next(temps)}" for _ in parts]
        out = f"(E if {' or '.join(f'{x} is E' for x in names)} else {rest})"
        for x, part in zip(reversed(names), reversed(parts), strict=True):
            out = f"({stop} if ({x} := {part}) is {stop} else {out})"
        return out

    def locals_() -> list[str]:
        # Shared composites in locals (inlined), or in the slots (helpers fill them).
        return (
            [f"    {' = '.join(f'm{k}' for k in range(len(shared)))} = None"]
            if (inline and shared)
            else []
        )

    # run(): every rule's outcome
    outcomes = [f"    o{i} = {expr(rule.condition)}" for i, rule in enumerate(rules)]
    every = "".join(f"o{i}, " for i in range(len(rules)))
    run = ["def run(ctx, t, e, p, r, s):", *locals_(), *outcomes, f"    return ({every})"]
    # decide(): per question, the rules concluding true up to the first true one; when one
    # was true or undecided, the vetoes up to the first true one (else they cannot matter)
    lines = []
    for question, name in (("marketing_originated", "mo"), ("tech_request", "tr")):
        vetoes = [i for i, r in enumerate(rules) if getattr(r.then, question) is False]
        positive = [i for i, r in enumerate(rules) if getattr(r.then, question) is True]
        lines.append("    pt = pe = ve = False  # positive rule true / undecided, veto undecided")
        for i in positive:
            lines += [
                "    if not pt:",
                f"        o = {expr(rules[i].condition)}",
                "        if o is T:",
                "            pt = True",
            ]
            if question == "tech_request":
                lines.append(f"            first = {i}")
            lines += ["        elif o is E:", "            pe = True"]
        lines += ["    if pt or pe:", f"        {name} = None"]
        for i in vetoes:
            lines += [
                f"        if {name} is None:",
                f"            o = {expr(rules[i].condition)}",
                "            if o is T:",
                f"                {name} = F",
                "            elif o is E:",
                "                ve = True",
            ]
        lines += [
            f"        if {name} is None:",
            f"            {name} = E if ve or not pt else T",
            "    else:",
            f"        {name} = F",
        ]
    decide = [
        "def decide(ctx, t, e, p, r, s):",
        *locals_(),
        "    first = -1",
        *lines,
        "    return mo, tr, (first if tr is T else -1)",
    ]
    slots = len(other) + (0 if inline else len(shared))
    return "\n".join([*helpers, *run, *decide]) + "\n", slots


def _plan(ruleset: RuleSet) -> _Plan:
    """The rule set's compiled plan, built on first use and kept on the rule set."""
    plan = ruleset._compiled
    if plan is None:
        plan = _Plan(ruleset)
        object.__setattr__(ruleset, "_compiled", plan)  # frozen dataclass: set once, here
    return plan
