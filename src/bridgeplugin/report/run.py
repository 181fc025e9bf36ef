"""``bridge publish``: gather, render, then publish (or preview) one sprint page.

Every check that can fail on bad input runs before the first write: the budgets file (loader
errors name file:line), the board (``data.board_sprints``), the parent page
(``publish.parent_page``). So a bad input publishes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..budget import load_budgets
from ..config import Config
from ..site import Site
from .chart import burnup_png
from .data import ReportData, board_sprints, gather
from .page import IndexEntry, PageRenderer, managed_block, page_title
from .publish import Published, open_pages, parent_page, publish_pages

__all__ = ["Outcome", "publish_after_sync", "publish_from_config"]


@dataclass
class Outcome:
    data: ReportData
    title: str
    published: Published
    preview: Path | None = None


def publish_from_config(
    config: Config,
    site: Site,
    *,
    sprint: str | None,
    as_of: datetime,
    dry_run: bool = False,
    output: Path | None = None,
    budgets: Path | None = None,
) -> Outcome:
    book = load_budgets(budgets or config.rules / "budgets.yaml")
    data = gather(
        site.jira,
        book,
        sprint=sprint,
        board_id=config.board_id,
        as_of=as_of,
        jira_url=config.jira_url or "",
        rules_dir=config.rules,
        label=config.tagging.label,
    )
    renderer = PageRenderer(config.templates)
    title = page_title(data.report.sprint.name)
    inner = renderer.managed(data)
    png = burnup_png(data.report.series, title=f"Joint budget burn-up — {data.report.sprint.name}")
    preview = None
    if output is not None:
        # The preview needs no Confluence, but still refuses a missing parent, like a publish.
        parent_page(site.confluence, config.confluence_space, config.report_parent)
        output.write_text(renderer.preview(title, managed_block(inner), png), encoding="utf-8")
        preview = output
    total = data.report.total
    entry = IndexEntry(
        title=title,
        sprint=data.report.sprint.name,
        headline=renderer.context(data)["headline"],
        status_title=total.status.label.upper(),
        status_colour=total.status.colour,
    )
    with open_pages(config.state) as store:
        published = publish_pages(
            site.confluence,
            store,
            space=config.confluence_space,
            parent_title=config.report_parent,
            title=title,
            inner=inner,
            png=png,
            entry=entry,
            sprint_start=f"{data.report.sprint.start:%Y-%m-%dT%H:%M}",
            index_body=renderer.index,
            dry_run=dry_run,
        )
    return Outcome(data=data, title=title, published=published, preview=preview)


def publish_after_sync(config: Config, site: Site, *, as_of: datetime) -> list[Outcome]:
    """What ``bridge sync`` publishes (``sync.publish``): the page of a sprint that has closed
    since its page was last written, once; with ``changed``, also the active sprint's page
    (publishing is idempotent, so an unchanged page writes nothing). Costs two reads when
    nothing is due."""
    mode = config.sync.publish
    if mode == "never":
        return []
    projects = [config.projects.it]
    sprints = board_sprints(site.jira, config.board_id, projects)
    closed = sorted(
        (s for s in sprints if s.state == "closed"),
        key=lambda s: s.complete_date or s.end_date or as_of,
    )
    due: list[str] = []
    if closed:
        last = closed[-1]
        with open_pages(config.state) as store:
            final = store.get(config.confluence_space, page_title(last.name)) or {}
        if not final.get("final"):
            due.append(str(last.id))
    if mode == "changed" and any(s.state == "active" for s in sprints):
        due.append("active")
    outcomes = []
    for sprint in due:
        outcome = publish_from_config(config, site, sprint=sprint, as_of=as_of)
        if sprint != "active":
            with open_pages(config.state) as store:
                store.put(config.confluence_space, outcome.title, final="1")
        outcomes.append(outcome)
    return outcomes
