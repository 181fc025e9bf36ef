"""The progress display draws on the file it is given and survives any call order."""

from __future__ import annotations

import io

from bridgeplugin.progress import BarProgress


def test_phases_of_known_and_unknown_length() -> None:
    out = io.StringIO()
    bar = BarProgress(out)
    bar.advance()  # before any phase: ignored
    bar.phase("reading issues", None)
    bar.advance(3)
    bar.phase("writing", 2)  # ends the previous phase
    bar.advance(2)
    bar.done()
    bar.done()
    assert "reading issues" in out.getvalue() and "writing" in out.getvalue()
