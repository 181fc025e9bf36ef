"""Rule files: load them strictly, evaluate them purely, explain every outcome.

::

    from bridgeplugin.rules import load_rules, evaluate, StaticDirectory

    rules = load_rules("rules/")                       # RuleFileError names file:line + fix
    ctx = rules.context(issue, StaticDirectory({"5b10a": ["marketing"]}))
    verdict = evaluate(rules, ctx)                     # TaggingResult
    verdict.marketing_originated, verdict.tech_request, verdict.category
    verdict.reasons()                                  # ["mkt-reporter: reporter dana is ..."]
    for r in verdict.rules: print("\\n".join(r.condition.lines()))

Layout (policy-bot's): ``source`` reads YAML with line numbers, ``schema`` holds the typed file
shapes, ``parse`` compiles predicate trees (one module per key in ``predicates/``), ``evaluate``
runs them against a ``Context`` into ``result`` trees. ``text`` and ``vendors`` are the
matchers. The rule-file format, every key commented: tests/rules/fixtures/example/tagging.yaml.
"""

from .context import Context, Directory, FieldNames, MissingField, StaticDirectory
from .evaluate import evaluate, evaluate_predicate, evaluate_rule
from .load import load_rules
from .result import Outcome, Result, RuleResult, TaggingResult
from .ruleset import Conclusion, Rule, RuleSet, referenced_names
from .schema import KINDS
from .vendors import Vendor, VendorCatalog, VendorMatch, catalog_from_data, load_vendors

__all__ = [
    "KINDS",
    "Conclusion",
    "Context",
    "Directory",
    "FieldNames",
    "MissingField",
    "Outcome",
    "Result",
    "Rule",
    "RuleResult",
    "RuleSet",
    "StaticDirectory",
    "TaggingResult",
    "Vendor",
    "VendorCatalog",
    "VendorMatch",
    "catalog_from_data",
    "evaluate",
    "evaluate_predicate",
    "evaluate_rule",
    "load_rules",
    "load_vendors",
    "referenced_names",
]
