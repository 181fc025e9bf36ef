"""Issue evaluations per second on one core with the shipped tagging rules.

The mix is realistic: the 366 hand-written requests of the labelled corpus plus generated ones
from the sandbox's scaled seed (marketing requests, marketing work and IT work in the demo
company's words), each with its people's groups. The figures:

- decisions/s: ``evaluate()`` per issue, i.e. both verdicts and the category, which is what a
  bulk sync needs for every issue it reads (every rule's outcome and result tree are worked
  out lazily, only when read);
- verdicts with reasons/s: ``Tagger.classify()`` and every verdict's ``reasons`` read (the
  reason of every rule that fired: what ``bridge classify`` prints);
- sync's verdicts/s: ``Tagger.classify()`` and the reasons of the tagged issues only, which
  is what ``bridge sync`` reads (it stores them for tagged issues; a verdict renders its
  reasons when first read);
- straightforward decisions/s: ``evaluate_each()``, every rule's ``test`` in turn (the engine
  before the compiled plan, kept as the reference), on the same mix in the same run, so the
  ratio holds however busy the machine is.

Each rate is from the wall clock; "cpu" is the same from the process's CPU time, which other
work on a shared machine skews less (it still shares caches and memory bandwidth).

    python benchmarks/rules_throughput.py                 # 200,000 evaluations
    python benchmarks/rules_throughput.py -n 50000 --generated 5000
    python benchmarks/rules_throughput.py --profile       # cProfile of the decision loop

Target: >= 50,000 decisions per second.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import platform
import pstats
import sys
import time
from itertools import cycle, islice
from pathlib import Path
from typing import Any

import yaml

from bridgeplugin.model import Issue
from bridgeplugin.rules import Directory, evaluate
from bridgeplugin.rules.evaluate import evaluate_each
from bridgeplugin.rules_testing import case_issue, seed_issues
from bridgeplugin.sandbox.generate import scaled_seed
from bridgeplugin.tagging import Tagger

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "tagging_corpus.yaml"
TARGET = 50_000


def corpus_issues(tagger: Tagger) -> list[tuple[Issue, Directory]]:
    items = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    return [case_issue({**i, "key": i["id"]}, fields=tagger.fields) for i in items]


def generated_issues(n: int, tagger: Tagger, seed: int = 7) -> list[tuple[Issue, Directory]]:
    """``n`` issues of the sandbox's scaled seed, as the gateway would hand them over."""
    return list(seed_issues(scaled_seed(n, seed=seed), tagger.custom_fields()))


Rate = tuple[float, float]  # per second: by the wall clock, by the process's CPU time


def decisions_per_second(
    tagger: Tagger, mix: list[tuple[Issue, Directory]], n: int, how: Any = evaluate
) -> Rate:
    rules = tagger.rules
    work = list(islice(cycle(mix), n))
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    for issue, directory in work:
        how(rules, rules.context(issue, directory))
    return n / (time.perf_counter() - start), n / (time.process_time() - cpu)


def verdicts_per_second(
    tagger: Tagger, mix: list[tuple[Issue, Directory]], n: int, *, tagged_only: bool = False
) -> Rate:
    """``classify`` with every verdict's reasons read, or (``tagged_only``) as sync reads them."""
    work = list(islice(cycle(mix), n))
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    for issue, directory in work:
        verdict = tagger.classify(issue, directory)
        if verdict.tag or not tagged_only:
            verdict.reasons  # noqa: B018 - reading them renders them
    return n / (time.perf_counter() - start), n / (time.process_time() - cpu)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200_000, help="evaluations to time")
    parser.add_argument("--generated", type=int, default=10_000, help="generated issues in the mix")
    parser.add_argument("--rules", type=Path, default=ROOT / "rules")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the decisions")
    args = parser.parse_args(argv)

    tagger = Tagger.load(args.rules)
    mix = corpus_issues(tagger) + generated_issues(args.generated, tagger)
    # Warm up: first-time costs (regex caches, lazy imports) are not per-issue costs.
    decisions_per_second(tagger, mix, min(len(mix), 5_000))
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        decisions_per_second(tagger, mix, min(args.n, 50_000))
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
        return 0
    decisions = decisions_per_second(tagger, mix, args.n)
    verdicts = verdicts_per_second(tagger, mix, max(args.n // 10, 1_000))
    sync = verdicts_per_second(tagger, mix, max(args.n // 10, 1_000), tagged_only=True)
    each = decisions_per_second(tagger, mix, max(args.n // 10, 1_000), evaluate_each)
    tagged = sum(tagger.classify(issue, directory).tag for issue, directory in mix)
    chars = sum(len(i.summary or "") + len(i.description or "") for i, _d in mix) / len(mix)
    print(
        f"rules {tagger.version[:12]}: {len(tagger.rules.rules)} rules, "
        f"{len(tagger.rules.vendors or ())} vendors; mix of {len(mix)} issues "
        f"(366 corpus + {args.generated} generated; summary + description {chars:.0f} "
        f"characters on average, {tagged / len(mix):.0%} tagged); "
        f"Python {platform.python_version()}, one core"
    )
    verdict = "meets" if decisions[0] >= TARGET else "BELOW"

    def line(name: str, rate: Rate, note: str) -> None:
        print(f"{name:<23} {rate[0]:10,.0f} issues/s  (cpu {rate[1]:7,.0f}/s)  {note}")

    line("decisions:", decisions, f"{verdict} the {TARGET:,}/s target")
    line("verdicts with reasons:", verdicts, "every reason rendered (bridge classify)")
    line("sync's verdicts:", sync, "reasons of the tagged issues only (bridge sync)")
    ratio = decisions[0] / each[0]
    line("straightforward:", each, f"evaluate_each; decisions are {ratio:.1f}x that")
    return 0


if __name__ == "__main__":
    sys.exit(main())
