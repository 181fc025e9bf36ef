"""The sandbox's JQL engine: parse a JQL query once, then filter and sort issue rows with it.

Pure (no I/O, stdlib only). ``compile_jql(jql, env)`` parses the query, binds every name and value
through ``env`` (fields, users, groups, sprints, projects, the clock) and compiles the ``WHERE``
part into nested closures, so ``Query.matches(row)`` costs a few dictionary look-ups per row. All
errors are ``JqlError`` whose ``str()`` is the message Jira would give; the search handler answers
``400 {"errorMessages": [str(e)]}``.

Example::

    q = compile_jql('project = MKT AND labels in (seo, ads) ORDER BY updated DESC', env)
    page = q.sort([row for row in rows if q.matches(row)])

Supported
---------
* Clauses ``field OP operand`` with ``= != > >= < <= ~ !~ IN, NOT IN, IS, IS NOT``;
  ``AND``/``&&``/``&``, ``OR``/``||``/``|``, ``NOT``/``!``, parentheses (AND binds tighter than
  OR); ``ORDER BY f [ASC|DESC], ...``. Keywords, field and function names are case-insensitive.
* Operands: a bare word (``MKT``, ``MKT-5``, ``-15m``), a single- or double-quoted string with
  backslash escapes (``\\" \\' \\\\ \\n \\t \\r \\ `` and ``\\uXXXX``), ``EMPTY``/``NULL``, a list
  ``(a, "b c", EMPTY, currentUser())`` or a function. A quoted ``"EMPTY"`` is the string.
* Field names: bare, quoted (``"Initiative"``) or ``cf[10010]``, looked up with ``env.field``.
* Functions: ``currentUser()``, ``membersOf(group)``, ``openSprints()``, ``closedSprints()``,
  ``futureSprints()``, ``now()``, ``startOfDay/Week/Month/Year([offset])`` and
  ``endOfDay/Week/Month/Year([offset])``. The offset is ``[+-]N[yMwdhm]``; without a unit it
  counts the function's own period (``startOfDay(-1)`` is the start of yesterday). Weeks start
  on Monday; all calendar arithmetic is in UTC (the sandbox's users all live in UTC).
* Dates: ``"yyyy-MM-dd"``, ``"yyyy/MM/dd"``, optionally with ``" HH:mm"`` (UTC), and periods
  relative to ``env.now()``: ``-15m``, ``"-2d"``, ``-1w``, ``4h``, ``-1w2d``, ``"4w 2d"`` (units
  w, d, h, m). As in Jira, a date without a time means midnight: ``created <= "2026-11-24"``
  does not include that day.

Field kinds (``FieldSpec.kind``) and what each supports
------------------------------------------------------
===========  =====================================  =========================================
kind         operators                              values
===========  =====================================  =========================================
key          = != < <= > >= in, not in, is          ``MKT-5`` (any case) or a numeric id.
                                                    ``<``/``>`` compare the number within the
                                                    same project, as Jira does
parent       = != in, not in, is                    issue keys
project      = != in, not in, is                    key, name or id (``env.resolve_project``)
option       = != in, not in, is                    a name, case-insensitive (status,
                                                    issuetype, priority, select fields)
category     = != in, not in, is                    ``To Do``/``In Progress``/``Done``/
                                                    ``No Category``, ``new``/``indeterminate``/
                                                    ``done``/``undefined`` or ids 2/4/3/1
resolution   = != in, not in, is                    a name, case-insensitive; ``Unresolved``
                                                    means EMPTY
user         = != in, not in, is                    accountId, e-mail or display name
                                                    (``env.resolve_users``), ``currentUser()``,
                                                    ``membersOf(g)`` (with in/not in)
multi        = != in, not in, is                    names, case-insensitive; ``=`` means
                                                    "contains", ``!=`` "does not contain"
sprint       = != in, not in, is                    id or name (``env.resolve_sprint``),
                                                    ``openSprints()`` & co. (with in/not in)
date         = != < <= > >= in, not in, is          see Dates; ``now()``, ``startOfDay()`` ...
number       = != < <= > >= in, not in, is          ints and decimals
text         ~ !~ is, is not                        word search (see below)
string       same as text (Jira's single-line text custom field)
rank         none (ORDER BY only)
===========  =====================================  =========================================

As in Jira, the negative operators (``!=``, ``NOT IN``, ``!~``) never match an issue whose
field is EMPTY (``assignee != bob`` leaves out unassigned issues); ``NOT (clause)`` is the plain
complement and does include them.

``~`` is Jira's word search, not a substring search: case-insensitive; every term must occur as
a whole word (in any of the field's values); ``win*`` and ``te?t`` are wildcards (not at the
start of a term); a quoted phrase (``summary ~ "\\"sprout social\\""``) must occur as adjacent
words; English stop words (``the``, ``and``, ``to`` ...) are ignored; a term with punctuation
inside (``e-mail``) is a phrase of its words; a query of stop words only matches nothing. No
stemming (``files`` does not find ``file``), and Lucene operators inside the text (``+``, ``-``,
``AND``, fuzzy ``~``, boosts) are not interpreted: ``-x`` is just the term ``x``.

Rows (what the search handler passes to ``matches``/``sort``)
-------------------------------------------------------------
A row is any ``Mapping[str, Any]`` keyed by ``FieldSpec.id``; a missing key counts as EMPTY.

* ``key``: ``"MKT-12"`` (upper case); ``id``: the numeric id as a string (``"10012"``);
  ``parent``: the parent's key or None.
* ``project``: the project key; ``issuetype``, ``status``, ``priority``: names;
  ``statusCategory``: ``"new"``, ``"indeterminate"`` or ``"done"``; ``resolution``: the name or
  None.
* ``reporter``, ``assignee``, ``creator`` and user custom fields: the accountId or None.
* ``labels``, ``components``, ``fixVersions``, ``versions`` and labels/multi-select custom
  fields: a list/tuple/set of names (empty or None when there are none).
* ``sprint``: a list of sprint ids (ints).
* ``created``, ``updated``, ``resolutiondate`` and datetime custom fields: tz-aware
  ``datetime`` (never naive); ``duedate`` and date custom fields: a ``datetime.date`` (taken as
  midnight UTC) or a tz-aware datetime.
* ``summary``, ``description``, ``environment`` and text custom fields: plain text (``str``);
  ``comment``: a list of plain-text comment bodies.
* numbers: int or float. ``rank``: any string that sorts in rank order (optional).
* Custom fields: ``customfield_NNNNN`` as the ``FieldSpec`` of the field says.

``system_field(name)`` gives the ``FieldSpec`` of every system field by its JQL names (``type``,
``issuekey``, ``fixVersion``, ``resolved`` ...), so an ``Env`` only has to add custom fields.
``text ~`` searches the row keys in ``FieldSpec.sources``; ``system_field("text")`` lists the
system text fields; an env adds its text custom fields to it.

Not supported (raise ``JqlError`` naming the part)
---------------------------------------------------
History operators (``WAS``, ``WAS IN``, ``WAS NOT``, ``WAS NOT IN``, ``CHANGED``), entity
properties (``issue.property[x].y``), Jira functions other than the ones above (e.g.
``linkedIssues()``, ``issueHistory()``, ``updatedBy()``), comparing ``priority``/``status`` with
``<``/``>``, searching ``parent`` by numeric id. Ordering is by value (names alphabetically,
users by accountId, ``statusCategory`` in workflow order), not by Jira's configured sequences.
EMPTY sorts after every value (last in ASC, first in DESC); ties are broken by key ascending.
Without ORDER BY the order is ``created DESC, key ASC``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, NoReturn, Protocol

__all__ = [
    "DEFAULT_ORDER",
    "Env",
    "FieldKind",
    "FieldSpec",
    "JqlError",
    "Query",
    "compile_jql",
    "system_field",
]

FieldKind = Literal[
    "key",
    "parent",
    "project",
    "option",
    "category",
    "resolution",
    "user",
    "multi",
    "sprint",
    "date",
    "number",
    "text",
    "string",
    "rank",
]

_KINDS = frozenset(FieldKind.__args__)  # type: ignore[attr-defined]
_KIND_ALIASES = {"id": "key", "string": "text"}

Row = Mapping[str, Any]
Predicate = Callable[[Row], bool]


class JqlError(Exception):
    """A query Jira would reject; ``str(e)`` is Jira's message, ``position`` the 0-based offset."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class FieldSpec:
    """How a JQL field name maps onto rows.

    ``id`` is the row key; ``kind`` one of ``FieldKind`` (see the module docstring; ``"id"`` is
    accepted as an alias of ``"key"``). ``sources`` is only for ``text``-kind fields that search
    several row keys at once (JQL's ``text`` field); empty means just ``id``.
    """

    id: str
    kind: FieldKind
    sources: tuple[str, ...] = ()


