"""The ``bridge`` command line: thin. Parse, call the library, print, exit.

Errors from the library (``errors.BridgeError``) become one line on stderr and the exit code the
error carries, in exactly one place: ``BridgeGroup.invoke``. Nothing else catches them.

Exit codes (INTERFACES.md): 0 ok; 1 a finding that needs attention; 2 usage or configuration
error; 3 Atlassian API error after retries.
"""

from __future__ import annotations

import json
import sys
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
