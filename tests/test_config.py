"""bridge.yaml + BRIDGE_* variables -> Config: precedence, names, errors with file:line."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from bridgeplugin.cli import main
from bridgeplugin.config import (
    Config,
    _shipped_dir,
    default_state_path,
    load_config,
    shipped_dir,
)
from bridgeplugin.errors import ConfigError
from bridgeplugin.logs import reset_logging

CLOUD = {
    "BRIDGE_JIRA_URL": "https://acme.atlassian.net",
    "BRIDGE_JIRA_EMAIL": "ops@acme.com",
    "BRIDGE_JIRA_TOKEN": "cloud-token-123",
}


@pytest.fixture(autouse=True)
def _clean_process(monkeypatch: pytest.MonkeyPatch) -> None:
    # The CLI tests read os.environ: a developer's own BRIDGE_* variables must not leak in.
    for name in list(os.environ):
        if name.startswith("BRIDGE_"):
            monkeypatch.delenv(name)
    yield
    reset_logging()


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def secret_file(path: Path, value: str, mode: int) -> Path:
    path.write_text(value + "\n", encoding="utf-8")
    path.chmod(mode)
    return path


def load(path: Path | None = None, **environ: str) -> Config:
    return load_config(path, environ=environ, require_site=False)


# --- defaults and sources -------------------------------------------------------------------


def test_defaults_without_file_or_environment():
    config = load(HOME="/home/ops")

    assert config.projects.marketing == "MKT"
    assert config.projects.it == "IT"
    assert config.projects.joint == "IT"
    assert config.custom_fields.cost == "Cost"
    assert config.custom_fields.initiative == "Initiative"
    assert (config.timeouts.connect, config.timeouts.read) == (5.0, 30.0)
    assert (config.retry.max_attempts, config.retry.max_wait) == (5, 60.0)
    assert config.confluence_space == "BRIDGE"
    assert config.report_parent == "Marketing x IT reports"  # the demo seed's page
    assert config.board_id is None
    assert config.rules == shipped_dir("rules")
    assert config.templates == shipped_dir("templates")
    assert config.state == Path("/home/ops/.local/state/bridgeplugin/state.db")


def test_state_default_follows_xdg_state_home():
    assert default_state_path({"XDG_STATE_HOME": "/var/lib/x", "HOME": "/h"}) == Path(
        "/var/lib/x/bridgeplugin/state.db"
    )


def test_environment_overrides_file_and_nested_keys_merge(tmp_path):
    file = write(
        tmp_path / "bridge.yaml",
        """
        jira_url: https://file.atlassian.net
        confluence_space: FILESPACE
        projects:
          marketing: FILEMKT
          it: FILEIT
        timeouts:
          read: 10
        """,
    )

    config = load(
        file,
        BRIDGE_JIRA_URL="https://env.atlassian.net",
        BRIDGE_PROJECTS__MARKETING="ENVMKT",
        BRIDGE_TIMEOUTS__CONNECT="2.5",
    )

    assert config.jira_url == "https://env.atlassian.net"
    assert config.projects.marketing == "ENVMKT"
    # Keys the environment does not mention keep the file's value (a merge, not a replace).
    assert config.projects.it == "FILEIT"
    assert config.confluence_space == "FILESPACE"
    assert (config.timeouts.connect, config.timeouts.read) == (2.5, 10.0)


@pytest.mark.parametrize(
    ("variable", "value", "attribute", "expected"),
    [
        ("BRIDGE_JIRA_URL", "https://x.atlassian.net", "jira_url", "https://x.atlassian.net"),
        ("BRIDGE_JIRA_EMAIL", "a@x.com", "jira_email", "a@x.com"),
        ("BRIDGE_CONFLUENCE_URL", "https://wiki.x.com", "confluence_url", "https://wiki.x.com"),
        ("BRIDGE_RULES", "/srv/rules", "rules", Path("/srv/rules")),
        ("BRIDGE_STATE", "/srv/state.db", "state", Path("/srv/state.db")),
        ("BRIDGE_CONFLUENCE_SPACE", "OPS", "confluence_space", "OPS"),
        ("BRIDGE_BOARD_ID", "42", "board_id", 42),
    ],
)
def test_flat_variables_from_interfaces(variable, value, attribute, expected):
    assert getattr(load(**{variable: value}), attribute) == expected


@pytest.mark.parametrize(
    ("variable", "attribute"),
    [
        ("BRIDGE_JIRA_TOKEN", "jira_token"),
        ("BRIDGE_JIRA_PAT", "jira_pat"),
        ("BRIDGE_WEBHOOK_SECRET", "webhook_secret"),
        ("BRIDGE_AUTOMATION_TOKEN", "automation_token"),
    ],
)
def test_secret_variables_from_interfaces(variable, attribute):
    secret = getattr(load(**{variable: "s3cret-value"}), attribute)

    assert secret.get_secret_value() == "s3cret-value"


@pytest.mark.parametrize(
    ("variable", "path"),
    [
        ("BRIDGE_PROJECTS__IT", ("projects", "it")),
        ("BRIDGE_PROJECTS__JOINT", ("projects", "joint")),
        ("BRIDGE_CUSTOM_FIELDS__COST", ("custom_fields", "cost")),
        ("BRIDGE_RETRY__MAX_ATTEMPTS", ("retry", "max_attempts")),
    ],
)
def test_nested_variables(variable, path):
    value = "9" if path[0] == "retry" else "OPS"
    section = getattr(load(**{variable: value}), path[0])

    assert str(getattr(section, path[1])) == value


def test_empty_variable_counts_as_unset():
    # CI systems export empty variables; an empty BRIDGE_JIRA_PAT must not clash with a token.
    config = load_config(environ={**CLOUD, "BRIDGE_JIRA_PAT": ""})

    assert config.jira_pat is None


def test_confluence_url_defaults_to_jira_wiki():
    config = load(BRIDGE_JIRA_URL="https://acme.atlassian.net/")

    assert config.jira_url == "https://acme.atlassian.net"
    assert config.confluence_url == "https://acme.atlassian.net/wiki"


def test_confluence_url_can_be_set(tmp_path):
    file = write(tmp_path / "bridge.yaml", "confluence_url: https://docs.acme.com/\n")

    config = load(file, BRIDGE_JIRA_URL="https://acme.atlassian.net")

    assert config.confluence_url == "https://docs.acme.com"


def test_joint_project_defaults_to_it_project(tmp_path):
    file = write(tmp_path / "bridge.yaml", "projects:\n  it: OPS\n")

    assert load(file).projects.joint == "OPS"


def test_paths_in_the_file_are_relative_to_the_file(tmp_path, monkeypatch):
    (tmp_path / "etc").mkdir()
    file = write(tmp_path / "etc" / "bridge.yaml", "rules: my-rules\nstate: .bridge/s.db\n")
    monkeypatch.chdir("/")

    config = load(file, BRIDGE_TEMPLATES="tpl")

    assert config.rules == tmp_path / "etc" / "my-rules"
    assert config.state == tmp_path / "etc" / ".bridge" / "s.db"
    assert config.templates == Path("tpl")  # a variable's relative path: the shell's cwd


# --- which file -----------------------------------------------------------------------------


def test_bridge_config_variable_selects_the_file(tmp_path):
    file = write(tmp_path / "other.yaml", "confluence_space: FROMVAR\n")

    assert load(None, BRIDGE_CONFIG=str(file)).confluence_space == "FROMVAR"


def test_explicit_path_wins_over_bridge_config(tmp_path):
    chosen = write(tmp_path / "chosen.yaml", "confluence_space: CHOSEN\n")
    other = write(tmp_path / "other.yaml", "confluence_space: OTHER\n")

    assert load(chosen, BRIDGE_CONFIG=str(other)).confluence_space == "CHOSEN"


def test_bridge_yaml_in_the_current_directory_is_found(tmp_path, monkeypatch):
    write(tmp_path / "bridge.yaml", "confluence_space: HERE\n")
    monkeypatch.chdir(tmp_path)

    assert load().confluence_space == "HERE"


def test_missing_explicit_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match=r"nope\.yaml \(BRIDGE_CONFIG\) does not exist"):
        load(None, BRIDGE_CONFIG=str(tmp_path / "nope.yaml"))


def test_empty_file_means_defaults(tmp_path):
    file = write(tmp_path / "bridge.yaml", "# nothing yet\n")

    assert load(file).projects.marketing == "MKT"


def test_empty_value_in_the_file_means_default(tmp_path):
    file = write(tmp_path / "bridge.yaml", "board_id:\nconfluence_space:\n")

    config = load(file)

    assert (config.board_id, config.confluence_space) == (None, "BRIDGE")


# --- errors with file:line ------------------------------------------------------------------


def test_unknown_key_names_file_line_and_suggests(tmp_path):
    file = write(
        tmp_path / "bridge.yaml",
        """
        jira_url: https://acme.atlassian.net
        # a comment
        confluence_spaces: OPS
        """,
    )

    with pytest.raises(ConfigError) as caught:
        load(file)

    message = str(caught.value)
    assert message.startswith(f"{file}:3: unknown key 'confluence_spaces'")
    assert "did you mean 'confluence_space'?" in message
    assert "valid keys: jira_url, confluence_url, jira_email, jira_token_file" in message
    # Secrets are not valid file keys, so they are not offered.
    assert "jira_token," not in message


def test_unknown_nested_key_names_the_section(tmp_path):
    file = write(tmp_path / "bridge.yaml", "projects:\n  it: IT\n  marketting: MKT\n")

    with pytest.raises(ConfigError) as caught:
        load(file)

    message = str(caught.value)
    assert f"{file}:3: unknown key 'projects.marketting'" in message
    assert "did you mean 'projects.marketing'?" in message
    assert "valid keys under projects: marketing, it, joint" in message


def test_unknown_key_without_close_match_lists_valid_keys(tmp_path):
    file = write(tmp_path / "bridge.yaml", "zzz: 1\n")

    with pytest.raises(ConfigError, match=r"unknown key 'zzz' \(valid keys: jira_url"):
        load(file)


def test_duplicate_key_is_an_error(tmp_path):
    file = write(
        tmp_path / "bridge.yaml", "confluence_space: A\nboard_id: 1\nconfluence_space: B\n"
    )

    with pytest.raises(ConfigError, match=rf"{file}:3: duplicate key 'confluence_space' .*line 1"):
        load(file)


def test_malformed_yaml_names_the_line(tmp_path):
    file = write(
        tmp_path / "bridge.yaml",
        """
        jira_url: https://acme.atlassian.net
        projects:
          marketing: MKT
         it: IT
        """,
    )

    with pytest.raises(ConfigError) as caught:
        load(file)

    assert str(caught.value).startswith(f"{file}:4: malformed YAML:")


def test_top_level_must_be_a_mapping(tmp_path):
    file = write(tmp_path / "bridge.yaml", "- jira_url\n")

    with pytest.raises(ConfigError, match=rf"{file}:1: expected a mapping"):
        load(file)


def test_bad_value_in_the_file_names_file_line_and_key(tmp_path):
    file = write(tmp_path / "bridge.yaml", "timeouts:\n  connect: 5\n  read: soon\n")

    with pytest.raises(ConfigError, match=rf"^{file}:3: timeouts\.read: Input should be a valid"):
        load(file)


def test_bad_value_in_a_variable_names_the_variable():
    with pytest.raises(ConfigError, match=r"^BRIDGE_RETRY__MAX_ATTEMPTS: Input should be"):
        load(BRIDGE_RETRY__MAX_ATTEMPTS="many")


def test_unknown_nested_variable_names_it():
    with pytest.raises(ConfigError, match=r"BRIDGE_PROJECTS__MARKETTING: unknown setting"):
        load(BRIDGE_PROJECTS__MARKETTING="MKT")


def test_project_keys_must_look_like_jira_keys():
    with pytest.raises(ConfigError, match=r"BRIDGE_PROJECTS__IT: String should match pattern"):
        load(BRIDGE_PROJECTS__IT="it-team")


@pytest.mark.parametrize("url", ["acme.atlassian.net", "ftp://acme.com", "https://"])
def test_jira_url_must_be_http_or_https(url):
    with pytest.raises(ConfigError, match=r"^BRIDGE_JIRA_URL: must be an http:// or https:// URL"):
        load(BRIDGE_JIRA_URL=url)


# --- credentials ------------------------------------------------------------------------------


def test_cloud_credentials_are_enough():
    config = load_config(environ=CLOUD)

    assert config.jira_email == "ops@acme.com"
    assert config.jira_token.get_secret_value() == "cloud-token-123"


def test_data_center_pat_alone_is_enough():
    config = load_config(
        environ={"BRIDGE_JIRA_URL": "https://jira.acme.com", "BRIDGE_JIRA_PAT": "pat-456"}
    )

    assert config.jira_pat.get_secret_value() == "pat-456"


def test_pat_and_token_together_are_an_error():
    with pytest.raises(ConfigError) as caught:
        load_config(environ={**CLOUD, "BRIDGE_JIRA_PAT": "pat-456"})

    message = str(caught.value)
    assert "BRIDGE_JIRA_TOKEN" in message
    assert "BRIDGE_JIRA_PAT" in message
    assert "not both" in message


def test_missing_credentials_name_the_variables_to_set():
    with pytest.raises(ConfigError) as caught:
        load_config(environ={"BRIDGE_JIRA_URL": "https://acme.atlassian.net"})

    assert str(caught.value).startswith(
        "no Jira credentials: set BRIDGE_JIRA_EMAIL and BRIDGE_JIRA_TOKEN (Jira Cloud) "
        "or BRIDGE_JIRA_PAT (Data Center)"
    )


def test_token_without_email_names_the_email_variable():
    with pytest.raises(ConfigError, match="BRIDGE_JIRA_TOKEN is set but BRIDGE_JIRA_EMAIL is not"):
        load_config(
            environ={"BRIDGE_JIRA_URL": "https://a.atlassian.net", "BRIDGE_JIRA_TOKEN": "t"}
        )


def test_missing_site_names_the_url_variable():
    with pytest.raises(ConfigError, match="no Jira site configured: set BRIDGE_JIRA_URL"):
        load_config(environ={"BRIDGE_JIRA_PAT": "pat"})


def test_offline_commands_load_without_credentials():
    assert load_config(environ={}, require_site=False).jira_token is None


# --- secret files -----------------------------------------------------------------------------


def test_token_file_with_mode_0644_is_refused_with_chmod_hint(tmp_path):
    token = secret_file(tmp_path / "token", "tok", 0o644)
    file = write(tmp_path / "bridge.yaml", f"jira_token_file: {token}\n")

    with pytest.raises(ConfigError) as caught:
        load(file)

    message = str(caught.value)
    assert f"{token} has mode 0644; run chmod 600 {token}" in message
    assert message.startswith(f"{file}:1: jira_token_file:")


@pytest.mark.parametrize("mode", [0o640, 0o604])
def test_group_or_world_readable_token_file_is_refused(tmp_path, mode):
    token = secret_file(tmp_path / "token", "tok", mode)

    with pytest.raises(ConfigError, match=f"has mode {mode:04o}; run chmod 600"):
        load(BRIDGE_JIRA_TOKEN_FILE=str(token))


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_token_file_with_mode_0600_or_stricter_is_read(tmp_path, mode):
    token = secret_file(tmp_path / "token", "  file-token  ", mode)
    file = write(tmp_path / "bridge.yaml", "jira_email: ops@acme.com\njira_token_file: token\n")

    config = load_config(file, environ={"BRIDGE_JIRA_URL": "https://acme.atlassian.net"})

    assert config.jira_token.get_secret_value() == "file-token"
    assert config.jira_token_file == token


@pytest.mark.parametrize("name", ["jira_pat", "webhook_secret", "automation_token"])
def test_every_secret_has_a_file_variable(tmp_path, name):
    path = secret_file(tmp_path / name, f"{name}-value", 0o600)

    config = load(**{f"BRIDGE_{name.upper()}_FILE": str(path)})

    assert getattr(config, name).get_secret_value() == f"{name}-value"


def test_variable_wins_over_secret_file(tmp_path):
    # The file would be refused (0644) if it were read at all.
    token = secret_file(tmp_path / "token", "from-file", 0o644)
    file = write(tmp_path / "bridge.yaml", f"jira_token_file: {token}\n")

    config = load(file, BRIDGE_JIRA_TOKEN="from-env")

    assert config.jira_token.get_secret_value() == "from-env"


def test_missing_secret_file_is_an_error(tmp_path):
    with pytest.raises(
        ConfigError, match=r"BRIDGE_JIRA_PAT_FILE: cannot read secret file .*No such file"
    ):
        load(BRIDGE_JIRA_PAT_FILE=str(tmp_path / "absent"))


def test_secret_path_that_is_not_a_regular_file_is_refused(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo, 0o600)

    with pytest.raises(ConfigError, match="is not a regular file"):
        load(BRIDGE_JIRA_PAT_FILE=str(fifo))


def test_empty_secret_file_is_an_error(tmp_path):
    path = secret_file(tmp_path / "pat", "", 0o600)

    with pytest.raises(ConfigError, match="is empty"):
        load(BRIDGE_JIRA_PAT_FILE=str(path))


@pytest.mark.parametrize("name", ["jira_token", "jira_pat", "webhook_secret", "automation_token"])
def test_secret_written_in_the_file_is_refused(tmp_path, name):
    file = write(tmp_path / "bridge.yaml", f"jira_url: https://a.atlassian.net\n{name}: hunter2\n")

    with pytest.raises(ConfigError) as caught:
        load(file)

    message = str(caught.value)
    assert message.startswith(f"{file}:2: {name} must not be written in the config file")
    assert f"BRIDGE_{name.upper()}" in message
    assert f"{name}_file" in message
    assert "hunter2" not in message


@pytest.mark.parametrize("text", ["jira_token:\n", "jira_token: ''\n"])
def test_empty_secret_key_in_the_file_is_allowed(tmp_path, text):
    file = write(tmp_path / "bridge.yaml", text)

    assert load(file).jira_token is None


# --- shipped data -----------------------------------------------------------------------------


def test_shipped_rules_found_in_the_source_checkout():
    rules = shipped_dir("rules")

    assert (rules / "README.md").is_file()
    assert shipped_dir("templates").is_dir()


def test_shipped_dir_prefers_the_wheel_layout(tmp_path):
    package = tmp_path / "site-packages" / "bridgeplugin"
    (package / "_data" / "rules").mkdir(parents=True)

    assert _shipped_dir("rules", package) == package / "_data" / "rules"


def test_shipped_dir_source_layout(tmp_path):
    package = tmp_path / "src" / "bridgeplugin"
    package.mkdir(parents=True)
    (tmp_path / "templates").mkdir()

    assert _shipped_dir("templates", package) == tmp_path / "templates"


def test_shipped_dir_missing_is_a_config_error(tmp_path):
    package = tmp_path / "src" / "bridgeplugin"
    package.mkdir(parents=True)

    with pytest.raises(ConfigError, match="shipped rules/ folder is missing"):
        _shipped_dir("rules", package)


# --- through the CLI --------------------------------------------------------------------------


def invoke(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env or {})


def assert_one_error_line(result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0]


def test_cli_unknown_key_exits_2_with_one_line(tmp_path):
    file = write(tmp_path / "bridge.yaml", "confluence_spce: X\n")

    result = invoke("--config", str(file), "config")

    assert_one_error_line(result, f"{file}:1: unknown key 'confluence_spce'")


def test_cli_malformed_yaml_exits_2(tmp_path):
    file = write(tmp_path / "bridge.yaml", "a: [1\n")

    assert_one_error_line(invoke("--config", str(file), "config"), "malformed YAML")


def test_cli_bridge_config_variable_is_read(tmp_path):
    file = write(tmp_path / "bridge.yaml", "confluence_spce: X\n")

    result = invoke("config", env={"BRIDGE_CONFIG": str(file)})

    assert_one_error_line(result, f"{file}:1:")


def test_cli_missing_credentials_exit_2_naming_variables():
    result = invoke("config", "--check", env={"BRIDGE_JIRA_URL": "https://a.atlassian.net"})

    assert_one_error_line(result, "BRIDGE_JIRA_EMAIL", "BRIDGE_JIRA_TOKEN", "BRIDGE_JIRA_PAT")


def test_cli_config_prints_effective_values(tmp_path):
    file = write(tmp_path / "bridge.yaml", "projects:\n  marketing: GROWTH\n")

    result = invoke("--config", str(file), "config", "--format", "json", "--check", env=CLOUD)

    assert result.exit_code == 0, result.output
    assert '"marketing": "GROWTH"' in result.stdout
    assert '"confluence_url": "https://acme.atlassian.net/wiki"' in result.stdout
    assert '"jira_token": "**********"' in result.stdout
