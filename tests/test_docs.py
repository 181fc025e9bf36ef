"""The README is part of the product: its commands, its reference and its claims stay true."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click

from bridgeplugin.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        assert cmd is not None
        out.append((*prefix, name))
        if isinstance(cmd, click.Group):
            out.extend(_all_commands(cmd, (*prefix, name)))
    return out


def test_every_command_is_in_the_readme_reference():
    for path in _all_commands(main):
        assert f"### `bridge {' '.join(path)}`" in README, f"bridge {' '.join(path)} undocumented"


def test_the_readme_reference_matches_the_current_help():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "cli_reference.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_readme_opens_with_the_demo_then_the_test_command():
    blocks = re.findall(r"<!-- (demo|test)-command -->\n```bash\n(.+?)\n```", README)
    assert [kind for kind, _ in blocks] == ["demo", "test"]
    demo, test = (cmd for _, cmd in blocks)
    assert demo.endswith("bridge demo") and "pip install -e ." in demo
    assert "pytest" in test and "'.[test]'" in test
    # Both come before any other section of the README.
    assert README.index("<!-- test-command -->") < README.index("\n## ")


def test_ci_runs_the_readme_test_command():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "<!-- test-command -->" in script and "README.md" in script
