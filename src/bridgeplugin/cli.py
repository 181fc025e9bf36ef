"""The ``bridge`` command line: thin. Parse, call the library, print, exit.

Errors from the library (``errors.BridgeError``) become one line on stderr and the exit code the
error carries, in exactly one place: ``BridgeGroup.invoke``. Nothing else catches them.

Exit codes (INTERFACES.md): 0 ok; 1 a finding that needs attention; 2 usage or configuration
error; 3 Atlassian API error after retries.
"""

from __future__ import annotations

import json
import logging
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import yaml

from . import __version__
from .config import Config, load_config
from .errors import BridgeError
from .logs import redact, setup_logging
from .starter import init_directory

__all__ = ["get_config", "main"]


class BridgeGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BridgeError as exc:
            # Masks every secret registered with setup_logging, whatever built the message.
            click.echo(f"error: {redact(str(exc))}", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=BridgeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bridge")
@click.option(
    "--config",
    "config_path",
    metavar="PATH",
    envvar="BRIDGE_CONFIG",
    show_envvar=True,
    help="bridge.yaml to read (default: ./bridge.yaml if present).",
)
@click.option("-v", "--verbose", count=True, help="-v: info, -vv: debug (HTTP libraries too).")
@click.pass_context
def main(ctx: click.Context, config_path: str | None, verbose: int) -> None:
    """bridgeplugin: close the gap between marketing and IT inside Jira and Confluence.

    \b
    Try it on a local Atlassian site:
        bridge demo
    """
    # Only remember where the config is: commands that need it call get_config(), so
    # `bridge init` and `--help` work before any config or credentials exist.
    ctx.obj = CliState(config_path=config_path, verbose=verbose)
    setup_logging(verbose)


@dataclass
class CliState:
    """What the group options leave on ``ctx.obj`` for the commands."""

    config_path: str | None = None
    verbose: int = 0
    config: Config | None = None


def get_config(ctx: click.Context | None = None, *, require_site: bool = True) -> Config:
    """The loaded config (read once per invocation), with its secrets registered for redaction.

    ``require_site=False`` for commands that never call Jira or Confluence.
    """
    ctx = ctx or click.get_current_context()
    # ensure_object: a command invoked without the group (tested on its own) gets defaults.
    state = ctx.ensure_object(CliState)
    if state.config is None:
        state.config = load_config(state.config_path, require_site=False)
        setup_logging(state.verbose, state.config.secret_values())
    if require_site:
        state.config.check_site()
    return state.config


@main.command("config")
@click.option(
    "--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True
)
@click.option("--check", is_flag=True, help="Also require the Jira site and credentials.")
@click.pass_context
def config_command(ctx: click.Context, fmt: str, check: bool) -> None:
    """Print the effective configuration (defaults, then bridge.yaml, then BRIDGE_* variables).

    Secrets are shown as ********** only. Exits 2 with the file and line, or the variable, of
    the first problem.

    \b
    Example:
        BRIDGE_PROJECTS__MARKETING=GROWTH bridge --config ops/bridge.yaml config --check
    """
    data = get_config(ctx, require_site=check).model_dump(mode="json")
    if fmt == "json":
        click.echo(json.dumps(data, indent=2))
    else:
        click.echo(yaml.safe_dump(data, sort_keys=False), nl=False)


@main.command()
@click.argument(
    "directory", default=".", type=click.Path(file_okay=False, path_type=Path), metavar="[DIR]"
)
@click.option("--force", is_flag=True, help="Overwrite bridge.yaml and the shipped rule files.")
def init(directory: Path, force: bool) -> None:
    """Write a starter bridge.yaml and a copy of the shipped rules/ into DIR.

    Safe to run again: existing files are kept (and listed) unless --force is given, and a
    directory that already has both says "already initialised" and exits 0. Secrets are never
    written: the file names the environment variables that carry them.

    \b
    Example:
        bridge init /etc/bridgeplugin
        export BRIDGE_JIRA_URL=https://acme.atlassian.net
        export BRIDGE_JIRA_EMAIL=you@acme.com BRIDGE_JIRA_TOKEN=...
        bridge --config /etc/bridgeplugin/bridge.yaml doctor
    """
    result = init_directory(directory, force=force)
    if not result.changed:
        click.echo(f"already initialised: {result.config} exists (use --force to overwrite)")
        return
    for path in result.written:
        click.echo(f"wrote {path}")
    for path in result.kept:
        click.echo(f"kept {path} (exists; use --force to overwrite)")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, help="Port (0 picks a free one).")
