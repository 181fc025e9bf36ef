"""Scaled seeds: the demo site's people and configuration with any number of generated issues.

For benchmarks and scale tests. ``scaled_seed(100_000)`` keeps the demo's users, groups, fields,
workflows, projects, board and sprints, drops its hand-written issues and adds generated ones:
about 60% marketing requests (a mix of technology requests and ordinary marketing work, from
phrase templates and real vendor names) and 40% IT work, some of it filed by marketing people.
Statuses are reachable through the workflows, IT issues sit in the board's sprints, and some
issues carry costs and belong to shared initiatives. The same ``seed`` always gives the same site.

    from bridgeplugin.sandbox.generate import scaled_seed, scaled_seed_document

    site = scaled_seed(20_000, seed=7)                    # a Seed, for SandboxApp(site)
    doc = scaled_seed_document(1_000, with_history=True)  # JSON-able, for POST /_sandbox/seed

Comments, worklogs and changelogs are left out unless ``with_history=True``, so 100,000 issues
build in a few seconds. ``truth=True`` stores the generator's own answer on every issue as the
entity property ``sandbox-truth`` (``marketing_originated``, ``tech_request``, ``category``), for
measuring the tagger; leave it off when the tagger must not see it.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import accumulate
from typing import Any

from .seed import (
    Seed,
    SeedChange,
    SeedChangeItem,
    SeedComment,
    SeedIssue,
    SeedProject,
    SeedWorkflow,
    SeedWorklog,
    load_seed,
)

__all__ = ["TRUTH_PROPERTY", "scaled_seed", "scaled_seed_document"]

TRUTH_PROPERTY = "sandbox-truth"

_HOUR = 3600
_DAY = 24 * _HOUR

# --- vocabulary ------------------------------------------------------------------------------

_TEAMS = ["social", "content", "brand", "events", "CRM", "performance", "PR", "retail marketing"]
_AGENCIES = ["Brightwave Media", "Northstar Digital", "Kite & Key", "Pinecone Creative"]
_CAMPAIGNS = [
    "the autumn campaign",
    "the winter sale",
    "Black Friday",
    "the spring collection",
    "the trail-running launch",
    "the loyalty relaunch",
]
_PAGES = ["checkout", "product pages", "homepage", "blog", "store finder", "pricing page"]
_INITIATIVES = [
    "Customer data platform",
    "Autumn campaign 2026",
    "Loyalty programme relaunch",
    "Website replatforming",
    "Spring campaign 2027",
]

# Technology requests: category -> (summary templates, vendors, data categories, monthly cost
# range or None, one-off cost range or None, descriptions).
_TECH: dict[str, tuple[list[str], list[str], list[str], Any, Any, list[str]]] = {
    "saas_trial": (
        [
            "Trial of {vendor} for the {team} team",
            "Buy {seats} seats of {vendor} for the {team} team",
            "Evaluate {vendor} for {team} reporting",
        ],
        ["Sprout Social", "Hootsuite", "Later", "Semrush", "Ahrefs", "Brandwatch", "Airtable"],
        ["social-profiles"],
        (50, 2500),
        None,
        [
            "We'd like a trial for the team, it needs to connect to our brand accounts.",
            "Free for 14 days, then billed per seat. Can we get this approved this week?",
        ],
    ),
    "integration": (
        [
            "Sync {vendor} leads into Salesforce",
            "Connect {vendor} to Shopify",
            "Push {vendor} contacts to Klaviyo via Zapier",
        ],
        ["HubSpot", "Typeform", "Zendesk", "Eventbrite", "Mailchimp", "Gorgias"],
        ["contact-details", "marketing-consent"],
        (0, 800),
        (500, 8000),
        [
            "Today we copy this by hand every week and leads get lost. Can it be automatic?",
            "The vendor has a native connector, we just need someone to switch it on.",
        ],
    ),
    "tracking": (
        ["Add {vendor} to the {page}", "Install {vendor} on the {page} for the campaign"],
        ["Meta pixel", "TikTok pixel", "LinkedIn Insight Tag", "Pinterest tag", "Hotjar"],
        ["browsing-behaviour", "purchase-history"],
        (0, 300),
        None,
        [
            "The agency sent the pixel ID, needs to go live before the campaign starts.",
            "Without conversion tracking the ad platforms can't optimise.",
        ],
    ),
    "data_export": (
        [
            "Send customer list to {agency} for lookalike audiences",
            "Export newsletter subscribers for {agency}",
            "Share last year's orders with {agency} for a churn analysis",
        ],
        _AGENCIES,
        ["contact-details", "purchase-history"],
        None,
        (0, 3000),
        [
            "They asked for a CSV by e-mail, a shared drive link is fine too.",
            "Email, first name, city and total spend for everyone who bought this year.",
        ],
    ),
    "microsite": (
        [
            "Spin up a microsite for {campaign} on a subdomain",
            "New landing page domain for {campaign}",
        ],
        ["Webflow", "Unbounce", "Squarespace", "WordPress VIP"],
        ["contact-details", "marketing-consent"],
        (20, 400),
        (1000, 12000),
        ["Built by the agency, with a newsletter signup form. Needs a subdomain and TLS."],
    ),
    "mobile_sdk": (
        ["Add {vendor} SDK to the iOS and Android app", "{vendor} SDK in the app for push"],
        ["Braze", "AppsFlyer", "Adjust", "OneSignal", "Airship"],
        ["device-identifiers", "app-usage"],
        (300, 3000),
        None,
        ["The app team can add it in the next release if we decide soon."],
    ),
    "ai_tool": (
        [
            "Use {vendor} with our product catalog",
            "Use {vendor} to summarise customer reviews",
            "Trial {vendor} for campaign copy",
        ],
        ["Jasper", "ChatGPT Team", "Copy.ai", "Writer", "Synthesia", "Midjourney"],
        ["product-data"],
        (20, 600),
        None,
        [
            "Would save us about two days per collection. No customer data goes in.",
            "We would upload the export and let it write first drafts.",
        ],
    ),
    "api_access": (
        [
            "Give {agency} API access to Google Ads and GA4",
            "API key for {agency} to our product feed",
            "Service account for {agency} in Shopify",
        ],
        _AGENCIES,
        ["campaign-performance"],
        None,
        None,
        ["agency needs api access to pull reports into their dashboard, before launch pls"],
    ),
}
_TECH_CATEGORIES = list(_TECH)

# Ordinary marketing work: summary templates, with a vendor and a cost sometimes.
_OTHER: list[tuple[str, list[str] | None, Any]] = [
    ("Update hero image on the {page} in the CMS", None, None),
    ("Fix typo on the {page}", None, None),
    ("Book a booth at {event}", ["Outdoor Retailer", "ISPO Munich", "Trail Fest"], (3000, 15000)),
    ("Print {seats}00 flyers for {campaign}", ["PrintHaus", "Moo"], (200, 1500)),
    ("Press release review: {campaign}", None, None),
    ("New brand colours for slide templates", None, None),
    ("Photographer for the {campaign} shoot", None, (2000, 9000)),
    ("Order branded water bottles for {event}", ["Promo Direct"], (500, 2500)),
    ("Translate the {campaign} landing page copy into German", ["LinguaPro"], (400, 2000)),
    ("Draft questions for the Q{seats} customer survey", None, None),
    ("Contract TikTok creators for {campaign}", None, (3000, 20000)),
    ("Write a blog post about {campaign}", None, None),
    ("Newsletter copy for {campaign}", None, None),
    ("Review the social calendar for {campaign}", None, None),
]
_OTHER_DESCRIPTIONS = [
    "Files are in the Brand drive. Please have a look this week.",
    "Same as last year, budget is in the campaign plan.",
    "Small one, thanks!",
    "Needs sign-off from Diane before it goes out.",
]
_EVENTS = ["the Winter Show", "the Denver store opening", "Trail Fest", "the spring trade fair"]

# IT work: (issue type, summary template).
_IT: list[tuple[str, str]] = [
    ("Task", "Patch {os} servers - {month} Patch Tuesday"),
    ("Task", "Replace laptop for a {team} team member"),
    ("Task", "Renew TLS certificate for {host}"),
    ("Task", "Upgrade {db} on the {system} database"),
    ("Task", "Rotate service account passwords for {system}"),
    ("Task", "Onboard new starter in {team}"),
    ("Task", "Decommission {host}"),
    ("Story", "Configure SSO for {app}"),
    ("Story", "Backup restore test for {system}"),
    ("Story", "Move {system} monitoring to Grafana"),
    ("Story", "SCIM provisioning for {app}"),
    ("Bug", "VPN drops for {team} staff working from home"),
    ("Bug", "{system} reports time out after 30 seconds"),
    ("Bug", "Printer on floor {seats} rejects scan-to-email"),
]
_IT_WORDS = {
    "os": ["Windows", "Ubuntu", "RHEL"],
    "month": ["September", "October", "November", "December"],
    "host": ["intranet.northwind.local", "files-02", "vpn-gw-1", "legacy-ftp"],
    "db": ["PostgreSQL 16", "MySQL 8.4", "SQL Server 2022"],
    "system": ["ERP", "warehouse", "payroll", "ticketing", "BI"],
    "app": ["Slack", "Figma", "Miro", "Zoom", "Adobe CC"],
}
_IT_DESCRIPTIONS = [
    "Maintenance window agreed with the business.",
    "See the runbook in Confluence.",
    "Reported by several people since Monday.",
    None,
]


# --- what the base site provides --------------------------------------------------------------


@dataclass(frozen=True)
class _Route:
    """One way to reach a (status, resolution) from the initial status."""

    status: str
    resolution: str | None
    category: str
    steps: tuple[tuple[str, str, str | None], ...]  # (from, to, resolution) per transition


def _routes(wf: SeedWorkflow) -> list[_Route]:
    """Shortest transition paths from the initial status to every (status, resolution)."""
    categories = {s.name: s.category for s in wf.statuses}
    start = (wf.initial or wf.statuses[0].name, None)
    paths: dict[tuple[str, str | None], tuple] = {start: ()}
    queue = deque([start])
    while queue:
        state = queue.popleft()
        status = state[0]
        for t in wf.transitions:
            if t.to == status or (t.from_ and status not in t.from_):
                continue
            nxt = (t.to, t.resolution)
            if nxt not in paths:
                paths[nxt] = (*paths[state], (status, t.to, t.resolution))
                queue.append(nxt)
    return [_Route(s, r, categories[s], steps) for (s, r), steps in paths.items()]


def _weighted(routes: list[_Route]) -> tuple[list[_Route], list[float]]:
    """Cumulative weights: 30% new, 40% in flight, 30% done; done other than "Done" is rarer."""
    share = {"new": 0.3, "indeterminate": 0.4, "done": 0.3}
    weights = []
    for r in routes:
        same = [x for x in routes if x.category == r.category]
        w = share[r.category] / len(same)
        if r.category == "done":
            usual = [x for x in same if x.resolution == "Done"] or same[:1]
            w = share["done"] * (0.85 / len(usual) if r in usual else 0.15 / (len(same) - 1))
        weights.append(w)
    return routes, list(accumulate(weights))


def _members(seed: Seed, groups: tuple[str, ...]) -> list[str]:
    by_id = {u.account_id: u.email for u in seed.users}
    emails = {u.email.lower(): u.email for u in seed.users}
    out: list[str] = []
    for g in seed.groups:
        if g.name in groups:
            for ref in g.members:
                email = by_id.get(ref) or emails.get(ref.lower())
                if email and email not in out:
                    out.append(email)
    return out


@dataclass
class _Project:
    key: str
    lead: str | None
    routes: dict[str, tuple[list[_Route], list[float]]]  # issue type -> weighted routes
    types: list[str]


def _project(seed: Seed, p: SeedProject) -> _Project:
    workflows = {w.name: w for w in seed.workflows}
    routes = {}
    for t in p.issue_types:
        name = p.workflows.get(t, p.workflow)
        if name in workflows:
            routes[t] = _weighted(_routes(workflows[name]))
    return _Project(p.key, p.lead, routes, p.issue_types)


def _pick_project(seed: Seed, key: str, kind: str) -> SeedProject:
    for p in seed.projects:
        if p.key == key:
            return p
    for p in seed.projects:
        if p.type == kind:
            return p
    raise ValueError(f"base seed has no project {key!r} and no {kind} project")


# --- generation --------------------------------------------------------------------------------


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ts(dt: datetime | None) -> int | None:
    return None if dt is None else int(dt.timestamp())


_WORDS: dict[str, list[str]] = {
    "team": _TEAMS,
    "agency": _AGENCIES,
    "campaign": _CAMPAIGNS,
    "page": _PAGES,
    "event": _EVENTS,
    **_IT_WORDS,
}


class _Words(dict):
    """Template words, drawn only when a template asks for them (``str.format_map``)."""

    def __init__(self, rng: random.Random, fixed: dict[str, Any]) -> None:
        super().__init__(fixed)
        self.rng = rng

    def __missing__(self, name: str) -> Any:
        value = self.rng.randint(1, 4) if name == "seats" else self.rng.choice(_WORDS[name])
        self[name] = value
        return value


class _Generator:
    def __init__(self, base: Seed, seed: int, with_history: bool, truth: bool) -> None:
        self.rng = random.Random(seed)
        self.with_history = with_history
        self.truth = truth
        clock = base.site.clock or datetime(2026, 11, 24, 9, tzinfo=UTC)
        self.now = int(clock.timestamp())
        self.mkt = _project(base, _pick_project(base, "MKT", "business"))
        self.it = _project(base, _pick_project(base, "IT", "software"))
        everyone = [u.email for u in base.users if not u.site_admin] or [base.users[0].email]
        self.marketing = _members(base, ("marketing",)) or everyone
        self.it_people = (
            _members(base, ("it-architecture", "it-service-desk", "security-reviewers")) or everyone
        )
        self.leaders = _members(base, ("cmo-office",)) or self.marketing
        self.fields = {f.name for f in base.fields}
        boards = {b.id for b in base.boards if b.project == self.it.key}
        sprints = [s for s in base.sprints if s.board in boards]
        self.closed = [s for s in sprints if s.state == "closed"]
        self.active = [s for s in sprints if s.state == "active"]
        self.future = [s for s in sprints if s.state == "future"]
        self.sprint_window = {
            s.id: (_ts(s.start) or self.now - 14 * _DAY, _ts(s.complete or s.end) or self.now)
            for s in sprints
        }
        self.epics: list[str] = []
        self.counters = {self.mkt.key: 0, self.it.key: 0}

    # one issue, as a plain dict of SeedIssue field names; timestamps as epoch seconds
    def issue(self) -> dict[str, Any]:
        r = self.rng.random
        if r() < 0.6:
            return self._marketing_issue()
        return self._it_issue()

    def _key(self, project: str) -> str:
        self.counters[project] += 1
        return f"{project}-{self.counters[project]}"

    def _words(self, **fixed: Any) -> _Words:
        return _Words(self.rng, fixed)

    def _marketing_issue(self) -> dict[str, Any]:
        rng = self.rng
        reporter = rng.choice(self.marketing) if rng.random() < 0.95 else rng.choice(self.leaders)
        fields: dict[str, Any] = {}
        words = self._words()
        if rng.random() < 0.55:
            category = rng.choice(_TECH_CATEGORIES)
            templates, vendors, data, monthly, cost, descriptions = _TECH[category]
            vendor = rng.choice(vendors)
            words["vendor"] = words["agency"] = vendor
            summary = rng.choice(templates).format_map(words)
            description = rng.choice(descriptions)
            fields["Vendor"] = vendor
            if data:
                fields["Data categories"] = list(data)
            if monthly and rng.random() < 0.8:
                fields["Monthly cost"] = rng.randrange(monthly[0], monthly[1] + 1, 5)
            if cost and rng.random() < 0.6:
                fields["Cost"] = rng.randrange(cost[0], cost[1] + 1, 50)
        else:
            category = None
            template, vendors, cost = rng.choice(_OTHER)
            summary = template.format_map(words)
            description = rng.choice(_OTHER_DESCRIPTIONS)
            if vendors:
                fields["Vendor"] = rng.choice(vendors)
            if cost and rng.random() < 0.8:
                fields["Cost"] = rng.randrange(cost[0], cost[1] + 1, 50)
        fields["Requested by"] = reporter
        if rng.random() < 0.15:
            fields["Initiative"] = rng.choice(_INITIATIVES)
        assignee = (
            reporter if rng.random() < 0.5 else (self.mkt.lead if rng.random() < 0.4 else None)
        )
        issue_type = "Task" if "Task" in self.mkt.routes else next(iter(self.mkt.routes))
        return self._finish(
            self.mkt,
            issue_type,
            summary,
            description,
            reporter,
            assignee,
            fields,
            sprint=None,
            truth=(reporter in self.marketing, category),
        )

    def _it_issue(self) -> dict[str, Any]:
        rng = self.rng
        fields: dict[str, Any] = {}
        category = None
        if rng.random() < 0.1:
            # filed in IT by a marketing person: mostly technology requests
            reporter = rng.choice(self.marketing)
            if rng.random() < 0.7:
                category = rng.choice(("api_access", "microsite", "integration", "tracking"))
                templates, vendors, _data, _m, _c, descriptions = _TECH[category]
                vendor = rng.choice(vendors)
                words = self._words(vendor=vendor, agency=vendor)
                summary = rng.choice(templates).format_map(words)
                description = rng.choice(descriptions)
                fields["Vendor"] = vendor
                fields["Requested by"] = reporter
            else:
                summary = f"New laptop for a {rng.choice(_TEAMS)} intern"
                description = "Standard marketing setup please."
            issue_type = "Task"
        elif self.it.routes.get("Epic") and rng.random() < 0.03:
            reporter = rng.choice(self.it_people)
            issue_type = "Epic"
            summary = f"{rng.choice(_IT_WORDS['system'])} improvements Q{rng.randint(1, 4)}"
            description = "Umbrella for the work this quarter."
        else:
            reporter = rng.choice(self.it_people)
            issue_type, template = rng.choice(_IT)
            summary = template.format_map(self._words())
            description = rng.choice(_IT_DESCRIPTIONS)
        if issue_type not in self.it.routes:
            issue_type = "Task" if "Task" in self.it.routes else next(iter(self.it.routes))
        if issue_type != "Epic":
            if rng.random() < 0.1:
                fields["Initiative"] = rng.choice(_INITIATIVES)
            if rng.random() < 0.1:
                fields["Cost"] = rng.randrange(100, 20000, 100)
        assignee = rng.choice(self.it_people) if rng.random() < 0.8 else None
        return self._finish(
            self.it,
            issue_type,
            summary,
            description,
            reporter,
            assignee,
            fields,
            sprint=issue_type != "Epic",
            truth=(reporter in self.marketing, category),
        )

    def _finish(
        self,
        project: _Project,
        issue_type: str,
        summary: str,
        description: str | None,
        reporter: str,
        assignee: str | None,
        fields: dict[str, Any],
        *,
        sprint: bool | None,
        truth: tuple[bool, str | None],
    ) -> dict[str, Any]:
        rng = self.rng
        key = self._key(project.key)
        routes, weights = project.routes[issue_type]
        route = routes[bisect(weights, rng.random() * weights[-1])]
        out: dict[str, Any] = {
            "key": key,
            "project": project.key,
            "type": issue_type,
            "summary": summary,
            "status": route.status,
            "reporter": reporter,
        }
        if description:
            out["description"] = description
        if route.resolution:
            out["resolution"] = route.resolution
        if assignee:
            out["assignee"] = assignee
        fields = {k: v for k, v in fields.items() if k in self.fields}
        if fields:
            out["fields"] = fields
        if issue_type == "Epic":
            self.epics.append(key)
        elif project is self.it and self.epics and rng.random() < 0.3:
            out["parent"] = rng.choice(self.epics[-50:])

        # sprint membership and dates
        sprint_id = None
        if sprint:
            if route.category == "done" and self.closed and rng.random() < 0.8:
                sprint_id = rng.choice(self.closed).id
            elif route.category != "new" and self.active:
                sprint_id = self.active[0].id
            elif route.category == "new":
                roll = rng.random()
                if roll < 0.4 and self.active:
                    sprint_id = self.active[0].id
                elif roll < 0.7 and self.future:
                    sprint_id = rng.choice(self.future).id
        if sprint_id is not None:
            out["sprint"] = sprint_id
        if sprint_id is not None and route.category == "done":
            start, end = self.sprint_window[sprint_id]
            updated = min(self.now, start + int(rng.random() * max(end - start, _HOUR)))
            created = updated - int(rng.random() * 30 * _DAY) - _HOUR
        else:
            created = self.now - int(rng.random() * 180 * _DAY) - _HOUR
            updated = created + int(rng.random() * (self.now - created))
        out["created"] = created
        out["updated"] = updated
        if self.truth:
            marketing_originated, category = truth
            out["properties"] = {
                TRUTH_PROPERTY: {
                    "marketing_originated": marketing_originated,
                    "tech_request": category is not None and marketing_originated,
                    "category": category,
                }
            }
        if self.with_history:
            self._history(out, route, project)
        return out

    def _history(self, out: dict[str, Any], route: _Route, project: _Project) -> None:
        rng = self.rng
        created, updated = out["created"], out["updated"]
        steps = route.steps
        people = self.marketing if project is self.mkt else self.it_people
        changelog = []
        for n, (src, dst, resolution) in enumerate(steps, 1):
            when = created + (updated - created) * n // (len(steps) + 1)
            author = out.get("assignee") or out["reporter"]
            if dst == "Approved":  # the project lead, or a colleague: never the reporter
                others = [p for p in people if p != out["reporter"]] or people
                lead = project.lead if project.lead != out["reporter"] else None
                author = lead or rng.choice(others)
            items = [("status", src, dst)]
            previous = steps[n - 2][2] if n > 1 else None
            if resolution != previous:
                items.append(("resolution", previous, resolution))
            changelog.append((author, when, items))
        if changelog:
            out["changelog"] = changelog
        if rng.random() < 0.3:
            author = rng.choice(people)
            out["comments"] = [(author, created + (updated - created) // 2, "Any update on this?")]
        if "Initiative" in out.get("fields", {}) or (
            project is self.it and route.category != "new"
        ):
            worklogs = []
            for _ in range(rng.randint(1, 3)):
                author = out.get("assignee") or rng.choice(people)
                seconds = rng.choice((1, 2, 3, 4)) * _HOUR
                started = created + int(rng.random() * max(updated - created - seconds, 0))
                worklogs.append((author, started, min(seconds, self.now - started)))
            out["worklogs"] = worklogs


def _base(base: Seed | None) -> Seed:
    return base if base is not None else load_seed("demo")


def _raw_issues(n_issues: int, seed: int, base: Seed, with_history: bool, truth: bool):
    if n_issues < 0:
        raise ValueError("n_issues must not be negative")
    gen = _Generator(base, seed, with_history, truth)
    for _ in range(n_issues):
        yield gen.issue()


# Every SeedIssue field with its empty value. model_construct() is handed all of them: it is
# slow at filling in defaults itself (it inspects each default factory on every call).
_ISSUE_DEFAULTS: dict[str, Any] = {
    name: (None if f.default_factory is None else "factory")
    for name, f in SeedIssue.model_fields.items()
    if not f.is_required()
}


def _model(raw: dict[str, Any]) -> SeedIssue:
    def when(ts: int) -> datetime:
        return datetime.fromtimestamp(ts, UTC)

    fields_set = set(raw)
    raw["created"] = when(raw["created"])
    raw["updated"] = when(raw["updated"])
    if "changelog" in raw:
        raw["changelog"] = [
            SeedChange.model_construct(
                author=a,
                created=when(t),
                items=[
                    SeedChangeItem.model_construct({"field", "from_", "to"}, field=f, from_=x, to=y)
                    for f, x, y in items
                ],
            )
            for a, t, items in raw["changelog"]
        ]
    if "comments" in raw:
        raw["comments"] = [
            SeedComment.model_construct(author=a, created=when(t), body=b)
            for a, t, b in raw["comments"]
        ]
    if "worklogs" in raw:
        raw["worklogs"] = [
            SeedWorklog.model_construct(
                {"author", "started", "seconds"}, author=a, started=when(t), seconds=s, comment=None
            )
            for a, t, s in raw["worklogs"]
        ]
    values = {}
    for name, default in _ISSUE_DEFAULTS.items():
        if name in raw:
            values[name] = raw[name]
        elif default == "factory":
            values[name] = {} if name in ("fields", "properties") else []
        else:
            values[name] = default
    for name in ("project", "type", "summary"):
        values[name] = raw[name]
    return SeedIssue.model_construct(fields_set, **values)


def _document(raw: dict[str, Any]) -> dict[str, Any]:
    raw["created"] = _iso(raw["created"])
    raw["updated"] = _iso(raw["updated"])
    if "changelog" in raw:
        raw["changelog"] = [
            {
                "author": a,
                "created": _iso(t),
                "items": [{"field": f, "from": x, "to": y} for f, x, y in items],
            }
            for a, t, items in raw["changelog"]
        ]
    if "comments" in raw:
        raw["comments"] = [
            {"author": a, "created": _iso(t), "body": b} for a, t, b in raw["comments"]
        ]
    if "worklogs" in raw:
        raw["worklogs"] = [
            {"author": a, "started": _iso(t), "seconds": s} for a, t, s in raw["worklogs"]
        ]
    return raw


def scaled_seed(
    n_issues: int,
    *,
    seed: int = 0,
    base: Seed | None = None,
    with_history: bool = False,
    truth: bool = False,
) -> Seed:
    """The base site (the demo by default) with ``n_issues`` generated issues instead of its own.

    Deterministic: the same arguments give an equal Seed. Issues get explicit keys (MKT-1...,
    IT-1...). Models are built without re-validation for speed; ``parse_seed`` of
    ``scaled_seed_document`` with the same arguments gives an equal Seed.
    """
    base = _base(base)
    issues = [_model(raw) for raw in _raw_issues(n_issues, seed, base, with_history, truth)]
    return base.model_copy(update={"issues": issues})


def scaled_seed_document(
    n_issues: int,
    *,
    seed: int = 0,
    base: Seed | None = None,
    with_history: bool = False,
    truth: bool = False,
) -> dict[str, Any]:
    """``scaled_seed`` as a JSON-able seed document, for ``POST /_sandbox/seed``."""
    base = _base(base)
    doc = base.model_dump(mode="json", by_alias=True, exclude={"issues"})
    doc["issues"] = [
        _document(raw) for raw in _raw_issues(n_issues, seed, base, with_history, truth)
    ]
    return doc
