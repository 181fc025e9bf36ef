"""Witness: a random token, valid on the site, never appears in any output of the CLI.

The token is accepted by the sandbox (a custom seed gives the admin this token), so the
commands really authenticate with it, at -vv where the HTTP libraries log at DEBUG too.
"""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator

import pytest

from bridgeplugin.sandbox.seed import load_seed
from bridgeplugin.sandbox.server import RunningSandbox, start

WITNESS = "witness-" + secrets.token_hex(16)
EMAIL = "admin@example.com"
FORMS = [
    WITNESS,
    base64.b64encode(f"{EMAIL}:{WITNESS}".encode()).decode(),
    base64.b64encode(WITNESS.encode()).decode().rstrip("="),
]


@pytest.fixture(scope="module")
def site() -> Iterator[RunningSandbox]:
    seed = load_seed("demo")
    users = [u.model_copy(update={"token": WITNESS}) if u.email == EMAIL else u for u in seed.users]
    seed = seed.model_copy(
        update={"users": users, "site": seed.site.model_copy(update={"default_token": None})}
    )
    sandbox = start(seed)
    yield sandbox
    sandbox.stop()


def run(*args: str, url: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")}
    env.update(
        BRIDGE_JIRA_URL=url,
        BRIDGE_JIRA_EMAIL=EMAIL,
        BRIDGE_JIRA_TOKEN=WITNESS,
        BRIDGE_RETRY__MAX_ATTEMPTS="1",
    )
    return subprocess.run(
        [sys.executable, "-m", "bridgeplugin", "-vv", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("doctor", "--format", "json"), id="doctor json at debug level"),
        pytest.param(("doctor",), id="doctor text at debug level"),
        pytest.param(("config", "--format", "json"), id="effective config as json"),
        pytest.param(("config",), id="effective config as yaml"),
    ],
)
def test_the_token_is_used_but_never_printed(site, args):
    proc = run(*args, url=site.url)
    out = proc.stdout + proc.stderr
    for form in FORMS:
        assert form not in out, f"{form[:12]}… leaked by bridge {' '.join(args)}"
    if args[0] == "doctor":
        # The token really authenticated: otherwise this test would prove nothing.
        assert proc.returncode == 0, out
        assert "authenticated as" in proc.stdout


def test_the_token_is_not_printed_when_the_site_fails(site):
    for url in (site.url + "/nowhere", "http://127.0.0.1:9"):
        proc = run("doctor", "--format", "json", url=url)
        assert proc.returncode != 0
        out = proc.stdout + proc.stderr
        for form in FORMS:
            assert form not in out