@click.option(
    "--seed",
    default="demo",
    show_default=True,
    metavar="demo|FILE",
    help="Built-in seed name or a seed file (YAML/JSON).",
)
@click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Keep the site in this file: later runs continue where this one stopped.",
)
def sandbox(host: str, port: int, seed: str, state_path: Path | None) -> None:
    """Serve a local fake of Jira Cloud and Confluence Cloud for trying rules and for tests.

    Jira is at http://HOST:PORT and Confluence at http://HOST:PORT/wiki, at the real REST
    paths, so the unchanged clients work against it. The first line printed gives the base
    URL and the credentials. Control API under /_sandbox/ (reset, seed, faults, clock,
    ledger). With --state, an existing state file wins over --seed. Stop with Ctrl-C.

    \b
    Example:
        bridge sandbox --port 8080 --state /tmp/site.json &
        export BRIDGE_JIRA_URL=http://127.0.0.1:8080
        export BRIDGE_JIRA_EMAIL=admin@example.com BRIDGE_JIRA_TOKEN=sandbox-token
        bridge doctor
    """
    from .sandbox.server import banner, serve_until_signalled, start

    try:
        running = start(seed, host=host, port=port, state_path=state_path)
    except OSError as exc:
        raise BridgeError(
            f"cannot listen on {host}:{port}: {exc.strerror}",
            hint="pick another --port, or --port 0 for a free one",
        ) from None

    def ready() -> None:
        click.echo(banner(running))
        sys.stdout.flush()

    serve_until_signalled(running, on_ready=ready)


@main.command()
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_context
def doctor(ctx: click.Context, fmt: str) -> None:
    """Check that the configured site is ready: reachability, credentials, permissions,
    and that every project, field, status and group the config and rules name exists.

    Prints one line per check, with a fix for each failure; exits 1 if any check fails.

    \b
    Example:
        BRIDGE_JIRA_URL=https://acme.atlassian.net BRIDGE_JIRA_EMAIL=you@acme.com \\
        BRIDGE_JIRA_TOKEN=... bridge doctor
    """
    from .doctor import Names, run_checks
    from .site import open_site

    config = get_config(ctx)
    with open_site(config) as site:
        checks = run_checks(config, site.jira, site.confluence, Names.from_config(config))
    if fmt == "json":
        click.echo(json.dumps({"checks": [c.to_json() for c in checks]}, indent=2))
    else:
        for check in checks:
            click.echo(check.line())
    if not all(c.ok for c in checks):
        sys.exit(1)


# ---------------------------------------------------------------------------- tagging rules


_RULES_OPTION = click.option(
    "--rules",
    "rules_dir",
    metavar="DIR",
    type=click.Path(exists=True, path_type=Path),
    help="Rules directory (default: rules in bridge.yaml / BRIDGE_RULES, else the shipped ones).",
)


def _rules_dir(ctx: click.Context, rules_dir: Path | None) -> Path:
    return rules_dir or get_config(ctx, require_site=False).rules


@main.group()
def rules() -> None:
    """Check, test and explain the rule files (tagging.yaml, its tests, vendors.yaml).

    \b
    Example:
        bridge rules validate --rules ./rules
        bridge rules test
        bridge rules explain MKT-42
    """


