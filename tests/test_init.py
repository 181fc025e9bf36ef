"""`bridge init`: a starter bridge.yaml that loads, a copy of the shipped rules, no overwrites."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from bridgeplugin.cli import main
from bridgeplugin.config import SECRET_FIELDS, Config, load_config, shipped_dir
from bridgeplugin.logs import reset_logging
from bridgeplugin.starter import STARTER_CONFIG

CLOUD = {
    "BRIDGE_JIRA_URL": "https://acme.atlassian.net",
    "BRIDGE_JIRA_EMAIL": "ops@acme.com",
    "BRIDGE_JIRA_TOKEN": "cloud-token-123",
}


@pytest.fixture(autouse=True)
def _clean_process(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("BRIDGE_"):
            monkeypatch.delenv(name)
    yield
    reset_logging()


def init(*args: str):
    return CliRunner().invoke(main, ["init", *args], env={})


def shipped_files() -> list[Path]:
    rules = shipped_dir("rules")
    return sorted(p.relative_to(rules) for p in rules.rglob("*") if p.is_file())


def test_init_writes_config_and_copies_shipped_rules(tmp_path):
    result = init(str(tmp_path))

    assert result.exit_code == 0, result.output
    assert (tmp_path / "bridge.yaml").read_text() == STARTER_CONFIG
    assert f"wrote {tmp_path / 'bridge.yaml'}" in result.stdout
    copied = sorted(p.relative_to(tmp_path / "rules") for p in (tmp_path / "rules").rglob("*"))
    assert copied == shipped_files()
    for relative in copied:
        assert (tmp_path / "rules" / relative).read_bytes() == (
            shipped_dir("rules") / relative
        ).read_bytes()


def test_written_config_loads(tmp_path):
    init(str(tmp_path / "site"))

    config = load_config(tmp_path / "site" / "bridge.yaml", environ=CLOUD)

    assert config.rules == tmp_path / "site" / "rules"
    assert config.state == tmp_path / "site" / ".bridge" / "state.db"
    assert config.projects.marketing == "MKT"
    assert config.jira_url == "https://acme.atlassian.net"


def test_written_config_matches_the_defaults_it_documents(tmp_path):
    init(str(tmp_path))

    written = load_config(tmp_path / "bridge.yaml", environ={}, require_site=False)
    defaults = Config()

    for section in ("projects", "custom_fields", "timeouts", "retry"):
        assert getattr(written, section) == getattr(defaults, section)
    assert written.confluence_space == defaults.confluence_space
    assert written.report_parent == defaults.report_parent


def test_starter_examples_are_valid_when_uncommented(tmp_path):
    # Every commented example (`# key: value`) must load once uncommented; secret files are
    # left out because they name files that do not exist here.
    uncommented = re.sub(
        r"^( {0,2})# (?![a-z_]+_file:)([a-z_]+: \S.*)$", r"\1\2", STARTER_CONFIG, flags=re.MULTILINE
    )
    assert uncommented != STARTER_CONFIG
    file = tmp_path / "bridge.yaml"
    file.write_text(uncommented)

    config = load_config(file, environ={}, require_site=False)

    assert config.jira_url == "https://acme.atlassian.net"
    assert config.board_id == 12


def all_setting_names(model: type = Config) -> set[str]:
    names = set()
    for name, field in model.model_fields.items():
        names.add(name)
        if isinstance(field.annotation, type) and hasattr(field.annotation, "model_fields"):
            names |= all_setting_names(field.annotation)
    return names


def test_starter_documents_every_setting():
    missing = {name for name in all_setting_names() if f"{name}:" not in STARTER_CONFIG}
    # Secrets appear as their variables only, never as `key:`.
    assert missing == set(SECRET_FIELDS)
    for name in SECRET_FIELDS:
        assert f"BRIDGE_{name.upper()}" in STARTER_CONFIG


def test_second_run_keeps_files_and_exits_0(tmp_path):
    init(str(tmp_path))
    config = tmp_path / "bridge.yaml"
    config.write_text("confluence_space: MINE\n")

    result = init(str(tmp_path))

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        f"already initialised: {config} exists (use --force to overwrite)"
    )
    assert config.read_text() == "confluence_space: MINE\n"


def test_existing_rules_folder_is_left_alone(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "ours.yaml").write_text("# ours\n")

    result = init(str(tmp_path))

    assert result.exit_code == 0, result.output
    assert (tmp_path / "bridge.yaml").exists()
    assert f"kept {tmp_path / 'rules'} (exists; use --force to overwrite)" in result.stdout
    assert sorted(p.name for p in (tmp_path / "rules").iterdir()) == ["ours.yaml"]


def test_force_overwrites_config_and_shipped_rules_but_keeps_other_files(tmp_path):
    init(str(tmp_path))
    (tmp_path / "bridge.yaml").write_text("confluence_space: MINE\n")
    shipped = shipped_files()[0]
    (tmp_path / "rules" / shipped).write_text("edited\n")
    (tmp_path / "rules" / "ours.yaml").write_text("# ours\n")

    result = init(str(tmp_path), "--force")

    assert result.exit_code == 0, result.output
    assert (tmp_path / "bridge.yaml").read_text() == STARTER_CONFIG
    assert (tmp_path / "rules" / shipped).read_bytes() == (
        shipped_dir("rules") / shipped
    ).read_bytes()
    assert (tmp_path / "rules" / "ours.yaml").read_text() == "# ours\n"


def test_init_into_a_file_is_a_usage_error(tmp_path):
    target = tmp_path / "afile"
    target.write_text("x")

    result = init(str(target))

    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_init_does_not_need_a_valid_config(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("a: [1\n")

    result = CliRunner().invoke(main, ["--config", str(broken), "init", str(tmp_path / "d")])

    assert result.exit_code == 0, result.output


def test_python_m_bridgeplugin_init_in_a_subprocess(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")}

    first = subprocess.run(
        [sys.executable, "-m", "bridgeplugin", "init"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    second = subprocess.run(
        [sys.executable, "-m", "bridgeplugin", "init"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert first.returncode == 0, first.stderr
    assert (tmp_path / "bridge.yaml").is_file()
    assert (tmp_path / "rules").is_dir()
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith("already initialised: bridge.yaml exists")
    assert load_config(tmp_path / "bridge.yaml", environ=CLOUD).rules == tmp_path / "rules"


def test_config_error_in_a_subprocess_is_one_line_exit_2(tmp_path):
    (tmp_path / "bridge.yaml").write_text("jira_urll: https://a.atlassian.net\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")}

    result = subprocess.run(
        [sys.executable, "-m", "bridgeplugin", "config"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: bridge.yaml:1: unknown key 'jira_urll' (did you mean")


def commands(group: click.Group, prefix: str = "bridge"):
    for name, command in group.commands.items():
        yield f"{prefix} {name}", command
        if isinstance(command, click.Group):
            yield from commands(command, f"{prefix} {name}")


def test_every_command_has_help_with_an_example():
    # sqlite-utils style: a command without an example in its help is not finished.
    found = list(commands(main))
    assert found
    for name, command in found:
        assert command.help, f"{name} has no help"
        if not isinstance(command, click.Group):
            assert "Example" in command.help, f"{name}'s help has no example"
