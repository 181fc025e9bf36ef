"""A small subset of CQL (Confluence Query Language), enough for what a plugin asks for.

Supported: fields ``space`` (``space.key``), ``title``, ``type``, ``label``, ``ancestor``,
``parent``, ``id`` (``content``), ``creator``, ``text``; operators ``=``, ``!=``, ``~``, ``!~``,
``IN (...)``, ``NOT IN (...)``; ``AND``, ``OR``, ``NOT``, parentheses; ``ORDER BY`` ``title``,
``created``, ``lastmodified`` or ``id`` with ``ASC``/``DESC``; the function ``currentUser()``.
Anything else is a 400 naming what is unsupported, never a silently wrong result set.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..routing import HttpError
from .state import ConfluenceState, Content

__all__ = ["compile_cql"]

Predicate = Callable[[Content], bool]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>!=|!~|>=|<=|=|~|>|<|\(|\)|,)
      | (?P<word>[A-Za-z0-9_.\-@:]+(?:\(\))?)
    )""",
    re.VERBOSE,
)
_FIELDS = {
    "space": "space",
    "space.key": "space",
    "title": "title",
    "type": "type",
    "label": "label",
    "ancestor": "ancestor",
    "parent": "parent",
    "id": "id",
    "content": "id",
    "creator": "creator",
    "text": "text",
}
_OPS = {
    "space": {"=", "!=", "in", "not in"},
    "title": {"=", "!=", "~", "!~", "in", "not in"},
    "type": {"=", "!=", "in", "not in"},
    "label": {"=", "!=", "in", "not in"},
    "ancestor": {"=", "!=", "in", "not in"},
    "parent": {"=", "!=", "in", "not in"},
    "id": {"=", "!=", "in", "not in"},
    "creator": {"=", "!=", "in", "not in"},
    "text": {"~", "!~"},
}
_ORDER_FIELDS = ("title", "created", "lastmodified", "id")


@dataclass
class _Tok:
    kind: str  # str | op | word
    text: str


def _tokenize(cql: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    while pos < len(cql):
        if cql[pos:].strip() == "":
            break
        m = _TOKEN.match(cql, pos)
        if m is None or m.end() == pos:
            raise _bad(cql, f"unexpected character {cql[pos:].lstrip()[:1]!r}")
        kind = m.lastgroup or "word"
        text = m.group(kind)
        if kind == "str":
            text = re.sub(r"\\(.)", r"\1", text[1:-1])
        out.append(_Tok(kind, text))
        pos = m.end()
    return out


def _bad(cql: str, detail: str) -> HttpError:
    return HttpError(400, f"Could not parse cql : {cql} ({detail})")


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"\W+", text.casefold()) if w]


def _plain(body: str) -> str:
    return re.sub(r"<[^>]+>", " ", body)


