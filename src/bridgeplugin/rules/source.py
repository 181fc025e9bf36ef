"""YAML with line numbers: read a rule file once, keep its node tree to answer "which line?".

PyYAML is run in two steps on one loader: ``get_single_node`` composes the node tree (every
node carries a start mark), ``construct_document`` builds plain Python data from it. Validation
runs on the data; an error's location (``("rules", 2, "if", "text", "regex", 0)``, from
pydantic or from the predicate parser) is walked down the node tree to the deepest node it
reaches, whose line goes into the :class:`~bridgeplugin.errors.RuleFileError`.

The loader is stricter than PyYAML: a key repeated in one mapping is an error (PyYAML would
silently keep the last one, and a rule file that says two things must not mean one of them).
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from ..errors import RuleFileError

__all__ = ["Document", "Loc", "read_document", "read_text", "suggest"]

Loc = tuple[str | int, ...]

# libyaml's loader composes the same node tree with the same marks, seven times faster: every
# command loads the vendor catalog, and a cron sync loads it several times.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def suggest(word: str, valid: Sequence[str]) -> str | None:
    """The closest valid word to a misspelt one (difflib), or None."""
    close = difflib.get_close_matches(word, list(valid), n=1, cutoff=0.6)
    return close[0] if close else None


def read_document(path: str | Path) -> Document:
    """Read and compose one YAML file; syntax errors and duplicate keys raise RuleFileError."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleFileError(f"cannot read: {exc.strerror or exc}", path=str(p)) from exc
    except UnicodeDecodeError as exc:
        raise RuleFileError("not UTF-8 text", path=str(p)) from exc
    return read_text(text, str(p))


