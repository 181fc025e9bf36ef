"""Open the gateways for a configuration: the one place config becomes HTTP clients.

Timeouts and the retry policy come from the config, so every command talks to Jira and
Confluence the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .config import Config
from .confluence_gateway import ConfluenceGateway
from .jira_gateway import JiraGateway
from .retry import RetryPolicy

__all__ = ["Site", "open_site"]


@dataclass
class Site:
    jira: JiraGateway
    confluence: ConfluenceGateway
    config: Config = field(repr=False)

    def close(self) -> None:
        self.jira.close()
        self.confluence.close()

    def __enter__(self) -> Site:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def retry_policy(config: Config) -> RetryPolicy:
    return RetryPolicy(max_attempts=config.retry.max_attempts, max_wait=config.retry.max_wait)


def open_site(config: Config) -> Site:
    """Gateways for the configured site; raises ConfigError when site or credentials miss."""
    config.check_site()
    timeout = (config.timeouts.connect, config.timeouts.read)
    policy = retry_policy(config)
    assert config.jira_url is not None  # check_site() guarantees it
    jira = JiraGateway(
        config.jira_url,
        email=config.jira_email,
        token=config.jira_token,
        pat=config.jira_pat,
        timeout=timeout,
        policy=policy,
    )
    confluence = ConfluenceGateway(
        config.confluence_url or f"{config.jira_url}/wiki",
        email=config.jira_email,
        token=config.jira_token,
        pat=config.jira_pat,
        timeout=timeout,
        policy=policy,
    )
    return Site(jira=jira, confluence=confluence, config=config)