@rules.command("validate")
@_RULES_OPTION
@click.option(
    "--site/--no-site",
    "site",
    default=None,
    help="Also check field, group, project, status and issue type names against Jira "
    "(default: when a site is configured).",
)
@click.pass_context
def rules_validate(ctx: click.Context, rules_dir: Path | None, site: bool | None) -> None:
    """Load the rule files with the loader sync uses; with a site, check the names they use.

    A broken file prints its file:line and the fix and exits 2. Names the site lacks print one
    line each (file:line where known, with close matches) and exit 1.

    \b
    Example:
        bridge rules validate --rules ./rules --no-site
        BRIDGE_JIRA_URL=https://acme.atlassian.net bridge rules validate --site
    """
    from .rules_testing import case_files, load_cases, validate_names
    from .site import open_site
    from .tagging import Tagger

    config = get_config(ctx, require_site=False)
    folder = _rules_dir(ctx, rules_dir)
    tagger = Tagger.load(folder)
    cases = load_cases(case_files(folder))
    click.echo(
        f"ok: {folder}: {len(tagger.rules.rules)} rules in {len(tagger.rules.files)} file(s), "
        f"{len(tagger.rules.vendors or ())} vendors, {len(cases)} test cases "
        f"(version {tagger.version[:12]})"
    )
    from .epics.check import epic_rules_of, render_problems, site_problems_of
    from .governance import categories_of, load_policy
    from .governance.validate import site_problems as review_problems

    # Strict too: a broken reviews.yaml exits 2 with file:line and the fix.
    policy = load_policy(folder, categories=categories_of(tagger.rules), required=False)
    if policy is not None:
        click.echo(
            f"ok: reviews: {len(policy.reviews)} reviews, {len(policy.rules)} rules, "
            f"{len(policy.waivers)} waivers (version {policy.version[:12]})"
        )
    epics = epic_rules_of(folder)  # strict: a broken epics.yaml exits 2 with file:line
    epic_problems = render_problems(epics, config.templates) if epics else []
    if not (site if site is not None else config.jira_url is not None):
        for text in epic_problems:
            click.echo(text)
        if epic_problems:
            sys.exit(1)
        return
    with open_site(config) as s:
        problems = validate_names(tagger, s.jira)
        if policy is not None:  # missing groups, reviews nobody can give, unknown statuses
            problems += review_problems(policy, s.jira)
        if epics is not None:
            epic_problems += [str(p) for p in site_problems_of(epics, s.jira, config)]
    for problem in problems:
        click.echo(problem.text())
    for text in epic_problems:
        click.echo(text)
    if problems or epic_problems:
        sys.exit(1)
    click.echo(f"ok: every name the rules use exists on {config.jira_url}")


@rules.command("test")
@_RULES_OPTION
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_context
def rules_test(ctx: click.Context, rules_dir: Path | None, fmt: str) -> None:
    """Run the test cases shipped next to the rules (files with kind: tests).

    Prints PASS or FAIL per case; a failure shows what differed and the result tree of the
    rules that decided it. Exits 1 if any case fails.

    \b
    Example:
        bridge rules test
        bridge rules test --rules ./my-rules --format json
    """
    from .errors import ConfigError
    from .rules_testing import case_files, load_cases, run_cases, tree_lines
    from .tagging import Tagger

    folder = _rules_dir(ctx, rules_dir)
    tagger = Tagger.load(folder)
    files = case_files(folder)
    if not files:
        raise ConfigError(
            f"no test cases in {folder}",
            hint="add a YAML file with kind: tests next to the rules (see the shipped "
            "rules/tagging_tests.yaml)",
        )
    outcomes = run_cases(tagger, load_cases(files))
    failed = [o for o in outcomes if not o.passed]
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "passed": len(outcomes) - len(failed),
                    "failed": len(failed),
                    "cases": [o.to_json() for o in outcomes],
                },
                indent=2,
            )
        )
    else:
        for o in outcomes:
            click.echo(f"{'PASS' if o.passed else 'FAIL'} {o.name}")
            if o.passed:
                continue
            click.echo(f"  at {o.loaded.path}:{o.loaded.line}")
            for mismatch in o.mismatches:
                click.echo(f"  {mismatch}")
            # The trees of the rules behind what differed: who asked, what is asked, or both.
            questions = set()
            for m in o.mismatches:
                if m.startswith(("marketing_originated", "tag")):
                    questions.add("marketing_originated")
                if not m.startswith("marketing_originated"):
                    questions.add("tech_request")
            for line in tree_lines(o.result, sorted(questions)):
                click.echo(f"    {line}")
        click.echo(f"{len(outcomes) - len(failed)} passed, {len(failed)} failed")
    if failed:
        sys.exit(1)