def read_text(text: str, path: str = "<string>") -> Document:
    """Compose YAML text into a Document (``path`` is only used in messages)."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise RuleFileError("the file is empty", path=path, line=1)
        _check_duplicate_keys(node, path)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or "invalid YAML"
        ctx = f" ({exc.context})" if exc.context else ""
        raise RuleFileError(f"invalid YAML: {problem}{ctx}", path=path, line=line) from None
    except yaml.YAMLError as exc:
        raise RuleFileError(f"invalid YAML: {exc}", path=path) from None
    finally:
        loader.dispose()
    return Document(path=path, node=node, data=data)


def _check_duplicate_keys(node: yaml.Node, path: str) -> None:
    stack = [node]
    seen_nodes: set[int] = set()
    while stack:
        n = stack.pop()
        if id(n) in seen_nodes:  # aliases share nodes; visit each once
            continue
        seen_nodes.add(id(n))
        if isinstance(n, yaml.MappingNode):
            keys: dict[str, yaml.Node] = {}
            for k, v in n.value:
                if isinstance(k, yaml.ScalarNode) and k.tag != "tag:yaml.org,2002:merge":
                    if k.value in keys:
                        first = keys[k.value].start_mark.line + 1
                        raise RuleFileError(
                            f"key {k.value!r} appears twice in one mapping (first on line {first})",
                            path=path,
                            line=k.start_mark.line + 1,
                            hint="keep one of them",
                        )
                    keys[k.value] = k
                stack.append(v)
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)


@dataclass(frozen=True)
class Document:
    """One YAML document: where it came from, its node tree and its plain data."""

    path: str
    node: yaml.Node
    data: Any

    # -- locations ---------------------------------------------------------------------------

    def _find(self, at: Loc) -> tuple[yaml.Node, yaml.Node | None]:
        """(deepest node reached by ``at``, the key node of the last step if it was a key)."""
        node = self.node
        key_node: yaml.Node | None = None
        for part in at:
            step = _step(node, part)
            if step is None:
                continue  # a pydantic union tag or "[key]" marker: not a place in the file
            key_node, node = step
        return node, key_node

    def line(self, at: Loc = (), *, key: bool = False) -> int:
        """1-based line of the node at ``at`` (of its key, if ``key`` and the last step is one)."""
        node, key_node = self._find(at)
        if key and key_node is not None:
            node = key_node
        return node.start_mark.line + 1

    def source_text(self, at: Loc) -> str | None:
        """The scalar as written in the file (``NO`` for a value YAML read as false)."""
        node, _ = self._find(at)
        return node.value if isinstance(node, yaml.ScalarNode) else None

    def error(
        self, at: Loc, message: str, *, hint: str | None = None, key: bool = False
    ) -> RuleFileError:
        # For a key that is itself the problem, the place is the mapping that holds it.
        place = at[:-1] if key and at else at
        return RuleFileError(
            f"{self.where(place)}{message}", path=self.path, line=self.line(at, key=key), hint=hint
        )

    def where(self, at: Loc) -> str:
        """``rule 'x', then.category: `` — the rule's name and the path inside it."""
        parts = list(at)
        prefix = ""
        if len(parts) >= 2 and parts[0] == "rules" and isinstance(parts[1], int):
            name = _rule_name(self.data, parts[1])
            prefix = f"rule {name!r}" if name else f"rules[{parts[1]}]"
            parts = parts[2:]
        elif len(parts) >= 2 and parts[0] in ("definitions", "signals"):
            prefix = f"{parts[0][:-1]} {parts[1]!r}"
            parts = parts[2:]
        path = _dotted(parts)
        if prefix and path:
            return f"{prefix}, {path}: "
        if prefix or path:
            return f"{prefix or path}: "
        return ""

    # -- validation --------------------------------------------------------------------------

    def validate(self, tp: Any, value: Any, at: Loc = ()) -> Any:
        """Validate ``value`` (found at ``at``) as ``tp``; errors become a RuleFileError."""
        try:
            return _adapter(tp).validate_python(value)
        except ValidationError as exc:
            raise self._convert(exc, tp, at) from None

    def _convert(self, exc: ValidationError, tp: Any, at: Loc) -> RuleFileError:
        # An unknown key is usually the cause of the rest (a typo'd key leaves a required one
        # missing), so it is reported first.
        errors = sorted(exc.errors(include_url=False), key=lambda e: e["type"] != "extra_forbidden")
        # Several errors at one place are the members of a union that all refused the value;
        # report the place once, as "expected one of ...".
        first = errors[0]
        place = _strip(tuple(first["loc"]))
        same = [e for e in errors if _strip(tuple(e["loc"])) == place]
        more = len({_strip(tuple(e["loc"])) for e in errors}) - 1
        full = at + place
        etype = first["type"]
        hint: str | None = None
        key = False
        if etype == "extra_forbidden":
            bad = str(place[-1])
            valid = _keys_at(tp, place[:-1]) or []
            close = suggest(bad, valid)
            message = f"unknown key {bad!r}"
            hint = (
                (f"did you mean {close!r}? " if close else "") + "valid keys: " + ", ".join(valid)
            )
            key = True
        elif etype == "missing":
            message = f"missing key {str(place[-1])!r}"
            full = at + place[:-1]
            valid = _keys_at(tp, place[:-1]) or []
            required = _required_at(tp, place[:-1])
            if required:
                hint = "required keys: " + ", ".join(required)
            elif valid:
                hint = "valid keys: " + ", ".join(valid)
        elif len(same) > 1 and all(e["type"].endswith("_type") for e in same):
            kinds = _unique(_TYPE_WORDS.get(e["type"], e["type"]) for e in same)
            message = f"expected {' or '.join(kinds)}, got {_show(first['input'])}"
        else:
            message, hint = _describe(first)
        if etype in ("string_type",) and not isinstance(first["input"], list | dict):
            written = self.source_text(full)
            if written is not None:
                hint = f"write it in quotes: '{written}'"
        if more > 0:
            message += f" (and {more} more problem{'s' if more > 1 else ''})"
        return self.error(full, message, hint=hint, key=key)