class Env(Protocol):
    """What the engine needs to know about the site; the sandbox's store implements it."""

    def field(self, name: str) -> FieldSpec | None:
        """The field named as written (case-insensitive), incl. ``cf[10010]``; None if unknown."""
        ...

    def now(self) -> datetime:
        """The site's clock, tz-aware."""
        ...

    def current_user(self) -> str | None:
        """The accountId of the caller, None when anonymous."""
        ...

    def resolve_users(self, text: str) -> set[str]:
        """AccountIds matching an accountId, e-mail or display name (empty: unknown)."""
        ...

    def members_of(self, group: str) -> set[str]:
        """AccountIds in the group; raise JqlError for an unknown group."""
        ...

    def sprints(self, state: str) -> set[int]:
        """Ids of the sprints in state ``"active"``, ``"closed"`` or ``"future"``."""
        ...

    def resolve_sprint(self, text: str) -> set[int]:
        """Ids of the sprints with this id or name (empty: unknown)."""
        ...

    def resolve_project(self, text: str) -> str | None:
        """The key of the project with this key, name or id; None if unknown."""
        ...


_S = FieldSpec
_SYSTEM_FIELDS: dict[str, FieldSpec] = {
    "key": _S("key", "key"),
    "issuekey": _S("key", "key"),
    "id": _S("key", "key"),
    "parent": _S("parent", "parent"),
    "project": _S("project", "project"),
    "issuetype": _S("issuetype", "option"),
    "type": _S("issuetype", "option"),
    "status": _S("status", "option"),
    "priority": _S("priority", "option"),
    "statuscategory": _S("statusCategory", "category"),
    "resolution": _S("resolution", "resolution"),
    "reporter": _S("reporter", "user"),
    "assignee": _S("assignee", "user"),
    "creator": _S("creator", "user"),
    "labels": _S("labels", "multi"),
    "component": _S("components", "multi"),
    "fixversion": _S("fixVersions", "multi"),
    "affectedversion": _S("versions", "multi"),
    "sprint": _S("sprint", "sprint"),
    "created": _S("created", "date"),
    "createddate": _S("created", "date"),
    "updated": _S("updated", "date"),
    "updateddate": _S("updated", "date"),
    "resolved": _S("resolutiondate", "date"),
    "resolutiondate": _S("resolutiondate", "date"),
    "duedate": _S("duedate", "date"),
    "due": _S("duedate", "date"),
    "summary": _S("summary", "text"),
    "description": _S("description", "text"),
    "environment": _S("environment", "text"),
    "comment": _S("comment", "text"),
    "text": _S("text", "text", ("summary", "description", "environment", "comment")),
    "rank": _S("rank", "rank"),
}


def system_field(name: str) -> FieldSpec | None:
    """The spec of a Jira system field by any of its JQL names (case-insensitive), else None."""
    return _SYSTEM_FIELDS.get(name.strip().lower())


# --------------------------------------------------------------------------------------------
# Lexer
# --------------------------------------------------------------------------------------------

_PREFIX = "Error in the JQL Query: "
_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "n": "\n", "t": "\t", "r": "\r", " ": " "}
_WORD_BREAK = frozenset(" \t\r\n\f\v=!<>~(),\"'&|[]{}")
_RESERVED_CHARS = frozenset("[]{}")


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # word str op ( ) , and or not eof
    text: str
    pos: int
    bracket: bool = False  # a word with [...] in it (cf[10010], issue.property[x])


def _where(jql: str, pos: int) -> str:
    line = jql.count("\n", 0, pos) + 1
    col = pos - (jql.rfind("\n", 0, pos) + 1) + 1
    return f" (line {line}, character {col})"


def _read_escape(jql: str, i: int, quoted: str) -> tuple[str, int]:
    """Decode the escape at ``jql[i] == '\\'``; return (text, next index)."""
    if i + 1 >= len(jql):
        raise JqlError(f"{_PREFIX}The quoted string '{quoted}' has not been completed.", i)
    e = jql[i + 1]
    if e in _ESCAPES:
        return _ESCAPES[e], i + 2
    if e == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", jql[i + 2 : i + 6]):
        return chr(int(jql[i + 2 : i + 6], 16)), i + 6
    raise JqlError(
        f"{_PREFIX}The escape sequence '\\{e}' is illegal.{_where(jql, i)}",
        i,
    )


