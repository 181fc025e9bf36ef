"""What every predicate is: compiled at load, evaluated per issue into a Result node.

A predicate module (one per rule-file key, named after it) exposes ``KEY`` and
``parse(value, at, parser) -> Predicate``. ``parse`` validates the arguments found at location
``at`` of the rule file and builds everything evaluation needs (sets, compiled regexes, the
reason text that does not depend on the issue), so ``evaluate`` does only per-issue work.

``test`` is ``evaluate`` without the explanation: bulk runs decide with ``test`` and build the
tree only when someone reads it (see ``evaluate.py``).

``evaluate`` and ``test`` may raise :class:`~bridgeplugin.rules.context.MissingField` (or, on
a bug, anything else); :func:`run` and :func:`test` turn that into an ``error`` node/outcome,
so one broken predicate never stops the evaluation of the others.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from ..context import Context, FieldNames, MissingField
from ..result import ERROR, Outcome, Result

if TYPE_CHECKING:
    from ..parse import Parser
    from ..source import Loc

__all__ = ["Predicate", "PredicateModule", "failure", "run", "test"]


class Predicate:
    """A compiled predicate. Subclasses set ``key`` and implement ``evaluate``."""

    __slots__ = ()
    key: ClassVar[str]

    def evaluate(self, ctx: Context) -> Result:
        """The outcome with its explanation: a result node (and children)."""
        raise NotImplementedError

    def test(self, ctx: Context) -> Outcome:
        """The outcome alone, for bulk runs; must equal ``evaluate(ctx).outcome``.

        Predicates on the hot path override this to skip building the result tree; the
        table-driven tests check every case through both methods.
        """
        return self.evaluate(ctx).outcome

    def children(self) -> tuple[Predicate, ...]:
        """Sub-predicates (composites and refs), for walks over the compiled tree."""
        return ()

    def names(self, fields: FieldNames) -> Iterator[tuple[str, str]]:
        """(kind, name) of every site object this predicate refers to: fields, groups, ..."""
        return iter(())

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class PredicateModule(Protocol):
    KEY: str

    def parse(self, value: Any, at: Loc, parser: Parser) -> Predicate: ...


def failure(pred: Predicate, exc: Exception) -> Result:
    """The error node for a predicate whose evaluation raised."""
    if isinstance(exc, MissingField):
        return Result(pred.key, ERROR, exc.reason, values={"field": exc.name})
    return Result(pred.key, ERROR, f"could not evaluate: {type(exc).__name__}: {exc}")


def run(pred: Predicate, ctx: Context) -> Result:
    """Evaluate ``pred``; a failure becomes an ``error`` node instead of an exception."""
    try:
        return pred.evaluate(ctx)
    except Exception as exc:  # one predicate's failure is recorded, not raised through the run
        return failure(pred, exc)


def test(pred: Predicate, ctx: Context) -> Outcome:
    """``pred.test(ctx)``; a failure is the ``error`` outcome instead of an exception."""
    try:
        return pred.test(ctx)
    except Exception:  # same contract as run()
        return ERROR