@rules.command("explain")
@click.argument("key")
@_RULES_OPTION
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_context
def rules_explain(ctx: click.Context, key: str, rules_dir: Path | None, fmt: str) -> None:
    """Read issue KEY from the site and print why it is (not) tagged: every rule's result tree.

    Reads the fields the rules need and the groups of the reporter, creator and requester
    from Jira (nothing is written). --format json gives the verdict and the tree.

    \b
    Example:
        bridge rules explain MKT-42
        bridge rules explain IT-17 --format json | jq '.result.rules[] | select(.outcome=="true")'
    """
    from .classify import UserGroupsDirectory, fetch_for_rules
    from .rules_testing import tree_lines, verdict_lines
    from .site import open_site
    from .tagging import SYSTEM_FIELDS, Tagger

    config = get_config(ctx)
    tagger = Tagger.load(_rules_dir(ctx, rules_dir))
    with open_site(config) as site:
        fetched = fetch_for_rules(site.jira, key, SYSTEM_FIELDS, tagger.custom_fields())
        directory = UserGroupsDirectory(site.jira)
        result = tagger.explain(fetched.issue, directory)
        verdict = tagger.classify(fetched.issue, directory)
        # The tree is built lazily from the context: render it while the site is open.
        if fmt == "json":
            out = {"verdict": verdict.to_json(), "result": result.to_dict()}
            if fetched.absent_fields:
                out["absent_fields"] = fetched.absent_fields
            click.echo(json.dumps(out, indent=2, default=str))
            return
        click.echo(f"{fetched.issue.key}  {fetched.issue.summary or ''}")
        for line in verdict_lines(verdict)[1:]:
            click.echo(line)
        for name in fetched.absent_fields:
            click.echo(f"  note: field {name!r} is not on this site; read as empty")
        click.echo("")
        for line in tree_lines(result):
            click.echo(line)


