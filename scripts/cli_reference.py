"""Regenerate the README's command reference from ``bridge --help`` (sqlite-utils style).

    python scripts/cli_reference.py          # rewrite README.md between the markers
    python scripts/cli_reference.py --check  # exit 1 if README.md is out of date

tests/test_docs.py runs the check, so a command whose help changed fails CI until the README
is regenerated.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from click.testing import CliRunner

from bridgeplugin.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"
START = "<!-- cli-reference:start -->"
END = "<!-- cli-reference:end -->"


def _commands(group: click.Group, prefix: list[str]) -> list[list[str]]:
    out: list[list[str]] = []
    for name in sorted(group.list_commands(click.Context(group))):
        cmd = group.get_command(click.Context(group), name)
        if cmd is None or cmd.hidden:
            continue
        out.append([*prefix, name])
        if isinstance(cmd, click.Group):
            out.extend(_commands(cmd, [*prefix, name]))
    return out


def reference() -> str:
    runner = CliRunner()
    parts = [START, ""]
    for path in [[], *_commands(main, [])]:
        result = runner.invoke(main, [*path, "--help"], prog_name="bridge", terminal_width=100)
        title = " ".join(["bridge", *path])
        parts += [f"### `{title}`", "", "```", result.output.rstrip(), "```", ""]
    parts.append(END)
    return "\n".join(parts)


def render(readme: str) -> str:
    head, _, rest = readme.partition(START)
    _, _, tail = rest.partition(END)
    return head + reference() + tail


def main_() -> int:
    args = sys.argv[1:]
    if args not in ([], ["--check"]):
        print(__doc__, file=sys.stderr)  # --help, typos: say how, rewrite nothing
        return 0 if args in (["-h"], ["--help"]) else 2
    current = README.read_text(encoding="utf-8")
    if START not in current or END not in current:
        print(f"README.md lacks the {START} / {END} markers", file=sys.stderr)
        return 2
    wanted = render(current)
    if "--check" in sys.argv[1:]:
        if wanted != current:
            print("README.md command reference is out of date: run scripts/cli_reference.py")
            return 1
        return 0
    README.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main_())
