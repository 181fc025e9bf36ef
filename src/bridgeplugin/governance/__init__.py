"""Governance: which requests need which reviews before approval, and whether they have them.

::

    from bridgeplugin.governance import load_policy, evaluate, RequestFacts

    policy = load_policy("rules/")                # RuleFileError names file:line + fix
    facts = RequestFacts(issue, tag_verdict, sub_tasks, changelogs, comments)
    verdict = evaluate(policy, facts, directory, now=now)   # pure
    verdict.allowed, verdict.missing, verdict.gate.active
    verdict.lines()                               # the `bridge check` tree
    verdict.to_json()                             # `bridge check --format json`
    verdict.enforcement                           # planner inputs: create, reopen, revert, comment

Layout (policy-bot's): ``schema`` holds the typed shape of ``kind: reviews`` files, ``parse``
compiles one file (predicates through the rule engine's parser), ``load`` merges the files of a
directory into a ``Policy`` (``policy``). Evaluation is split by question: ``reviews`` (the
state of one review from its sub-tasks and histories), ``gate`` (is the request being
approved), ``waivers`` (emergency exceptions from comments), ``history`` (reading changelogs),
``evaluate`` (all of it into a ``Verdict``, ``verdict``), ``assume`` (``--assume``), ``render``
(text). ``validate`` checks the names a policy uses against a site. The commented file format:
the shipped ``rules/reviews.yaml``.
"""

from .assume import Assumptions, parse_assumptions
from .evaluate import evaluate
from .facts import RequestFacts, recorded_reviews
from .history import Change, Person
from .load import categories_of, load_policy
from .policy import Policy, Review, ReviewRule, WaiverDef
from .verdict import (
    STATES,
    Approval,
    CommentInputs,
    Enforcement,
    GateVerdict,
    Missing,
    Revert,
    ReviewToCreate,
    ReviewToReopen,
    ReviewVerdict,
    RuleVerdict,
    Verdict,
    WaiverVerdict,
)

__all__ = [
    "STATES",
    "Approval",
    "Assumptions",
    "Change",
    "CommentInputs",
    "Enforcement",
    "GateVerdict",
    "Missing",
    "Person",
    "Policy",
    "RequestFacts",
    "Revert",
    "Review",
    "ReviewRule",
    "ReviewToCreate",
    "ReviewToReopen",
    "ReviewVerdict",
    "RuleVerdict",
    "Verdict",
    "WaiverDef",
    "WaiverVerdict",
    "categories_of",
    "evaluate",
    "load_policy",
    "parse_assumptions",
    "recorded_reviews",
]