@main.command()
@click.argument("source", default="-", metavar="[FILE|-]")
@click.option(
    "--directory",
    "directory_path",
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="YAML: group -> account ids or e-mails. Works offline: Jira is not contacted.",
)
@_RULES_OPTION
@click.option(
    "--format", "fmt", type=click.Choice(["json", "text"]), default="json", show_default=True
)
@click.pass_context
def classify(
    ctx: click.Context,
    source: str,
    directory_path: Path | None,
    rules_dir: Path | None,
    fmt: str,
) -> None:
    """Classify Jira issue JSON (one issue, a list, or a search page) from FILE or stdin.

    Prints one JSON object per issue per line: key, marketing_originated, tech_request,
    category, tag, reasons. Group membership comes from --directory, else from the configured
    site (one call per group the rules name); so do custom field names the JSON's own "names"
    map (expand=names) lacks. Never writes to Jira. Malformed JSON exits 2.

    \b
    Example:
        bridge classify issues.json --directory groups.yaml
        curl -s -u "$EMAIL:$TOKEN" "$BRIDGE_JIRA_URL/rest/api/3/issue/MKT-1?expand=names" \\
          | bridge classify - --format text
    """
    from .classify import (
        complete_fields,
        issue_from_json,
        load_directory,
        parse_issue_json,
        site_directory,
        users_of,
    )
    from .errors import InputError
    from .rules_testing import verdict_lines
    from .tagging import Tagger

    config = get_config(ctx, require_site=False)
    tagger = Tagger.load(_rules_dir(ctx, rules_dir))
    if source == "-":
        with click.open_file("-", encoding="utf-8") as stdin:
            text, name = stdin.read(), "<stdin>"
    else:
        try:
            text, name = Path(source).read_text(encoding="utf-8"), source
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            raise InputError(f"{source}: cannot read: {reason}") from None
    batch = parse_issue_json(text, name)
    names = dict(batch.names)
    if directory_path is not None:
        directory = load_directory(directory_path)
    else:
        from .errors import ConfigError
        from .site import open_site

        if config.jira_url is None:
            raise ConfigError(
                "classify needs group memberships: from --directory FILE, or from a site",
                hint="give --directory groups.yaml (group: [account ids or e-mails]), or set "
                "BRIDGE_JIRA_URL and credentials",
            )
        with open_site(config) as site:
            raw_ids = {f for raw in batch.issues for f in raw.get("fields") or {}}
            if any(f.startswith("customfield_") and f not in names for f in raw_ids):
                names.update({f.id: f.name for f in site.jira.fields()})
            found = site_directory(site.jira, tagger.groups())
        directory = found.directory
        if found.missing:
            click.echo(
                f"warning: {len(found.missing)} group(s) the rules name are not on the site, so "
                f"nobody is in them: {', '.join(found.missing)}",
                err=True,
            )
    wanted = tagger.custom_fields()
    issues = [complete_fields(issue_from_json(raw, names), wanted) for raw in batch.issues]
    directory.learn(user for issue in issues for user in users_of(issue))
    for issue in issues:
        verdict = tagger.classify(issue, directory)
        if fmt == "json":
            click.echo(json.dumps(verdict.to_json(), ensure_ascii=False))
        else:
            for line in verdict_lines(verdict)[:2]:
                click.echo(line)
            for reason in verdict.reasons:
                click.echo(f"  - {reason}")


@main.command()
@click.argument("key")
@_RULES_OPTION
@click.option(
    "--assume",
    "assumptions",
    multiple=True,
    metavar="NAME=VALUE",
    help="Simulate (repeatable): security=approved|rejected|pending|lapsed, "
    "waiver.emergency=active|expired, status=Approved. Nothing is written either way.",
)
@click.option(
    "--at",
    "at",
    metavar="TIME",
    help="Evaluate as of this ISO 8601 time (default: now); decides whether waivers are active.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_context
def check(
    ctx: click.Context,
    key: str,
    rules_dir: Path | None,
    assumptions: tuple[str, ...],
    at: str | None,
    fmt: str,
) -> None:
    """Explain whether request KEY may be approved: which review rules apply and why, each
    review's state (given by whom and when, pending, lapsed, rejected), what is missing and
    who may give it, waivers, and the approval gate. Reads Jira, never writes.

    Exits 0 when approval is allowed, 1 when it is not.

    \b
    Example:
        bridge check MKT-42
        bridge check MKT-42 --assume security=approved --assume status=Approved
        bridge check MKT-42 --format json | jq '.missing[].name'
    """
    from datetime import UTC, datetime

    from .check import check_issue
    from .errors import InputError
    from .governance import categories_of, load_policy, parse_assumptions
    from .site import open_site
    from .tagging import Tagger

    config = get_config(ctx)
    folder = _rules_dir(ctx, rules_dir)
    tagger = Tagger.load(folder)
    policy = load_policy(folder, categories=categories_of(tagger.rules))
    assert policy is not None  # required=True raises instead
    assume = parse_assumptions(assumptions, policy)
    now = datetime.now(UTC)
    if at is not None:
        try:
            now = datetime.fromisoformat(at)
        except ValueError:
            raise InputError(
                f"--at {at!r} is not an ISO 8601 time", hint="e.g. --at 2026-12-01T09:00:00Z"
            ) from None
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
    with open_site(config) as site:
        checked = check_issue(site.jira, key, tagger=tagger, policy=policy, now=now, assume=assume)
    verdict = checked.verdict
    if fmt == "json":
        click.echo(json.dumps(verdict.to_json(), indent=2, ensure_ascii=False))
    else:
        for line in verdict.lines():
            click.echo(line)
        for name in checked.absent_fields:
            click.echo(f"note: field {name!r} is not on this site", err=True)
    if not verdict.allowed:
        sys.exit(1)


@main.command()
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--keep",
    is_flag=True,
    help="Keep the sandbox running afterwards (Ctrl-C to stop) to look around yourself.",
)
def demo(fmt: str, keep: bool) -> None:
    """Start a local Atlassian site (the sandbox, demo seed), run bridgeplugin against it over
    HTTP, print a summary and stop the site. Needs no configuration and no network.

    \b
    Example:
        bridge demo
        bridge demo --keep     # then, in another shell: bridge doctor (see the printed URL)
    """
    from .demo import DEMO_ACCOUNT, DEMO_TOKEN, run_demo
    from .sandbox.server import RunningSandbox, serve_until_signalled

    def say(line: str) -> None:
        if fmt == "text":
            click.echo(line)

    def hold(sandbox: RunningSandbox) -> None:
        click.echo(
            f"Sandbox still running at {sandbox.url}: try\n"
            f"  BRIDGE_JIRA_URL={sandbox.url} BRIDGE_JIRA_EMAIL={DEMO_ACCOUNT} "
            f"BRIDGE_JIRA_TOKEN={DEMO_TOKEN} bridge doctor\n"
            "Ctrl-C stops it.",
            err=fmt == "json",
        )
        serve_until_signalled(sandbox)

    result = run_demo(say=say, keep=hold if keep else None)
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), indent=2))


