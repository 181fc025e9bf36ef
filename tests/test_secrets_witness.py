"""Witness tests: a random secret is planted, and must show up nowhere a person can read.

Like pycontribs/jira's witness test: the secret is fresh per test, so finding it anywhere in
an output can only mean it leaked from the config, not that a fixture happened to match.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from bridgeplugin.cli import main
from bridgeplugin.config import load_config
from bridgeplugin.errors import ConfigError
from bridgeplugin.logs import MASK, NOISY_LOGGERS, redact, reset_logging, setup_logging

EMAIL = "ops@acme.com"


@pytest.fixture(autouse=True)
def _clean_process(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("BRIDGE_"):
            monkeypatch.delenv(name)
    yield
    reset_logging()


@pytest.fixture
def token() -> str:
    # Characters that base64 and URL-encoding both change, so every form is exercised.
    return "tok+" + secrets.token_urlsafe(24) + "/="


def basic(email: str, token: str) -> str:
    return base64.b64encode(f"{email}:{token}".encode()).decode()


def forms(token: str) -> list[str]:
    return [token, basic(EMAIL, token), base64.b64encode(token.encode()).decode()]


def assert_absent(text: str, token: str) -> None:
    for form in forms(token):
        assert form not in text


def cloud(token: str) -> dict[str, str]:
    return {
        "BRIDGE_JIRA_URL": "https://acme.atlassian.net",
        "BRIDGE_JIRA_EMAIL": EMAIL,
        "BRIDGE_JIRA_TOKEN": token,
        "BRIDGE_WEBHOOK_SECRET": token + "-hook",
    }


def test_config_renderings_never_show_the_token(token):
    config = load_config(environ=cloud(token))

    assert config.jira_token.get_secret_value() == token  # it is there, just hidden
    for text in (
        repr(config),
        str(config),
        config.model_dump_json(),
        json.dumps(config.model_dump(mode="json")),
        repr(config.model_dump()),
    ):
        assert_absent(text, token)
        assert token + "-hook" not in text


def test_token_read_from_a_file_is_hidden_too(tmp_path, token):
    path = tmp_path / "token"
    path.write_text(token)
    path.chmod(0o600)

    config = load_config(
        environ={
            "BRIDGE_JIRA_URL": "https://acme.atlassian.net",
            "BRIDGE_JIRA_EMAIL": EMAIL,
            "BRIDGE_JIRA_TOKEN_FILE": str(path),
        }
    )

    assert config.jira_token.get_secret_value() == token
    assert_absent(repr(config) + config.model_dump_json(), token)


def test_log_records_are_redacted_in_every_form(token, caplog, capsys):
    config = load_config(environ=cloud(token))
    setup_logging(0, config.secret_values())
    log = logging.getLogger("jira")  # a library logger: its records propagate to root

    log.error("auth with %s", token)
    log.error(f"formatted eagerly: {token}")
    log.error("Authorization: Basic %s", basic(EMAIL, token))
    log.error("query ?token=%s", quote(token, safe=""))
    log.error("%(secret)s in a mapping", {"secret": token})
    try:
        raise RuntimeError(f"HTTP 401 headers={{'Authorization': 'Basic {basic(EMAIL, token)}'}}")
    except RuntimeError:
        log.exception("request failed")

    err = capsys.readouterr().err
    for text in (err, caplog.text, "\n".join(r.getMessage() for r in caplog.records)):
        assert_absent(text, token)
        assert quote(token, safe="") not in text
    assert err.count(MASK) >= 6
    assert "RuntimeError: HTTP 401" in err  # the traceback is kept, only the secret goes


def test_bearer_pat_is_redacted(token, capsys):
    config = load_config(
        environ={"BRIDGE_JIRA_URL": "https://jira.acme.com", "BRIDGE_JIRA_PAT": token}
    )
    setup_logging(0, config.secret_values())

    logging.getLogger("urllib3").error("headers: Authorization: Bearer %s", token)

    err = capsys.readouterr().err
    assert token not in err
    assert "Authorization: Bearer ***" in err


def test_config_errors_never_contain_the_token(tmp_path, token):
    messages = []
    literal = tmp_path / "literal.yaml"
    literal.write_text(f"jira_token: {token}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(literal, environ={})
    messages.append(str(caught.value))

    with pytest.raises(ConfigError) as caught:
        load_config(environ={**cloud(token), "BRIDGE_JIRA_URL": token})  # token as a bad URL
    messages.append(str(caught.value))

    with pytest.raises(ConfigError) as caught:
        load_config(environ={**cloud(token), "BRIDGE_JIRA_PAT": token})
    messages.append(str(caught.value))

    loose = tmp_path / "loose"
    loose.write_text(token)
    loose.chmod(0o644)
    with pytest.raises(ConfigError) as caught:
        load_config(environ={"BRIDGE_JIRA_PAT_FILE": str(loose)}, require_site=False)
    messages.append(str(caught.value))

    with pytest.raises(ConfigError) as caught:
        load_config(environ={**cloud(token), "BRIDGE_TIMEOUTS__READ": token})
    messages.append(str(caught.value))

    for message in messages:
        assert_absent(message, token)


def test_cli_output_and_errors_never_contain_the_token(tmp_path, token):
    runner = CliRunner()
    shown = runner.invoke(main, ["-vv", "config", "--format", "json"], env=cloud(token))
    literal = tmp_path / "bridge.yaml"
    literal.write_text(f"jira_pat: {token}\n")
    refused = runner.invoke(main, ["--config", str(literal), "config"], env=cloud(token))

    assert shown.exit_code == 0, shown.output
    assert refused.exit_code == 2
    for result in (shown, refused):
        assert_absent(result.stdout + result.stderr, token)


def test_redact_masks_plain_base64_urlencoded_and_pairs(token):
    pair = f"{EMAIL}:{token}"
    text = (
        f"a {token} b {basic(EMAIL, token)} c {quote(token, safe='')} "
        f"d {base64.urlsafe_b64encode(pair.encode()).decode()} e Bearer {token}"
    )

    redacted = redact(text, [token, pair])

    assert_absent(redacted, token)
    assert redacted == "a *** b *** c *** d *** e Bearer ***"


def test_redact_without_secrets_changes_nothing():
    assert redact("nothing to hide", []) == "nothing to hide"
    assert redact("nothing to hide", [""]) == "nothing to hide"


def test_redact_defaults_to_registered_secrets(token):
    setup_logging(0, [token])

    assert redact(f"x {token} y") == "x *** y"


def test_http_library_loggers_stay_at_warning_unless_vv():
    setup_logging(1)
    assert logging.getLogger().level == logging.INFO
    for name in NOISY_LOGGERS:
        assert logging.getLogger(name).getEffectiveLevel() == logging.WARNING

    setup_logging(2)
    assert logging.getLogger().level == logging.DEBUG
    for name in NOISY_LOGGERS:
        assert logging.getLogger(name).getEffectiveLevel() == logging.DEBUG


def test_setup_logging_twice_installs_one_handler_and_keeps_earlier_secrets(token, capsys):
    setup_logging(0, [token])
    before = len(logging.getLogger().handlers)
    setup_logging(0, ["another-secret"])

    logging.getLogger("bridgeplugin").error("%s and another-secret", token)

    assert len(logging.getLogger().handlers) == before
    err = capsys.readouterr().err
    assert err.count("*** and ***") == 1


def test_a_broken_log_call_does_not_raise(token, capsys):
    setup_logging(0, [token])

    logging.getLogger("bridgeplugin").error("two %s %s", token)  # one argument short

    assert token not in capsys.readouterr().err


def test_cli_error_line_is_redacted_with_registered_secrets(tmp_path, token):
    # The one error path (BridgeGroup.invoke) masks whatever secrets are registered, even in
    # text we did not write ourselves: here, a config path that happens to contain the token.
    setup_logging(0, [token])
    missing = tmp_path / f"{token}.yaml"

    result = CliRunner().invoke(main, ["--config", str(missing), "config"], env={})

    assert result.exit_code == 2
    assert token not in result.stderr
    assert f"{tmp_path}/***.yaml" in result.stderr