def _lex(jql: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(jql)
    while i < n:
        c = jql[i]
        if c.isspace():
            i += 1
        elif c in "\"'":
            start, i, buf = i, i + 1, []
            while True:
                if i >= n:
                    raise JqlError(
                        f"{_PREFIX}The quoted string '{''.join(buf)}' has not been completed."
                        f"{_where(jql, start)}",
                        start,
                    )
                ch = jql[i]
                if ch == "\\":
                    text, i = _read_escape(jql, i, "".join(buf))
                    buf.append(text)
                elif ch == c:
                    i += 1
                    break
                else:
                    buf.append(ch)
                    i += 1
            toks.append(_Tok("str", "".join(buf), start))
        elif c in "<>!":
            two = jql[i : i + 2]
            if two in ("<=", ">=", "!=", "!~"):
                toks.append(_Tok("op", two, i))
                i += 2
            elif c == "!":
                toks.append(_Tok("not", "!", i))
                i += 1
            else:
                toks.append(_Tok("op", c, i))
                i += 1
        elif c in "=~":
            toks.append(_Tok("op", c, i))
            i += 1
        elif c in "(),":
            toks.append(_Tok(c, c, i))
            i += 1
        elif c in "&|":
            width = 2 if jql[i : i + 2] in ("&&", "||") else 1
            toks.append(_Tok("and" if c == "&" else "or", jql[i : i + width], i))
            i += width
        elif c in _RESERVED_CHARS:
            raise JqlError(
                f"{_PREFIX}The character '{c}' is a reserved JQL character. You must enclose it "
                f"in a string or use the escape '\\u{ord(c):04x}' instead.{_where(jql, i)}",
                i,
            )
        else:
            start, buf, bracket = i, [], False
            while i < n:
                ch = jql[i]
                if ch == "\\":
                    text, i = _read_escape(jql, i, "".join(buf))
                    buf.append(text)
                elif ch == "[" and buf:
                    close = jql.find("]", i)
                    if close < 0:
                        raise JqlError(f"{_PREFIX}Expecting ']' before the end of the query.", i)
                    buf.append(jql[i : close + 1])
                    bracket = True
                    i = close + 1
                elif ch in _WORD_BREAK:
                    break
                else:
                    buf.append(ch)
                    i += 1
            word = "".join(buf)
            low = word.lower()
            if not bracket and low in ("and", "or", "not"):
                toks.append(_Tok(low, word, start))
            else:
                toks.append(_Tok("word", word, start, bracket))
    toks.append(_Tok("eof", "", n))
    return toks


# --------------------------------------------------------------------------------------------
# Parser (AST)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Value:
    text: str
    quoted: bool
    pos: int


@dataclass(frozen=True, slots=True)
class _Empty:
    pos: int


@dataclass(frozen=True, slots=True)
class _Func:
    name: str  # as written
    args: tuple[str, ...]
    pos: int


@dataclass(frozen=True, slots=True)
class _List:
    items: tuple[_Value | _Empty | _Func, ...]
    pos: int


_Operand = _Value | _Empty | _Func | _List


@dataclass(frozen=True, slots=True)
class _Clause:
    field: str
    field_pos: int
    op: str  # = != < <= > >= ~ !~ in "not in" is "is not"
    operand: _Operand


@dataclass(frozen=True, slots=True)
class _Bool:
    op: str  # and / or
    children: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class _Not:
    child: Any


_VALID_OPS = (
    "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', "
    "'IS' and 'IS NOT'."
)
# Words that cannot be a bare value (they would make the query ambiguous).
_NOT_A_VALUE = frozenset({"in", "is", "was", "changed", "order", "by"})


class _Parser:
    def __init__(self, jql: str) -> None:
        self.jql = jql
        self.toks = _lex(jql)
        self.i = 0

    # -- helpers -------------------------------------------------------------------------------

    def peek(self, ahead: int = 0) -> _Tok:
        return self.toks[min(self.i + ahead, len(self.toks) - 1)]

    def next(self) -> _Tok:
        tok = self.toks[self.i]
        if tok.kind != "eof":
            self.i += 1
        return tok

    def fail(self, expecting: str, tok: _Tok, extra: str = "") -> NoReturn:
        if tok.kind == "eof":
            raise JqlError(f"{_PREFIX}{expecting} before the end of the query.{extra}", tok.pos)
        raise JqlError(
            f"{_PREFIX}{expecting} but got '{tok.text}'.{extra}{_where(self.jql, tok.pos)}",
            tok.pos,
        )

    @staticmethod
    def is_word(tok: _Tok, *words: str) -> bool:
        return tok.kind == "word" and not tok.bracket and tok.text.lower() in words

    def at_order_by(self) -> bool:
        return self.is_word(self.peek(), "order") and self.is_word(self.peek(1), "by")

    # -- grammar -------------------------------------------------------------------------------

    def parse(self) -> tuple[Any, list[tuple[str, int, bool]] | None]:
        where = None
        if self.peek().kind != "eof" and not self.at_order_by():
            where = self.parse_or()
        order = None
        if self.at_order_by():
            self.i += 2
            order = self.parse_order()
        tok = self.peek()
        if self.is_word(tok, "order") and order is None:
            self.fail("Expecting 'BY'", self.peek(1))
        if tok.kind != "eof":
            self.fail("Expecting either 'OR' or 'AND'", tok)
        return where, order

    def parse_order(self) -> list[tuple[str, int, bool]]:
        out = []
        while True:
            tok = self.next()
            if tok.kind not in ("word", "str"):
                self.fail("Expecting a field name", tok)
            asc = True
            if self.is_word(self.peek(), "asc", "desc"):
                asc = self.next().text.lower() == "asc"
            out.append((self.field_name(tok), tok.pos, asc))
            if self.peek().kind != ",":
                return out
            self.i += 1

    def parse_or(self) -> Any:
        children = [self.parse_and()]
        while self.peek().kind == "or":
            self.i += 1
            children.append(self.parse_and())
        return children[0] if len(children) == 1 else _Bool("or", tuple(children))

    def parse_and(self) -> Any:
        children = [self.parse_not()]
        while self.peek().kind == "and":
            self.i += 1
            children.append(self.parse_not())
        return children[0] if len(children) == 1 else _Bool("and", tuple(children))

    def parse_not(self) -> Any:
        tok = self.peek()
        if tok.kind == "not":
            self.i += 1
            return _Not(self.parse_not())
        if tok.kind == "(":
            self.i += 1
            inner = self.parse_or()
            close = self.next()
            if close.kind != ")":
                self.fail("Expecting ')'", close)
            return inner
        return self.parse_clause()

    def field_name(self, tok: _Tok) -> str:
        if not tok.bracket:
            return tok.text
        m = re.fullmatch(r"cf\[(\d+)\]", tok.text, re.IGNORECASE)
        if m:
            return f"cf[{m[1]}]"
        raise JqlError(
            f"{_PREFIX}The field reference '{tok.text}' is not supported by the sandbox "
            "(only cf[NNNNN] is).",
            tok.pos,
        )

    def parse_clause(self) -> _Clause:
        tok = self.next()
        if tok.kind not in ("word", "str"):
            self.fail("Expecting either a field name, 'NOT' or '('", tok)
        name = self.field_name(tok)
        op = self.parse_operator()
        operand = self.parse_operand(op)
        return _Clause(name, tok.pos, op, operand)

    def parse_operator(self) -> str:
        tok = self.next()
        if tok.kind == "op":
            return tok.text
        if tok.kind == "not":
            after = self.next()
            if not self.is_word(after, "in"):
                self.fail("Expecting 'IN'", after)
            return "not in"
        if self.is_word(tok, "in"):
            return "in"
        if self.is_word(tok, "is"):
            if self.peek().kind == "not":
                self.i += 1
                return "is not"
            return "is"
        if self.is_word(tok, "was"):
            name = "WAS"
            if self.peek().kind == "not":
                name += " NOT"
                self.i += 1
            if self.is_word(self.peek(), "in"):
                name += " IN"
            raise JqlError(
                f"{_PREFIX}The '{name}' operator is not supported by the sandbox.", tok.pos
            )
        if self.is_word(tok, "changed"):
            raise JqlError(
                f"{_PREFIX}The 'CHANGED' operator is not supported by the sandbox.", tok.pos
            )
        self.fail("Expecting operator", tok, " " + _VALID_OPS)
        raise AssertionError  # pragma: no cover  (fail never returns)

    def parse_operand(self, op: str) -> _Operand:
        tok = self.peek()
        if tok.kind == "(":
            self.i += 1
            items = [self.parse_single()]
            while self.peek().kind == ",":
                self.i += 1
                items.append(self.parse_single())
            close = self.next()
            if close.kind != ")":
                self.fail("Expecting ')'", close)
            return _List(tuple(items), tok.pos)
        return self.parse_single()

    def parse_single(self) -> _Value | _Empty | _Func:
        tok = self.next()
        if tok.kind == "str":
            return _Value(tok.text, True, tok.pos)
        if tok.kind == "word" and not tok.bracket:
            low = tok.text.lower()
            if self.peek().kind == "(":
                return self.parse_call(tok)
            if low in ("empty", "null"):
                return _Empty(tok.pos)
            if low not in _NOT_A_VALUE:
                return _Value(tok.text, False, tok.pos)
        if tok.kind in ("word", "and", "or", "not"):
            word = tok.text.upper() if tok.kind != "word" or not tok.bracket else tok.text
            self.fail(
                "Expecting either a value, list or function",
                tok,
                f" You must surround '{word}' in quotation marks to use it as a value.",
            )
        self.fail("Expecting either a value, list or function", tok)
        raise AssertionError  # pragma: no cover

    def parse_call(self, name: _Tok) -> _Func:
        self.i += 1  # (
        args: list[str] = []
        if self.peek().kind == ")":
            self.i += 1
            return _Func(name.text, (), name.pos)
        while True:
            tok = self.next()
            if tok.kind not in ("word", "str"):
                self.fail("Expecting a function argument", tok)
            args.append(tok.text)
            sep = self.next()
            if sep.kind == ")":
                return _Func(name.text, tuple(args), name.pos)
            if sep.kind != ",":
                self.fail("Expecting ')'", sep)


# --------------------------------------------------------------------------------------------
# Values: dates, numbers, keys, text queries
# --------------------------------------------------------------------------------------------

_ABS_DATE = re.compile(r"(\d{4})([-/])(\d{1,2})\2(\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?")
_PERIOD = re.compile(r"([+-]?)\s*((?:\d+\s*[wdhmWDH]\s*)+)")
_PERIOD_PART = re.compile(r"(\d+)\s*([wdhmWDH])")
_UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60}
_KEY_RE = re.compile(r"([A-Z][A-Z0-9_]*)-(\d+)")
_NUMBER_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_MIDNIGHTS: dict[date, datetime] = {}


