"""The public API of bridgeplugin.rules is what __all__ says, no more and no less."""

from __future__ import annotations

import bridgeplugin.rules as rules

PUBLIC = [
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


def test_all_is_locked() -> None:
    assert rules.__all__ == PUBLIC


def test_every_public_name_exists() -> None:
    for name in PUBLIC:
        assert getattr(rules, name) is not None, name


def test_every_predicate_module_is_registered_under_its_key() -> None:
    import pkgutil

    from bridgeplugin.rules import predicates

    modules = {
        m.name.rstrip("_")
        for m in pkgutil.iter_modules(predicates.__path__)
        if not m.name.startswith("_") and m.name != "base"
    }
    assert modules == set(predicates.PREDICATES)