def _project_keys(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> Any:
    keys = tuple(v.strip().upper() for v in value)
    for key in keys:
        if not key[:1].isalpha() or not key.replace("_", "").isalnum():
            raise click.BadParameter(f"{key!r} is not a Jira project key (e.g. MKT)")
    return keys


@main.command()
@click.option("--full", is_flag=True, help="Read every issue of the scope, not only recent ones.")
@click.option(
    "--project",
    "projects",
    multiple=True,
    metavar="KEY",
    callback=_project_keys,
    help="Only this project (repeatable); default: the marketing and IT projects.",
)
@click.option("--jql", metavar="JQL", help="Only issues that also match this JQL.")
@click.option("--dry-run", is_flag=True, help="Print the plan; write nothing, not even locally.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--overlap",
    type=click.FloatRange(min=0),
    metavar="MIN",
    help="Also re-read issues updated this many minutes before the last run's newest one "
    "(default: sync.overlap_minutes, 5).",
)
@click.pass_context
def sync(
    ctx: click.Context,
    full: bool,
    projects: tuple[str, ...],
    jql: str | None,
    dry_run: bool,
    fmt: str,
    overlap: float | None,
) -> None:
    """Tag marketing technology requests in Jira: add the label, store the verdict in the
    issue property `bridge`, and comment once on first tagging saying why.

    Reads the issues updated since the last successful run (minus an overlap), or all of them
    with --full. An unchanged second run writes nothing. Only one sync runs at a time: a
    second one says who holds the lease and exits 0. Exits 3 when Jira fails after retries or
    refuses some writes (the next run picks them up again).

    \b
    Example:
        bridge sync --dry-run
        bridge sync --project MKT --format json
    """
    from datetime import timedelta

    from .errors import AtlassianError
    from .progress import BarProgress
    from .site import open_site
    from .sync import SyncOptions, sync_from_config

    config = get_config(ctx)
    minutes = config.sync.overlap_minutes if overlap is None else overlap
    options = SyncOptions(
        full=full,
        projects=projects,
        jql=jql,
        dry_run=dry_run,
        overlap=timedelta(minutes=minutes),
    )
    progress = BarProgress() if fmt == "text" and sys.stdout.isatty() else None
    with open_site(config) as site:
        report = sync_from_config(config, site, options, progress=progress)
        pages = _publish_after_sync(config, site, report)
    payload = report.to_json()
    if pages:
        payload["published"] = pages
    # A run stopped by an error says what it planned and did not get to, not only what it did.
    attempted = {id(o.action) for o in report.outcomes}
    left = [a for a in report.plan.actions if id(a) not in attempted] if report.error else []
    if left:
        payload["not_attempted"] = [a.to_json() for a in left]
    if fmt == "json":
        click.echo(json.dumps(payload, indent=2))
    else:
        for line in [*report.lines(), *pages]:
            click.echo(line)
        if left:
            kinds = ", ".join(f"{k} {n}" for k, n in Counter(a.kind for a in left).items())
            click.echo(f"not attempted: {len(left)} planned actions ({kinds}); the next run does")
    if report.error is not None:
        raise report.error
    # An epic Jira would not create (or a parent it would not set) fails the run too: exit 3,
    # not a silent 0. The epics step re-reads its whole scope each run, so it needs no watermark.
    epics = [o for o in report.epics.outcomes if not o.ok] if report.epics is not None else []
    failures = [*report.failures, *epics]
    if failures:
        first = failures[0]
        made = report.failed + sum(report.done.values())
        made += len(report.epics.outcomes) if report.epics is not None else 0
        raise AtlassianError(
            f"{len(failures)} of {made} writes were not made "
            f"(first: {first.action.kind} on {first.action.key}: {first.result}); "
            + (
                "the watermark was not advanced"
                if report.failures
                else "the epics step tries them again on the next run"
            ),
            hint="the next sync retries them",
        )


def _publish_after_sync(config: Config, site: Any, report: Any) -> list[str]:
    """Sprint pages a successful sync publishes (``sync.publish``); one line per page action."""
    import os
    import socket
    import uuid
    from datetime import UTC, datetime

    from .report.run import publish_after_sync
    from .state import dead_here, open_store

    if report.dry_run or report.error is not None or report.lease_holder is not None:
        return []
    if report.failures:
        # Jira refused some writes: the next run makes them, then publishes. A closed
        # sprint's page is published once, so it must not show a half-done sync.
        return []
    if not (config.rules / "budgets.yaml").is_file():
        # No joint budgets set up: there is no sprint page to keep current.
        logging.getLogger(__name__).info("no budgets.yaml in %s: no sprint page", config.rules)
        return []
    # The sync's lease is released when its Jira work is done; two runs that followed each
    # other closely would publish at once (both uploading the same chart). Pages have a lease
    # of their own: a run that finds it taken leaves the pages to the run holding it.
    store = open_store(config.state)
    owner = uuid.uuid4().hex
    who = f"pid {os.getpid()} on {socket.gethostname()}"
    lease = store.acquire_lease("publish", owner, who, config.sync.lease_seconds)
    if not lease.held_by(owner) and dead_here(lease.holder):
        store.release_lease(lease)
        lease = store.acquire_lease("publish", owner, who, config.sync.lease_seconds)
    if not lease.held_by(owner):
        store.close()
        return [f"sprint pages: another run is publishing them ({lease.holder}); left to it"]
    try:
        outcomes = publish_after_sync(config, site, as_of=datetime.now(UTC))
    except BridgeError as exc:
        exc.hint = (exc.hint + "; " if exc.hint else "") + (
            "the sync itself succeeded; set sync.publish: never to skip sprint pages"
        )
        raise
    finally:
        store.release_lease(lease)
        store.close()
    return [f"{o.title}: {action}" for o in outcomes for action in o.published.actions]


# ---------------------------------------------------------------------------- webhooks


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, help="Port to listen on.")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Server processes; all receive, one at a time processes the inbox.",
)
@click.option(
    "--no-worker",
    "receive_only",
    is_flag=True,
    help="Only receive and store; another bridge serve (or a later start) processes.",
)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int, receive_only: bool) -> None:
    """Receive Jira webhooks and Jira Automation requests, and process them like bridge sync.

    POST /webhooks/jira (X-Hub-Signature with BRIDGE_WEBHOOK_SECRET), POST /automation
    (Authorization: Bearer or X-Bridge-Token with BRIDGE_AUTOMATION_TOKEN), GET /healthz,
    GET /metrics. A delivery is answered 202 once it is durably in the inbox of the state
    database, 200 when it was there already; a worker then re-reads its issues from Jira and
    syncs them. Serve plain HTTP on loopback behind a TLS reverse proxy. Stop with Ctrl-C.

    \b
    Example:
        export BRIDGE_WEBHOOK_SECRET=... BRIDGE_AUTOMATION_TOKEN=...
        bridge serve --host 127.0.0.1 --port 8000
        curl -s localhost:8000/healthz
    """
    from .serve.run import serve as run_server

    state = ctx.ensure_object(CliState)
    config = get_config(ctx, require_site=not receive_only)
    run_server(
        config,
        config_path=state.config_path,
        host=host,
        port=port,
        workers=workers,
        process=not receive_only,
        verbose=state.verbose,
    )


