"""Precision and recall of the shipped tagging rules on the labelled corpus, per split.

Every item of ``tests/data/tagging_corpus.yaml`` (splits ``tune`` and ``holdout``), of
``tests/data/tagging_corpus_fresh.yaml`` (split ``fresh``: a second held-out set, written by
someone who had not seen the rules), of ``tests/data/tagging_corpus_fresh2.yaml`` (split
``fresh2``: a third held-out set, written the same way for another company) and of
``tests/data/tagging_corpus_fresh3.yaml`` (split ``fresh3``: a fourth, for yet another company)
becomes an issue (the same way a rule test case does: ``bridgeplugin.rules_testing.case_issue``)
and is classified by the rules. Printed for the ``tune``, ``holdout``, ``fresh``, ``fresh2`` and
``fresh3`` splits separately, with counts:

- technology-request detection: precision, recall, F1 (positive = tech_request true);
- marketing origin: precision, recall, F1 (positive = marketing_originated true);
- tagging (both true): precision, recall, F1;
- category accuracy among the true positives of technology detection.

    python benchmarks/tagging_quality.py                  # every split of all four files
    python benchmarks/tagging_quality.py --split tune     # while tuning: never look at holdout
    python benchmarks/tagging_quality.py --split fresh    # the fresh held-out set only
    python benchmarks/tagging_quality.py --split fresh2   # the second fresh held-out set only
    python benchmarks/tagging_quality.py --split fresh3   # the third fresh held-out set only
    python benchmarks/tagging_quality.py --corpus tests/data/tagging_corpus.yaml  # one file
    python benchmarks/tagging_quality.py --rules ./rules --mistakes   # list what went wrong
    python benchmarks/tagging_quality.py --json

The rules are tuned on ``tune`` only; ``holdout``, ``fresh``, ``fresh2`` and ``fresh3`` measure
them (never tune on their mistakes; tests/data/README.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bridgeplugin.rules_testing import case_issue
from bridgeplugin.tagging import Tagger

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "tagging_corpus.yaml"
FRESH = ROOT / "tests" / "data" / "tagging_corpus_fresh.yaml"
FRESH2 = ROOT / "tests" / "data" / "tagging_corpus_fresh2.yaml"
FRESH3 = ROOT / "tests" / "data" / "tagging_corpus_fresh3.yaml"
CORPORA = (CORPUS, FRESH, FRESH2, FRESH3)
RULES = ROOT / "rules"
SPLITS = ("tune", "holdout", "fresh", "fresh2", "fresh3")


@dataclass
class Counts:
    """A confusion matrix for one yes/no question."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, predicted: bool, actual: bool) -> None:
        if predicted and actual:
            self.tp += 1
        elif predicted:
            self.fp += 1
        elif actual:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "tn": self.tn,
        }


@dataclass
class SplitResult:
    name: str
    items: int = 0
    tech: Counts = field(default_factory=Counts)
    marketing: Counts = field(default_factory=Counts)
    tagged: Counts = field(default_factory=Counts)
    category_right: int = 0
    undecided: int = 0
    mistakes: list[str] = field(default_factory=list)

    @property
    def category_accuracy(self) -> float:
        return self.category_right / self.tech.tp if self.tech.tp else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "tech_request": self.tech.to_json(),
            "marketing_originated": self.marketing.to_json(),
            "tagged": self.tagged.to_json(),
            "category_accuracy": round(self.category_accuracy, 4),
            "category_right": self.category_right,
            "category_of": self.tech.tp,
            "undecided": self.undecided,
        }


def load_corpus(path: Path = CORPUS) -> list[dict[str, Any]]:
    items = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(items, list):
        raise SystemExit(f"{path}: expected a list of items")
    return items