def _midnight(d: date) -> datetime:
    m = _MIDNIGHTS.get(d)
    if m is None:
        if len(_MIDNIGHTS) > 100_000:
            _MIDNIGHTS.clear()
        m = _MIDNIGHTS[d] = datetime.combine(d, time(), UTC)
    return m


def _norm_date(v: Any) -> Any:
    return _midnight(v) if v.__class__ is date else v


def _parse_date(text: str, now: datetime) -> datetime | None:
    s = text.strip()
    m = _ABS_DATE.fullmatch(s)
    if m:
        y, _, mo, d, hh, mm = m.groups()
        try:
            return datetime(int(y), int(mo), int(d), int(hh or 0), int(mm or 0), tzinfo=UTC)
        except ValueError:
            return None
    m = _PERIOD.fullmatch(s)
    if m:
        seconds = sum(int(n) * _UNIT_SECONDS[u.lower()] for n, u in _PERIOD_PART.findall(m[2]))
        return now + timedelta(seconds=-seconds if m[1] == "-" else seconds)
    return None


def _add_months(dt: datetime, months: int) -> datetime:
    total = dt.year * 12 + dt.month - 1 + months
    y, mo = divmod(total, 12)
    mo += 1
    days = (date(y + mo // 12, mo % 12 + 1, 1) - timedelta(days=1)).day
    return dt.replace(year=y, month=mo, day=min(dt.day, days))


def _shift(dt: datetime, n: int, unit: str) -> datetime:
    if unit == "y":
        return _add_months(dt, 12 * n)
    if unit == "M":
        return _add_months(dt, n)
    return dt + timedelta(seconds=n * _UNIT_SECONDS[unit])


def _start_of(period: str, dt: datetime) -> datetime:
    day = dt.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "d":
        return day
    if period == "w":
        return day - timedelta(days=day.weekday())
    if period == "M":
        return day.replace(day=1)
    return day.replace(month=1, day=1)


_PERIOD_FUNCS = {"day": "d", "week": "w", "month": "M", "year": "y"}
_OFFSET_RE = re.compile(r"([+-]?)(\d+)([yMwdhm]?)")


def _period_function(name: str, arg: str | None, now: datetime, pos: int) -> datetime:
    low = name.lower()
    end = low.startswith("end")
    period = _PERIOD_FUNCS[low[5:] if end else low[7:]]
    n, unit = 0, period
    if arg is not None:
        m = _OFFSET_RE.fullmatch(arg.replace(" ", ""))
        if not m:
            raise JqlError(
                f"Duration format '{arg}' is invalid for function '{name}'. "
                "Use (+/-)nn(y|M|w|d|h|m), e.g. '-1' or '+2w'.",
                pos,
            )
        n = -int(m[2]) if m[1] == "-" else int(m[2])
        unit = m[3] or period
    base = now.astimezone(UTC)
    if unit == period:  # move by whole periods first: endOfMonth("+1") is the end of next month
        base, n = _shift(base, n, unit), 0
    start = _start_of(period, base)
    edge = _shift(start, 1, period) - timedelta(microseconds=1) if end else start
    return _shift(edge, n, unit) if n else edge


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.lower().split())


_STOP_WORDS = _word_set(
    "a an and are as at be but by for if in into is it no not of on or such that the their then "
    "there these they this to was will with"
)


def _text_patterns(query: str, field: str, pos: int) -> list[re.Pattern[str]]:
    """Compile a ``~`` query into regexes that must all match (Jira's word search)."""
    if not query.strip():
        raise JqlError(f"The field '{field}' does not support searching for an empty string.", pos)
    pats: list[str] = []
    for phrase, term in re.findall(r'"((?:[^"\\]|\\.)*)"?|((?:[^\s"\\]|\\.)+)', query):
        if phrase:
            words = re.findall(r"\w+", phrase.lower())
            if words:
                pats.append(r"(?<!\w)" + r"\W+".join(map(re.escape, words)) + r"(?!\w)")
            continue
        if not term:
            continue
        if re.search(r"(?<!\\)[*?]", term):
            if term[0] in "*?":
                raise JqlError(
                    f"The text query '{term}' for field '{field}' is not allowed to start with "
                    "a wildcard.",
                    pos,
                )
            rx, i = [], 0
            while i < len(term):
                ch = term[i]
                if ch == "\\" and i + 1 < len(term):
                    rx.append(re.escape(term[i + 1]))
                    i += 2
                    continue
                rx.append(r"\w*" if ch == "*" else r"\w" if ch == "?" else re.escape(ch.lower()))
                i += 1
            pats.append(r"(?<!\w)" + "".join(rx) + r"(?!\w)")
            continue
        words = re.findall(r"\w+", term.replace("\\", "").lower())
        if len(words) == 1 and words[0] in _STOP_WORDS:
            continue
        if words:
            pats.append(r"(?<!\w)" + r"\W+".join(map(re.escape, words)) + r"(?!\w)")
    return [re.compile(p, re.IGNORECASE) for p in dict.fromkeys(pats)]


# --------------------------------------------------------------------------------------------
# Binding: AST -> predicates
# --------------------------------------------------------------------------------------------

_RELATIONAL = ("<", "<=", ">", ">=")
_EQUALITY_OPS = ("=", "!=", "in", "not in", "is", "is not")
_OPS_BY_KIND: dict[str, tuple[str, ...]] = {
    "key": (*_EQUALITY_OPS, *_RELATIONAL),
    "date": (*_EQUALITY_OPS, *_RELATIONAL),
    "number": (*_EQUALITY_OPS, *_RELATIONAL),
    "text": ("~", "!~", "is", "is not"),
    "rank": (),
}
_CATEGORIES = {
    "to do": "new",
    "new": "new",
    "2": "new",
    "in progress": "indeterminate",
    "indeterminate": "indeterminate",
    "4": "indeterminate",
    "done": "done",
    "complete": "done",
    "3": "done",
    "no category": "undefined",
    "undefined": "undefined",
    "1": "undefined",
}
_CATEGORY_ORDER = {"undefined": 0, "new": 1, "indeterminate": 2, "done": 3}
# name -> (min args, max args, kinds it serves, returns a list)
_FUNCTIONS: dict[str, tuple[int, int, str, bool]] = {
    "currentuser": (0, 0, "user", False),
    "membersof": (1, 1, "user", True),
    "opensprints": (0, 0, "sprint", True),
    "closedsprints": (0, 0, "sprint", True),
    "futuresprints": (0, 0, "sprint", True),
    "now": (0, 0, "date", False),
    **{f"{se}of{p}": (0, 1, "date", False) for se in ("start", "end") for p in _PERIOD_FUNCS},
}
# Jira functions the sandbox knows of but does not implement.
_JIRA_ONLY_FUNCTIONS = _word_set(
    "approved approver breached cascadeOption choiceOption completed componentsLeadByUser "
    "currentLogin earliestUnreleasedVersion elapsed everbreached issueHistory "
    "issuesWithRemoteLinksByGlobalId lastLogin latestReleasedVersion linkedIssues "
    "linkedIssuesOf myApproval myPending organizationMembers paused pending pendingBy "
    "portalId projectsLeadByUser projectsWhereUserHasPermission projectsWhereUserHasRole "
    "releasedVersions remaining running standardIssueTypes subtaskIssueTypes "
    "unreleasedVersions updatedBy votedIssues watchedIssues withinCalendarHours "
    "earliestUnreleasedVersionByReleaseDate latestReleasedVersionByReleaseDate "
    "issueFieldMatch linkedIssuesOfAll parentsOf subtasksOf epicsOf "
    "descendantsOf ancestorsOf"
)

_EMPTY = object()  # marks EMPTY inside a resolved value set


class _Binder:
    def __init__(self, jql: str, env: Env) -> None:
        self.jql = jql
        self.env = env
        self._now: datetime | None = None

    @property
    def now(self) -> datetime:
        if self._now is None:
            self._now = self.env.now()
        return self._now

    # -- fields --------------------------------------------------------------------------------

    def spec(self, name: str, pos: int) -> FieldSpec:
        spec = self.env.field(name)
        if spec is None:
            raise JqlError(
                f"Field '{name}' does not exist or you do not have permission to view it.", pos
            )
        kind = _KIND_ALIASES.get(spec.kind, spec.kind)
        if kind not in _KINDS:
            raise ValueError(f"FieldSpec {spec!r} has an unknown kind {spec.kind!r}")
        return spec if kind == spec.kind else FieldSpec(spec.id, kind, spec.sources)  # type: ignore[arg-type]

    # -- where ---------------------------------------------------------------------------------

    def bind(self, node: Any) -> Predicate:
        if isinstance(node, _Clause):
            return self.clause(node)
        if isinstance(node, _Not):
            inner = self.bind(node.child)
            return lambda row: not inner(row)
        preds = [self.bind(child) for child in node.children]
        return _all(preds) if node.op == "and" else _any(preds)

    def clause(self, c: _Clause) -> Predicate:
        spec = self.spec(c.field, c.field_pos)
        kind, op = spec.kind, c.op
        allowed = _OPS_BY_KIND.get(kind, _EQUALITY_OPS)
        if op not in allowed:
            raise JqlError(
                f"The operator '{op}' is not supported by the '{c.field}' field.", c.field_pos
            )
        self.check_shape(c)
        if kind == "text":
            return self.text_clause(spec, c)
        if op in _RELATIONAL:
            return self.relational(spec, c)
        values = self.resolve_all(spec, c)
        has_empty = _EMPTY in values
        values.discard(_EMPTY)
        fid = spec.id
        if kind == "key":
            return _key_equality(op, values, has_empty)
        norm = {"option": str.lower, "resolution": str.lower, "date": _norm_date}.get(kind)
        if kind in ("multi", "sprint"):
            return _multi(
                fid, op, frozenset(values), has_empty, str.lower if kind == "multi" else None
            )
        return _scalar(fid, op, frozenset(values), has_empty, norm)

    def narrowing(self, node: Any) -> frozenset[tuple[str, Any]] | None:
        """Issues the query can only match, as ``("key", "MKT-1")``, ``("id", 10001)`` or
        ``("parent", "MKT-1")`` references, when its WHERE part pins them down (a ``key`` or
        ``parent`` equality or ``in`` in every branch); None when any issue may match. A
        superset: the predicate still decides. It lets ``key in (...)`` skip a scan of the site."""
        if isinstance(node, _Clause):
            if node.op not in ("=", "in") or isinstance(node.operand, _Empty):
                return None
            spec = self.spec(node.field, node.field_pos)
            if spec.kind not in ("key", "parent"):
                return None
            refs: set[tuple[str, Any]] = set()
            for v in self.resolve_all(spec, node):
                if v is _EMPTY:
                    return None
                if spec.kind == "parent":
                    refs.add(("parent", v))
                elif isinstance(v, tuple):
                    refs.add(("key", f"{v[0]}-{v[1]}"))
                else:
                    refs.add(("id", v))
            return frozenset(refs)
        if isinstance(node, _Bool):
            found = [self.narrowing(child) for child in node.children]
            if node.op == "and":
                pinned = [f for f in found if f is not None]
                return min(pinned, key=len) if pinned else None
            if any(f is None for f in found):
                return None
            return frozenset().union(*found)  # type: ignore[arg-type]
        return None

    def check_shape(self, c: _Clause) -> None:
        op, operand = c.op, c.operand
        if op in ("is", "is not"):
            if not isinstance(operand, _Empty):
                raise JqlError(
                    f"The operator '{op}' only supports EMPTY or NULL as its value.", c.field_pos
                )
        elif op in ("in", "not in"):
            if isinstance(operand, _Value | _Empty):
                raise JqlError(
                    f"The operator '{op}' requires a list, e.g. (a, b), or a function.",
                    operand.pos,
                )
        elif isinstance(operand, _List):
            raise JqlError(
                f"The operator '{op}' does not support the use of lists; use 'in'.", operand.pos
            )
        elif isinstance(operand, _Func) and _FUNCTIONS.get(operand.name.lower(), (0, 0, "", 0))[3]:
            raise JqlError(
                f"The function '{operand.name}' returns a list and can only be used with the "
                "operators 'in' and 'not in'.",
                operand.pos,
            )
        elif isinstance(operand, _Empty) and op not in ("=", "!="):
            raise JqlError(
                f"The operator '{op}' does not support searching for EMPTY values.", operand.pos
            )

    # -- values --------------------------------------------------------------------------------

    def resolve_all(self, spec: FieldSpec, c: _Clause) -> set[Any]:
        items = c.operand.items if isinstance(c.operand, _List) else (c.operand,)
        out: set[Any] = set()
        for item in items:
            if isinstance(item, _Empty):
                out.add(_EMPTY)
            elif isinstance(item, _Func):
                out |= self.call(spec, c.field, item)
            else:
                out |= self.resolve(spec, c.field, item)
        return out

    def call(self, spec: FieldSpec, field: str, f: _Func) -> set[Any]:
        low = f.name.lower()
        info = _FUNCTIONS.get(low)
        if info is None:
            if low in _JIRA_ONLY_FUNCTIONS:
                raise JqlError(
                    f"{_PREFIX}The function '{f.name}' is not supported by the sandbox.", f.pos
                )
            raise JqlError(f"Unable to find JQL function '{f.name}()'.", f.pos)
        lo, hi, kind, _ = info
        if not lo <= len(f.args) <= hi:
            want = f"'{lo}'" if lo == hi else f"between '{lo}' and '{hi}'"
            raise JqlError(
                f"Function '{f.name}' expected {want} arguments but got '{len(f.args)}'.", f.pos
            )
        if spec.kind != kind:
            raise JqlError(
                f"A value provided by the function '{f.name}' is invalid for the field '{field}'.",
                f.pos,
            )
        env = self.env
        if low == "currentuser":
            me = env.current_user()
            return {me} if me else set()
        if low == "membersof":
            return set(env.members_of(f.args[0]))
        if low.endswith("sprints"):
            return set(env.sprints({"open": "active"}.get(low[:-7], low[:-7])))
        if low == "now":
            return {self.now}
        return {_period_function(f.name, f.args[0] if f.args else None, self.now, f.pos)}

    def resolve(self, spec: FieldSpec, field: str, v: _Value) -> set[Any]:
        kind, text = spec.kind, v.text
        if kind in ("option", "multi"):
            return {text.lower()}
        if kind == "resolution":
            return {_EMPTY} if text.lower() == "unresolved" else {text.lower()}
        if kind == "key":
            return {self.key(field, v)}
        if kind == "parent":
            key = self.key(field, v)
            if isinstance(key, int):
                raise JqlError(
                    f"{_PREFIX}Searching '{field}' by issue id is not supported by the sandbox; "
                    "use the issue key.",
                    v.pos,
                )
            return {key[0] + "-" + str(key[1])}
        if kind == "date":
            return {self.date(field, v)}
        if kind == "number":
            return {self.number(field, v)}
        if kind == "category":
            cat = _CATEGORIES.get(text.lower())
            if cat is None:
                raise self.no_value(field, v)
            return {cat}
        found: set[Any] | str | None
        if kind == "project":
            found = self.env.resolve_project(text)
        elif kind == "user":
            found = self.env.resolve_users(text)
        elif kind == "sprint":
            found = self.env.resolve_sprint(text)
        else:
            raise JqlError(
                f"The operator '=' is not supported by the '{field}' field.", v.pos
            )  # pragma: no cover  (rank/text never get here)
        if not found:
            raise self.no_value(field, v)
        return {found} if isinstance(found, str) else set(found)

    def no_value(self, field: str, v: _Value) -> JqlError:
        return JqlError(f"The value '{v.text}' does not exist for the field '{field}'.", v.pos)

    def key(self, field: str, v: _Value) -> tuple[str, int] | int:
        text = v.text.strip().upper()
        if text.isdigit():
            return int(text)
        m = _KEY_RE.fullmatch(text)
        if not m:
            raise JqlError(f"The issue key '{v.text}' for field '{field}' is invalid.", v.pos)
        return (m[1], int(m[2]))

    def date(self, field: str, v: _Value) -> datetime:
        d = _parse_date(v.text, self.now)
        if d is None:
            raise JqlError(
                f"Date value '{v.text}' for field '{field}' is invalid. Valid formats include: "
                "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period "
                "format e.g. '-5d', '4w 2d'.",
                v.pos,
            )
        return d

    def number(self, field: str, v: _Value) -> int | float:
        text = v.text.strip()
        if not _NUMBER_RE.fullmatch(text):
            raise JqlError(
                f"The value '{v.text}' is not a valid number for the field '{field}'.", v.pos
            )
        return int(text) if text.lstrip("+-").isdigit() else float(text)

    # -- relational & text ---------------------------------------------------------------------

    def relational(self, spec: FieldSpec, c: _Clause) -> Predicate:
        (value,) = self.resolve_all(spec, c)
        op, fid = c.op, spec.id
        if spec.kind == "key":
            return _key_relational(op, value)
        if spec.kind == "date":
            return _date_relational(fid, op, value)
        return _relational(fid, op, value)

    def text_clause(self, spec: FieldSpec, c: _Clause) -> Predicate:
        sources = spec.sources or (spec.id,)
        if c.op in ("is", "is not"):
            empty = _text_empty(sources)
            return empty if c.op == "is" else (lambda row: not empty(row))
        operand = c.operand
        if isinstance(operand, _Func):
            self.call(spec, c.field, operand)  # raises: no function yields text
        if not isinstance(operand, _Value):
            raise JqlError(
                f"The operator '{c.op}' does not support searching for EMPTY values.", c.field_pos
            )
        pats = _text_patterns(operand.text, c.field, operand.pos)
        return _text_search(sources, pats, negate=c.op == "!~")

    # -- order by ------------------------------------------------------------------------------

    def sorter(self, name: str, pos: int) -> tuple[str, Callable[[Row], Any]]:
        spec = self.spec(name, pos)
        if (spec.kind == "text" and (spec.sources or spec.id == "comment")) or spec.id == "text":
            raise JqlError(f"Not able to sort using field '{name}'.", pos)
        return spec.id, _sort_value(spec)


# -- predicate builders (closures; keep the hot paths free of per-row dispatch) -------------------


def _all(preds: list[Predicate]) -> Predicate:
    if len(preds) == 2:
        a, b = preds
        return lambda row: a(row) and b(row)
    if len(preds) == 3:
        a, b, c = preds
        return lambda row: a(row) and b(row) and c(row)

    def every(row: Row) -> bool:
        return all(p(row) for p in preds)

    return every


def _any(preds: list[Predicate]) -> Predicate:
    if len(preds) == 2:
        a, b = preds
        return lambda row: a(row) or b(row)

    def some(row: Row) -> bool:
        return any(p(row) for p in preds)

    return some


def _never(row: Row) -> bool:
    return False


def _scalar(
    fid: str,
    op: str,
    values: frozenset[Any],
    has_empty: bool,
    norm: Callable[[Any], Any] | None,
) -> Predicate:
    """A single-valued field against a set of values (EMPTY handled by ``has_empty``)."""
    if op in ("is", "is not"):
        has_empty, values, op = True, frozenset(), "=" if op == "is" else "!="
    if op in ("!=", "not in"):
        if not values:  # != EMPTY
            return lambda row: row.get(fid) is not None
        if norm is None:
            return lambda row: (x := row.get(fid)) is not None and x not in values
        return lambda row: (x := row.get(fid)) is not None and norm(x) not in values
    # = / in
    if not values:
        return (lambda row: row.get(fid) is None) if has_empty else _never
    if has_empty:
        if norm is None:
            return lambda row: (x := row.get(fid)) is None or x in values
        return lambda row: (x := row.get(fid)) is None or norm(x) in values
    if norm is None:
        if len(values) == 1:
            (only,) = values
            return lambda row: row.get(fid) == only
        return lambda row: row.get(fid) in values
    return lambda row: (x := row.get(fid)) is not None and norm(x) in values


def _multi(
    fid: str,
    op: str,
    values: frozenset[Any],
    has_empty: bool,
    norm: Callable[[Any], Any] | None,
) -> Predicate:
    """A multi-valued field: ``=`` means contains one of, ``!=`` contains none of (non-empty)."""

    def hit(xs: Iterable[Any]) -> bool:
        return not values.isdisjoint(xs if norm is None else map(norm, xs))

    if op == "is":
        return lambda row: not row.get(fid)
    if op == "is not":
        return lambda row: bool(row.get(fid))
    if op in ("!=", "not in"):
        return lambda row: bool(xs := row.get(fid)) and not hit(xs)
    if has_empty:
        return lambda row: not (xs := row.get(fid)) or hit(xs)
    return lambda row: bool(xs := row.get(fid)) and hit(xs)


def _key_equality(op: str, values: set[Any], has_empty: bool) -> Predicate:
    keys = frozenset(f"{v[0]}-{v[1]}" for v in values if isinstance(v, tuple))
    ids = frozenset(str(v) for v in values if isinstance(v, int))
    if op == "is":
        return _never
    if op == "is not":
        return lambda row: True
    if not values:  # = EMPTY / != EMPTY
        return _never if op in ("=", "in") else (lambda row: True)

    def hit(row: Row) -> bool:
        return row.get("key") in keys or row.get("id") in ids

    if op in ("!=", "not in"):
        return lambda row: not hit(row)
    return hit


def _compare(op: str) -> Callable[[Any, Any], bool]:
    return {
        "<": lambda x, v: x < v,
        "<=": lambda x, v: x <= v,
        ">": lambda x, v: x > v,
        ">=": lambda x, v: x >= v,
    }[op]


def _key_relational(op: str, value: tuple[str, int] | int) -> Predicate:
    cmp = _compare(op)
    if isinstance(value, int):

        def by_id(row: Row) -> bool:
            i = row.get("id")
            return i is not None and cmp(int(i), value)

        return by_id
    project, number = value

    def by_key(row: Row) -> bool:
        k = row.get("key")
        if not k:
            return False
        p, _, n = k.rpartition("-")
        return p == project and cmp(int(n), number)

    return by_key


def _relational(fid: str, op: str, v: Any) -> Predicate:
    if op == ">=":
        return lambda row: (x := row.get(fid)) is not None and x >= v
    if op == ">":
        return lambda row: (x := row.get(fid)) is not None and x > v
    if op == "<=":
        return lambda row: (x := row.get(fid)) is not None and x <= v
    return lambda row: (x := row.get(fid)) is not None and x < v


def _date_relational(fid: str, op: str, v: datetime) -> Predicate:
    cmp = _compare(op)
    if op == ">=":  # the common "updated >= -15m": inline it

        def since(row: Row) -> bool:
            x = row.get(fid)
            if x is None:
                return False
            if x.__class__ is date:
                x = _midnight(x)
            return x >= v

        return since

    def other(row: Row) -> bool:
        x = row.get(fid)
        if x is None:
            return False
        if x.__class__ is date:
            x = _midnight(x)
        return cmp(x, v)

    return other


def _texts(row: Row, sources: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for s in sources:
        v = row.get(s)
        if not v:
            continue
        if isinstance(v, str):
            out.append(v)
        else:
            out.extend(t for t in v if t)
    return out


def _text_empty(sources: tuple[str, ...]) -> Predicate:
    if len(sources) == 1:
        (fid,) = sources
        return lambda row: not row.get(fid)
    return lambda row: not _texts(row, sources)


def _text_search(
    sources: tuple[str, ...], pats: list[re.Pattern[str]], *, negate: bool
) -> Predicate:
    def found(texts: list[str]) -> bool:
        return all(any(p.search(t) for t in texts) for p in pats)

    def search(row: Row) -> bool:
        texts = _texts(row, sources)
        if not texts or not pats:
            return False
        return found(texts) is not negate

    return search


# -- sorting -----------------------------------------------------------------------------------


def _sort_value(spec: FieldSpec) -> Callable[[Row], Any]:
    fid, kind = spec.id, spec.kind
    if kind == "key":

        def key_value(row: Row) -> Any:
            k = row.get("key")
            if not k:
                return None
            p, _, n = k.rpartition("-")
            return (p, int(n)) if n.isdigit() else (k, 0)

        return key_value
    if kind == "category":
        return lambda row: _CATEGORY_ORDER.get(row.get(fid))  # type: ignore[arg-type]
    if kind == "date":
        return lambda row: None if (x := row.get(fid)) is None else _norm_date(x)
    if kind in ("multi", "sprint"):
        return lambda row: tuple(sorted(_lower(x) for x in xs)) if (xs := row.get(fid)) else None
    if kind == "number":
        return lambda row: row.get(fid)
    return lambda row: None if (x := row.get(fid)) is None else _lower(x)


def _lower(x: Any) -> Any:
    return x.lower() if isinstance(x, str) else x


class _Desc:
    """Inverts the order of a sort key component (for ``Query.sort_key``)."""

    __slots__ = ("v",)

    def __init__(self, v: Any) -> None:
        self.v = v

    def __lt__(self, other: _Desc) -> bool:
        return other.v < self.v

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Desc) and self.v == other.v

    __hash__ = None  # type: ignore[assignment]


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------

DEFAULT_ORDER: tuple[tuple[str, bool], ...] = (("created", False), ("key", True))


def _always(row: Row) -> bool:
    return True


class Query:
    """A compiled JQL query. Build it with ``compile_jql``.

    ``order_by`` is the effective order as ``(row key, ascending)`` pairs: the ORDER BY clause,
    or ``DEFAULT_ORDER`` (``created DESC, key ASC``) when the query has none. ``sort`` also breaks
    remaining ties by key ascending.
    """

    __slots__ = ("_pred", "_sorters", "jql", "narrow", "order_by", "predicate")

    def __init__(
        self,
        jql: str,
        predicate: Predicate,
        sorters: list[tuple[str, Callable[[Row], Any], bool]],
        narrow: frozenset[tuple[str, Any]] | None = None,
    ) -> None:
        self.jql = jql
        # The only issues that can match (``_Binder.narrowing``), or None: scan them all.
        self.narrow = narrow
        self.predicate: Predicate = predicate  # the same as matches, without the method call
        self._pred = predicate
        self._sorters = sorters
        self.order_by: tuple[tuple[str, bool], ...] = tuple((f, asc) for f, _, asc in sorters)
        if not any(fid == "key" for fid, _, _ in sorters):
            self._sorters = [*sorters, ("key", _sort_value(_SYSTEM_FIELDS["key"]), True)]

    def matches(self, row: Row) -> bool:
        """Whether the row satisfies the query's WHERE part (always True without one)."""
        return self._pred(row)

    def filter(self, rows: Iterable[Row]) -> list[Row]:
        """The rows that match, in their original order."""
        pred = self._pred
        return [row for row in rows if pred(row)]

    def sort_key(self, row: Row) -> tuple[Any, ...]:
        """A key for ``sorted(rows, key=q.sort_key)``; ``sort`` gives the same order, faster."""
        parts: list[Any] = []
        for _, value, asc in self._sorters:
            v = value(row)
            part = (1,) if v is None else (0, v)
            parts.append(part if asc else _Desc(part))
        return tuple(parts)

    def sort(self, rows: Iterable[Row]) -> list[Row]:
        """The rows in ORDER BY order (stable; EMPTY after values; ties by key)."""
        out = list(rows)
        for _, value, asc in reversed(self._sorters):
            out.sort(
                key=lambda row, value=value: (1,) if (v := value(row)) is None else (0, v),
                reverse=not asc,
            )
        return out

    def __repr__(self) -> str:
        return f"Query({self.jql!r})"


def compile_jql(jql: str, env: Env) -> Query:
    """Parse ``jql`` and bind it to ``env``; raise ``JqlError`` with Jira's message if invalid.

    Relative dates and date functions are fixed at compile time (``env.now()`` is read once).
    """
    try:
        where, order = _Parser(jql).parse()
        binder = _Binder(jql, env)
        predicate = _always if where is None else binder.bind(where)
        narrow = None if where is None else binder.narrowing(where)
    except RecursionError:
        raise JqlError(f"{_PREFIX}The query is nested too deeply.") from None
    if order is None:
        sorters = [(fid, _sort_value(_SYSTEM_FIELDS[fid]), asc) for fid, asc in DEFAULT_ORDER]
    else:
        sorters = []
        for name, pos, asc in order:
            fid, value = binder.sorter(name, pos)
            sorters.append((fid, value, asc))
    return Query(jql, predicate, sorters, narrow)