class _Parser:
    def __init__(self, cql: str, state: ConfluenceState, me: str | None) -> None:
        self.cql = cql
        self.toks = _tokenize(cql)
        self.i = 0
        self.state = state
        self.me = me

    # -- token helpers ---------------------------------------------------------------------

    def peek(self, offset: int = 0) -> _Tok | None:
        j = self.i + offset
        return self.toks[j] if j < len(self.toks) else None

    def keyword(self, *words: str) -> bool:
        """Consume the keyword sequence ``words`` (case-insensitive) if it comes next."""
        for k, w in enumerate(words):
            t = self.peek(k)
            if t is None or t.kind != "word" or t.text.lower() != w:
                return False
        self.i += len(words)
        return True

    def expect_op(self, op: str) -> None:
        t = self.peek()
        if t is None or t.kind != "op" or t.text != op:
            got = "the end" if t is None else repr(t.text)
            raise _bad(self.cql, f"expected {op!r}, found {got}")
        self.i += 1

    # -- grammar ---------------------------------------------------------------------------

    def parse(self) -> tuple[Predicate, list[tuple[str, bool]]]:
        if not self.toks:
            raise _bad(self.cql, "the query is empty")
        pred = self.expr()
        order: list[tuple[str, bool]] = []
        if self.keyword("order", "by"):
            while True:
                t = self.peek()
                if t is None or t.kind != "word":
                    raise _bad(self.cql, "ORDER BY needs a field")
                name = t.text.lower()
                if name not in _ORDER_FIELDS:
                    raise _bad(
                        self.cql,
                        f"ORDER BY {t.text} is not supported by the sandbox "
                        f"(supported: {', '.join(_ORDER_FIELDS)})",
                    )
                self.i += 1
                desc = False
                if self.keyword("desc"):
                    desc = True
                else:
                    self.keyword("asc")
                order.append((name, desc))
                t = self.peek()
                if t is not None and t.kind == "op" and t.text == ",":
                    self.i += 1
                    continue
                break
        if self.peek() is not None:
            raise _bad(self.cql, f"unexpected {self.peek().text!r}")  # type: ignore[union-attr]
        return pred, order

    def expr(self) -> Predicate:
        terms = [self.and_expr()]
        while self.keyword("or"):
            terms.append(self.and_expr())
        if len(terms) == 1:
            return terms[0]
        return lambda c: any(t(c) for t in terms)

    def and_expr(self) -> Predicate:
        terms = [self.not_expr()]
        while self.keyword("and"):
            terms.append(self.not_expr())
        if len(terms) == 1:
            return terms[0]
        return lambda c: all(t(c) for t in terms)

    def not_expr(self) -> Predicate:
        if self.keyword("not"):
            inner = self.not_expr()
            return lambda c: not inner(c)
        t = self.peek()
        if t is not None and t.kind == "op" and t.text == "(":
            self.i += 1
            inner = self.expr()
            self.expect_op(")")
            return inner
        return self.clause()

    def value(self) -> str:
        t = self.peek()
        if t is None or t.kind == "op":
            raise _bad(self.cql, "expected a value")
        self.i += 1
        if t.kind == "word" and t.text.endswith("()"):
            if t.text.lower() == "currentuser()":
                return self.me or ""
            raise _bad(self.cql, f"the function {t.text} is not supported by the sandbox")
        return t.text

    def clause(self) -> Predicate:
        t = self.peek()
        if t is None or t.kind != "word":
            raise _bad(self.cql, "expected a field name")
        field = _FIELDS.get(t.text.lower())
        if field is None:
            raise _bad(
                self.cql,
                f"the field {t.text!r} is not supported by the sandbox "
                f"(supported: {', '.join(sorted(set(_FIELDS)))})",
            )
        self.i += 1
        if self.keyword("not", "in"):
            op = "not in"
        elif self.keyword("in"):
            op = "in"
        else:
            nt = self.peek()
            if (
                nt is None
                or nt.kind != "op"
                or nt.text not in ("=", "!=", "~", "!~", "<", ">", "<=", ">=")
            ):
                raise _bad(self.cql, f"expected an operator after {t.text}")
            op = nt.text
            self.i += 1
        if op not in _OPS[field]:
            raise _bad(self.cql, f"the operator {op!r} is not supported for the field {t.text!r}")
        if op in ("in", "not in"):
            self.expect_op("(")
            values = [self.value()]
            while (p := self.peek()) is not None and p.kind == "op" and p.text == ",":
                self.i += 1
                values.append(self.value())
            self.expect_op(")")
        else:
            values = [self.value()]
        test = self._test(field, op, values)
        if op in ("!=", "!~", "not in"):
            return lambda c: not test(c)
        return test

    def _test(self, field: str, op: str, values: list[str]) -> Predicate:
        st = self.state
        if field == "space":
            keys = set(values)
            return lambda c: c.space_key in keys
        if field == "type":
            types = {v.lower() for v in values}
            return lambda c: c.type in types
        if field == "id":
            ids = set(values)
            return lambda c: c.id in ids
        if field == "creator":
            people = set()
            for v in values:
                acc = st.accounts.find(v)
                people.add(acc.account_id if acc else v)
            return lambda c: c.created_by in people
        if field == "label":
            names = {v.lower() for v in values}
            return lambda c: any(lb.name in names for lb in c.labels)
        if field == "parent":
            ids = set(values)
            return lambda c: c.type == "page" and c.parent_id in ids
        if field == "ancestor":
            ids = set(values)
            return lambda c: any(a.id in ids for a in st.ancestors(c))
        if field == "title":
            if op in ("~", "!~"):
                # CQL's ~ is a word match: every word of the query appears in the title.
                wanted = _words(values[0])
                return lambda c: all(w in _words(c.title) for w in wanted)
            titles = {v.casefold() for v in values}
            return lambda c: c.title.casefold() in titles
        # text ~ "..." searches title and body.
        wanted = _words(values[0])
        return lambda c: all(w in _words(c.title + " " + _plain(c.body)) for w in wanted)


def compile_cql(cql: str, state: ConfluenceState, me: str | None) -> list[Content]:
    """The current content matching ``cql``, in its ORDER BY order (else creation order)."""
    pred, order = _Parser(cql, state, me).parse()
    found = [
        c
        for c in state.contents.values()
        if c.status == "current" and c.space_key in state.spaces and pred(c)
    ]
    found.sort(key=lambda c: c.position)
    for name, desc in reversed(order):
        if name == "title":
            found.sort(key=lambda c: c.title.casefold(), reverse=desc)
        elif name == "created":
            found.sort(key=lambda c: c.created, reverse=desc)
        elif name == "lastmodified":
            found.sort(key=lambda c: c.latest.when, reverse=desc)
        else:
            found.sort(key=lambda c: int(re.sub(r"\D", "", c.id)), reverse=desc)
    return found
