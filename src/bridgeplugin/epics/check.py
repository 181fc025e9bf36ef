"""``epics.yaml`` against the site, for ``bridge rules validate --site`` and ``bridge doctor``.

The file itself is checked by ``load`` (file:line); here what only Jira knows: the epic
project exists and has the Epic type, the checklist project has the story type, and the
templates render (with sample values, so a typo fails here and not halfway through a sync).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import AtlassianError, BridgeError, NotFound, RuleFileError
from ..jira_gateway import JiraApi
from .load import FILE_NAME, EpicRules, load_epic_rules, site_problems
from .render import EpicTexts

if TYPE_CHECKING:
    from ..config import Config

__all__ = ["epic_rules_of", "render_problems", "site_problems_of"]


def epic_rules_of(rules_dir: Path) -> EpicRules | None:
    """The directory's ``epics.yaml``, loaded strictly (RuleFileError), or None if absent."""
    path = rules_dir / FILE_NAME
    return load_epic_rules(path) if path.exists() else None


def site_problems_of(rules: EpicRules, jira: JiraApi, config: Config) -> list[RuleFileError]:
    it = config.projects.joint
    wanted = {rules.epic_project(it), rules.checklist_project(it)}
    types: dict[str, list[str]] = {}
    for key in sorted(wanted):
        try:
            types[key] = list(jira.project(key).issue_types)
        except NotFound:
            continue  # reported as a project that does not exist
    return site_problems(rules, types, it)


def render_problems(rules: EpicRules, templates: Path | None) -> list[str]:
    """Render every template once with sample values; the errors, file:line where known."""
    texts = EpicTexts(templates)
    epic, checklist = rules.spec.epic, rules.spec.checklist
    sample = {"name": "Sample initiative", "key": "sample-initiative"}
    item = {"title": "SSO setup", "item": "sso", "category": "saas"}
    item |= {"initiative": "Sample initiative", "epic": "IT-1"}
    jobs = [
        (epic.summary, sample),
        (
            epic.description,
            {
                **sample,
                "marketing_owner": "Sam Sample",
                "it_owner": None,
                "requests": [{"key": "MKT-1", "summary": "A request", "project": "MKT"}],
                "more": 0,
                "budget_line": None,
                "categories": ["saas"],
            },
        ),
        (checklist.summary, item),
        (checklist.description, item),
    ]
    out = []
    for template, variables in jobs:
        try:
            texts.render(template, **variables)
        except BridgeError as exc:
            out.append(exc.message)
    return out


def doctor_lines(config: Config, jira: JiraApi) -> list[tuple[str, str, str | None]]:
    """(outcome, detail, fix) for ``bridge doctor``: "ok" or "fail" (none when disabled)."""
    try:
        rules = epic_rules_of(config.rules)
    except BridgeError as exc:
        return [("fail", exc.message, "fix epics.yaml (bridge rules validate)")]
    if rules is None or not rules.enabled:
        return []  # nothing to check: the sync will not create epics
    try:
        problems = [p.message for p in site_problems_of(rules, jira, config)]
    except AtlassianError as exc:
        return [("fail", exc.message, exc.hint)]
    problems += render_problems(rules, config.templates)
    if not problems:
        return [("ok", f"{rules.path}: projects, issue types and templates check out", None)]
    return [("fail", p, "fix epics.yaml or the site's issue types") for p in problems]