# -- helpers ----------------------------------------------------------------------------------


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def _adapter(tp: Any) -> TypeAdapter[Any]:
    try:
        return _ADAPTERS[tp]
    except KeyError:
        adapter = _ADAPTERS[tp] = TypeAdapter(tp)
        return adapter
    except TypeError:  # unhashable type expression
        return TypeAdapter(tp)


def _step(node: yaml.Node, part: str | int) -> tuple[yaml.Node, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == str(part):
                return k, v
        for k, v in node.value:  # merge keys (<<: *anchor) bring in more mappings
            if isinstance(k, yaml.ScalarNode) and k.tag == "tag:yaml.org,2002:merge":
                merged = v.value if isinstance(v, yaml.SequenceNode) else [v]
                for m in merged:
                    found = _step(m, part)
                    if found is not None:
                        return found
        return None
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
        if not 0 <= part < len(node.value):
            return None
        item = node.value[part]
        return item, item
    return None


def _is_marker(part: str | int) -> bool:
    """A part of a pydantic error location that is not a place in the file: union member tags
    ("str", "list[str]", "function-after[...]") and "[key]" (the key of a dict entry)."""
    return isinstance(part, str) and (
        part == "[key]" or part.endswith("]") or part in ("str", "int", "float", "bool", "none")
    )


def _strip(loc: Loc) -> Loc:
    return tuple(p for p in loc if not _is_marker(p))


def _dotted(parts: Sequence[str | int]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _rule_name(data: Any, index: int) -> str | None:
    try:
        name = data["rules"][index]["name"]
    except (KeyError, IndexError, TypeError):
        return None
    return name if isinstance(name, str) else None


def _unwrap(tp: Any) -> Any:
    """Strip Annotated and Optional; of a union, keep the first model/container member."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
            continue
        if origin is Union or origin is types.UnionType:
            members = [a for a in get_args(tp) if a is not type(None)]
            rich = [a for a in members if _is_model(a) or get_origin(a) in (list, dict, tuple)]
            tp = (rich or members)[0]
            continue
        return tp


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _model_at(tp: Any, loc: Loc) -> Any:
    for part in loc:
        tp = _unwrap(tp)
        if _is_model(tp):
            for name, info in tp.model_fields.items():
                if part in (name, info.alias):
                    tp = info.annotation
                    break
            else:
                return None
        elif get_origin(tp) in (list, tuple):
            tp = get_args(tp)[0]
        elif get_origin(tp) is dict:
            tp = get_args(tp)[1]
        else:
            return None
    tp = _unwrap(tp)
    return tp if _is_model(tp) else None


def _keys_at(tp: Any, loc: Loc) -> list[str] | None:
    model = _model_at(tp, loc)
    if model is None:
        return None
    return sorted(info.alias or name for name, info in model.model_fields.items())


def _required_at(tp: Any, loc: Loc) -> list[str]:
    model = _model_at(tp, loc)
    if model is None:
        return []
    return sorted(info.alias or n for n, info in model.model_fields.items() if info.is_required())


_TYPE_WORDS = {
    "string_type": "text",
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "none_required": "nothing (null)",
}


def _unique(items: Any) -> list[str]:
    out: list[str] = []
    for i in items:
        if i not in out:
            out.append(i)
    return out


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _describe(error: Any) -> tuple[str, str | None]:
    etype = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if etype in _TYPE_WORDS:
        hint = None
        if etype == "list_type":
            hint = "write a list as [a, b] or one '- item' per line"
        return f"expected {_TYPE_WORDS[etype]}, got {_show(value)}", hint
    if etype == "too_short":
        return "must not be empty", None
    if etype == "string_pattern_mismatch":
        return (
            f"{value!r} is not a valid name",
            "use lower-case letters, digits, '-' and '_', starting with a letter or digit",
        )
    if etype == "literal_error":
        expected = ctx.get("expected", "")
        return f"{_show(value)} is not allowed; expected {expected}", None
    if etype == "value_error":
        msg = str(ctx.get("error", error["msg"]))
        return msg, None
    return error["msg"][0].lower() + error["msg"][1:], None