@main.command()
@click.option("--retry", is_flag=True, help="Queue every dead letter again, with fresh attempts.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_context
def status(ctx: click.Context, retry: bool, fmt: str) -> None:
    """Show the webhook inbox of bridge serve: deliveries waiting, lag, and dead letters.

    A dead letter is a delivery that failed every attempt; --retry queues them all again and
    a running bridge serve picks them up. Exits 1 while dead letters remain (0 after --retry).

    \b
    Example:
        bridge status
        bridge status --retry
        bridge status --format json | jq '.dead_letters[].error'
    """
    from .serve.run import inbox_report
    from .state import open_store

    config = get_config(ctx, require_site=False)
    with open_store(config.state) as store:
        report = inbox_report(store, retry=retry)
    if fmt == "json":
        click.echo(json.dumps(report, indent=2))
    else:
        if retry:
            click.echo(f"queued {report['retried']} dead letter(s) again")
        click.echo(
            f"inbox: {report['queued']} queued (oldest {report['lag_seconds']:.0f} s), "
            f"{report['dead']} dead letter(s)"
        )
        for letter in report["dead_letters"]:
            what = " ".join(letter["keys"]) or ("sweep" if letter["sweep"] else "-")
            click.echo(
                f"  {letter['id']}  {letter['event']}  {what}  {letter['attempts']} attempts, "
                f"last {letter['buried_at']}: {letter['error']}"
            )
    if report["dead"]:
        sys.exit(1)


@main.command()
@click.option(
    "--sprint",
    default="active",
    show_default=True,
    metavar="active|closed-last|ID|NAME",
    help="Which sprint's page to publish.",
)
@click.option("--dry-run", is_flag=True, help="Say what would change; write nothing.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write a standalone HTML preview (chart inline) to this file.",
)
@click.option(
    "--budgets",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Budgets file (default: budgets.yaml in the rules directory).",
)
@click.pass_context
def publish(
    ctx: click.Context, sprint: str, dry_run: bool, output: Path | None, budgets: Path | None
) -> None:
    """Publish the sprint page (joint-budget burn, burn-up chart, shared initiatives,
    governance) under the report parent page, and the index of sprint pages. Idempotent:
    unchanged content writes nothing; notes outside the managed part are kept.

    \b
    Example:
        bridge publish --sprint closed-last
        bridge publish --dry-run --output sprint.html
    """
    from datetime import UTC, datetime

    from .report.run import publish_from_config
    from .site import open_site

    config = get_config(ctx)
    with open_site(config) as site:
        outcome = publish_from_config(
            config,
            site,
            sprint=sprint,
            as_of=datetime.now(UTC),
            dry_run=dry_run,
            output=output,
            budgets=budgets,
        )
    prefix = "would " if dry_run else ""
    for action in outcome.published.actions:
        click.echo(f"{prefix}{action}")
    if outcome.preview is not None:
        click.echo(f"wrote preview {outcome.preview}")
    if outcome.published.url and not dry_run:
        click.echo(outcome.published.url)
