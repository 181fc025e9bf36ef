"""``load_rules``: the one loader behind ``bridge rules validate``, ``bridge check`` and ``sync``.

Which files: given a directory, every ``*.yaml``/``*.yml`` directly in it, by file name,
except the vendor catalog (``vendors.yaml``), which is loaded as the catalog. Every such file
must declare a ``kind`` (see ``schema.KINDS``); files of other kinds are skipped by this loader
(their own loaders read them), an unknown kind is an error listing the valid ones.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from ..errors import RuleFileError
from .parse import parse_tagging
from .ruleset import Rule, RuleSet
from .schema import KINDS
from .source import Document, read_document, suggest
from .vendors import VENDORS_FILENAME, VendorCatalog, load_vendors

__all__ = ["load_rules", "rule_files"]

Source = str | Path | Iterable[str | Path]


def rule_files(source: Source) -> tuple[list[Path], Path | None]:
    """(rule files in load order, the vendor catalog found beside them or None)."""
    items = [source] if isinstance(source, str | Path) else list(source)
    files: list[Path] = []
    catalog: Path | None = None
    for item in items:
        p = Path(item)
        if p.is_dir():
            found = sorted([*p.glob("*.yaml"), *p.glob("*.yml")], key=lambda f: f.name)
            for f in found:
                if f.name == VENDORS_FILENAME:
                    catalog = catalog or f
                elif f.is_file():
                    files.append(f)
        elif p.is_file():
            files.append(p)
        else:
            raise RuleFileError("no such file or directory", path=str(p))
    return files, catalog


def kind_of(doc: Document) -> str:
    """The ``kind`` a rule file declares (RuleFileError if missing or unknown)."""
    valid = "valid kinds: " + ", ".join(KINDS)
    if not isinstance(doc.data, dict):
        raise doc.error((), "a rule file is a mapping that starts with kind:", hint=valid)
    if "kind" not in doc.data:
        raise doc.error(
            (), "missing key 'kind'", hint=f"start the file with kind: tagging; {valid}"
        )
    kind = doc.data["kind"]
    if not isinstance(kind, str) or kind not in KINDS:
        close = suggest(str(kind), KINDS)
        raise doc.error(
            ("kind",),
            f"unknown kind {kind!r}",
            hint=(f"did you mean {close!r}? " if close else "") + valid,
        )
    return kind


def load_rules(
    source: Source,
    *,
    kind: Literal["tagging"] = "tagging",
    vendors: VendorCatalog | str | Path | Literal["auto"] | None = "auto",
) -> RuleSet:
    """Load, validate and compile every rule file of ``kind`` found in ``source``.

    ``source`` is a directory, a file, or several of either. ``vendors`` is the vendor catalog:
    ``"auto"`` (default) loads ``vendors.yaml`` from a directory in ``source`` when there is
    one; a path loads that file; ``None`` loads none (rules using ``vendor`` then fail to
    load). Raises :class:`~bridgeplugin.errors.RuleFileError` naming file, line and fix.
    """
    if kind != "tagging":
        raise ValueError(f"only kind 'tagging' can be loaded so far, not {kind!r}")
    files, found_catalog = rule_files(source)
    catalog: VendorCatalog | None
    if isinstance(vendors, VendorCatalog) or vendors is None:
        catalog = vendors
    elif vendors == "auto":
        catalog = load_vendors(found_catalog) if found_catalog is not None else None
    else:
        catalog = load_vendors(vendors)

    rules: list[Rule] = []
    used: list[Path] = []
    contents: list[Any] = []
    for path in files:
        doc = read_document(path)
        if kind_of(doc) != kind:
            continue
        rules.extend(parse_tagging(doc, catalog=catalog))
        used.append(path)
        contents.append(doc.data)
    if not used:
        where = ", ".join(str(f) for f in files) or str(source)
        raise RuleFileError(
            f"no rule file of kind {kind!r} found",
            path=where,
            hint=f"a rule file is a .yaml file that starts with kind: {kind}",
        )

    first: dict[str, Rule] = {}
    for rule in rules:
        if rule.name in first:
            other = first[rule.name]
            raise RuleFileError(
                f"rule name {rule.name!r} is used twice (first at {other.path}:{other.line})",
                path=rule.path,
                line=rule.line,
                hint="rule names identify verdicts and comments: give each rule its own",
            )
        first[rule.name] = rule

    return RuleSet(
        kind=kind,
        rules=tuple(rules),
        version=_version(kind, contents, catalog),
        files=tuple(str(p) for p in used),
        vendors=catalog,
    )


def _version(kind: str, contents: list[Any], catalog: VendorCatalog | None) -> str:
    """sha256 of the parsed content: stable across comments, whitespace, key order, quoting."""
    payload = {
        "kind": kind,
        "files": contents,
        "vendors": catalog.version if catalog is not None else None,
    }
    text = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