def load_corpora(paths: list[Path] | tuple[Path, ...] = CORPORA) -> list[dict[str, Any]]:
    """The items of every file, in order; an id in two files is an error."""
    items = [item for path in paths for item in load_corpus(path)]
    seen: set[str] = set()
    for item in items:
        if item["id"] in seen:
            raise SystemExit(f"id {item['id']!r} appears twice in {[str(p) for p in paths]}")
        seen.add(item["id"])
    return items


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def measure(tagger: Tagger, items: list[dict[str, Any]], split: str) -> SplitResult:
    """Classify every item of ``split`` and count hits and misses."""
    result = SplitResult(split)
    for item in items:
        if item["split"] != split:
            continue
        issue, directory = case_issue({**item, "key": item["id"]}, fields=tagger.fields)
        verdict = tagger.classify(issue, directory)
        result.items += 1
        result.undecided += verdict.undecided
        tech, mkt = bool(item["tech_request"]), bool(item["marketing_originated"])
        result.tech.add(verdict.tech_request, tech)
        result.marketing.add(verdict.marketing_originated, mkt)
        result.tagged.add(verdict.tag, tech and mkt)
        if tech and verdict.tech_request and verdict.category == item["category"]:
            result.category_right += 1
        wrong = []
        if verdict.tech_request != tech:
            wrong.append(f"tech_request {verdict.tech_request} (labelled {tech})")
        if verdict.marketing_originated != mkt:
            wrong.append(f"marketing_originated {verdict.marketing_originated} (labelled {mkt})")
        if tech and verdict.tech_request and verdict.category != item["category"]:
            wrong.append(f"category {verdict.category} (labelled {item['category']})")
        if wrong:
            result.mistakes.append(f"{item['id']} {item['summary']!r}: {'; '.join(wrong)}")
    return result


def _row(label: str, c: Counts) -> str:
    return (
        f"  {label:<22} precision {c.precision:6.3f}  recall {c.recall:6.3f}  F1 {c.f1:6.3f}"
        f"   (tp {c.tp}, fp {c.fp}, fn {c.fn}, tn {c.tn})"
    )


def report(
    results: list[SplitResult],
    *,
    version: str,
    mistakes: bool,
    corpora: list[Path] | tuple[Path, ...] = CORPORA,
) -> str:
    files = " + ".join(_shown(p) for p in corpora)
    lines = [f"tagging quality of rules {version[:12]} on {files}"]
    for r in results:
        lines.append(f"{r.name} ({r.items} items):")
        lines.append(_row("tech_request", r.tech))
        lines.append(_row("marketing_originated", r.marketing))
        lines.append(_row("tagged (both)", r.tagged))
        lines.append(
            f"  {'category accuracy':<22} {r.category_accuracy:6.3f}"
            f"   ({r.category_right} of {r.tech.tp} true positives)"
        )
        if r.undecided:
            lines.append(f"  undecided: {r.undecided}")
        if mistakes:
            lines.extend(f"    - {m}" for m in r.mistakes)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=Path, default=RULES, help="rules directory")
    parser.add_argument(
        "--corpus",
        type=Path,
        action="append",
        help="labelled corpus file, repeatable (default: tagging_corpus.yaml, "
        "tagging_corpus_fresh.yaml, tagging_corpus_fresh2.yaml and tagging_corpus_fresh3.yaml)",
    )
    parser.add_argument(
        "--split", choices=SPLITS, action="append", help="default: every split the files hold"
    )
    parser.add_argument("--mistakes", action="store_true", help="list every wrong verdict")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)
    tagger = Tagger.load(args.rules)
    corpora = tuple(args.corpus or CORPORA)
    items = load_corpora(corpora)
    present = {item["split"] for item in items}
    splits = args.split or [split for split in SPLITS if split in present]
    results = [measure(tagger, items, split) for split in splits]
    if args.json:
        out = {"rules_version": tagger.version, **{r.name: r.to_json() for r in results}}
        print(json.dumps(out, indent=2))
    else:
        print(report(results, version=tagger.version, mistakes=args.mistakes, corpora=corpora))
    return 0


if __name__ == "__main__":
    sys.exit(main())
