"""The ``bridge`` command line: thin. Parse, call the library, print, exit.

Errors from the library (``errors.BridgeError``) become one line on stderr and the exit code the
error carries, in exactly one place: ``BridgeGroup.invoke``. Nothing else catches them.

Exit codes (INTERFACES.md): 0 ok; 1 a finding that needs attention; 2 usage or configuration
error; 3 Atlassian API error after retries.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from . import __version__
from .errors import BridgeError

__all__ = ["main"]


class BridgeGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BridgeError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=BridgeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bridge")
def main() -> None:
    """bridgeplugin: close the gap between marketing and IT inside Jira and Confluence.

    \b
    Try it on a local Atlassian site:
        bridge demo
    """
