"""What ``bridge init`` writes: a commented ``bridge.yaml`` and a copy of the shipped rules.

``init`` never overwrites anything without ``--force``: it creates what is missing and leaves
what exists alone, so provisioning scripts can run it on every deploy. The rules folder is one
unit: once ``rules/`` exists it belongs to the admin (a shipped rule they deleted is not brought
back); ``--force`` copies the shipped files over it again (other files in it stay).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .config import CONFIG_FILENAME, shipped_dir
from .errors import ConfigError

__all__ = ["STARTER_CONFIG", "InitResult", "init_directory"]

# Every key of Config, documented. Secrets appear only as the variables that carry them.
# tests/test_init.py checks that every setting is mentioned and that this file loads.
STARTER_CONFIG = """\
# bridge.yaml: bridgeplugin configuration (written by `bridge init`).
#
# Every key can be overridden by an environment variable: BRIDGE_ + the key in upper case,
# with __ between nested keys (projects.marketing -> BRIDGE_PROJECTS__MARKETING).
# Precedence: environment > this file > defaults. Unknown keys are errors.
# Relative paths in this file are relative to this file.
# `bridge --config PATH` or BRIDGE_CONFIG selects the file; else ./bridge.yaml is used.

# --- Sites ----------------------------------------------------------------------------------
# Jira site (BRIDGE_JIRA_URL), http:// or https://.
# jira_url: https://acme.atlassian.net
# Confluence site (BRIDGE_CONFLUENCE_URL); default: jira_url + /wiki.
# confluence_url: https://acme.atlassian.net/wiki

# --- Credentials ----------------------------------------------------------------------------
# Never write a token in this file: bridge refuses it. Set the environment variable, or name
# a file that only you can read (chmod 600) with the *_file key (or BRIDGE_*_FILE). When
# both are set, the variable wins.
#
# Jira Cloud: account e-mail (BRIDGE_JIRA_EMAIL) + API token (BRIDGE_JIRA_TOKEN).
# jira_email: you@acme.com
# jira_token_file: /etc/bridgeplugin/jira-token
#
# Jira Data Center: personal access token (BRIDGE_JIRA_PAT) instead of e-mail + token.
# jira_pat_file: /etc/bridgeplugin/jira-pat

# --- Jira projects ----------------------------------------------------------------------------
projects:
  marketing: MKT      # where marketing raises requests (BRIDGE_PROJECTS__MARKETING)
  it: IT              # where IT works (BRIDGE_PROJECTS__IT)
  # joint: IT         # where cross-team epics are created; default: the it project

# IT Scrum board id, for sprints (BRIDGE_BOARD_ID); default: the it project's board.
# board_id: 12

# Custom field names (or customfield_NNNNN ids) as they appear in Jira.
custom_fields:
  cost: Cost                  # number: a request's cost (BRIDGE_CUSTOM_FIELDS__COST)
  initiative: Initiative      # text: shared initiative (BRIDGE_CUSTOM_FIELDS__INITIATIVE)

# --- bridge sync ------------------------------------------------------------------------------
tagging:
  label: marketing-tech-request   # added to tagged requests (BRIDGE_TAGGING__LABEL)
sync:
  overlap_minutes: 5         # re-read issues updated this long before the watermark
                             # (BRIDGE_SYNC__OVERLAP_MINUTES)
  lease_seconds: 600         # a crashed run blocks the next for at most this long
                             # (BRIDGE_SYNC__LEASE_SECONDS)
  chunk_size: 1000           # issues read, planned and applied at a time: memory stays flat
                             # on large sites (BRIDGE_SYNC__CHUNK_SIZE)
  publish: closed            # sprint pages after a sync: closed (a sprint has closed),
                             # changed (also the active sprint's page when its figures
                             # changed), never (BRIDGE_SYNC__PUBLISH)
governance:
  enforce: false             # create review sub-tasks and revert approvals made without
                             # the reviews of rules/reviews.yaml (BRIDGE_GOVERNANCE__ENFORCE)
  violation_label: bridge-violation  # where an approval cannot be reverted
  max_reverts: 3             # reverts of one request before the plugin labels it and stops

# --- Confluence reports -----------------------------------------------------------------------
confluence_space: BRIDGE           # space key (BRIDGE_CONFLUENCE_SPACE)
report_parent: Marketing x IT reports   # reports go under this page (BRIDGE_REPORT_PARENT)

# --- Files ------------------------------------------------------------------------------------
rules: rules                 # rule files (BRIDGE_RULES); default: the rules shipped with bridge
# templates: templates       # page/comment templates (BRIDGE_TEMPLATES); default: shipped ones
state: .bridge/state.db      # local state database (BRIDGE_STATE);
                             # default: ~/.local/state/bridgeplugin/state.db

# --- HTTP -------------------------------------------------------------------------------------
timeouts:
  connect: 5                 # seconds (BRIDGE_TIMEOUTS__CONNECT)
  read: 30                   # seconds (BRIDGE_TIMEOUTS__READ)
retry:                       # for idempotent calls on 429, 5xx and connection failures
  max_attempts: 5            # attempts in all (BRIDGE_RETRY__MAX_ATTEMPTS)
  max_wait: 60               # longest single wait in seconds (BRIDGE_RETRY__MAX_WAIT)

# --- bridge serve -----------------------------------------------------------------------------
# Secret of the Jira webhook (BRIDGE_WEBHOOK_SECRET) and token Jira Automation's
# "Send web request" sends (BRIDGE_AUTOMATION_TOKEN). Variables or mode 0600 files only.
# webhook_secret_file: /etc/bridgeplugin/webhook-secret
# automation_token_file: /etc/bridgeplugin/automation-token
"""


@dataclass
class InitResult:
    """What ``init_directory`` did, for the command to report."""

    config: Path
    rules: Path
    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.written)


def init_directory(directory: Path, *, force: bool = False) -> InitResult:
    """Write ``bridge.yaml`` and copy the shipped ``rules/`` into ``directory``.

    Without ``force``, an existing ``bridge.yaml`` or ``rules/`` is kept and listed in
    ``InitResult.kept``; with it, both are (re)written from the shipped copies.
    """
    if directory.exists() and not directory.is_dir():
        raise ConfigError(f"{directory} is not a directory")
    result = InitResult(config=directory / CONFIG_FILENAME, rules=directory / "rules")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if result.config.exists() and not force:
            result.kept.append(result.config)
        else:
            result.config.write_text(STARTER_CONFIG, encoding="utf-8")
            result.written.append(result.config)

        if result.rules.exists() and not force:
            result.kept.append(result.rules)
        else:
            result.written.extend(_copy_tree(shipped_dir("rules"), result.rules))
    except OSError as exc:
        raise ConfigError(f"cannot initialise {directory}: {exc}") from None
    return result


def _copy_tree(source: Path, target: Path) -> list[Path]:
    """Copy every file under ``source`` (caches excepted), overwriting same-named files."""
    copied = []
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if "__pycache__" in relative.parts or path.suffix == ".pyc":
            continue
        destination = target / relative
        if path.is_dir():
            destination.mkdir(parents=True, exist_ok=True)
        else:
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)
            copied.append(destination)
    return copied
