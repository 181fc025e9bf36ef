"""A progress display on stderr for long commands, drawn with ``click.progressbar``.

Only for people watching a terminal: the CLI creates one when stdout is a TTY and the output is
not JSON, so cron mail and scripts never see bars.
"""

from __future__ import annotations

import sys
from typing import Any

import click

__all__ = ["BarProgress"]


class BarProgress:
    """``sync.Progress`` as one bar per phase; a phase of unknown length counts items."""

    def __init__(self, file: Any = None) -> None:
        self._file = file or sys.stderr
        self._bar: Any = None

    def phase(self, name: str, total: int | None) -> None:
        self.done()
        self._bar = click.progressbar(
            length=total if total is not None else 0,
            label=name,
            file=self._file,
            show_pos=True,
            show_eta=total is not None,
            show_percent=total is not None,
        )
        self._bar.__enter__()

    def advance(self, n: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def done(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None
