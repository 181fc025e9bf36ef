"""Run the app under uvicorn, and the inbox report behind ``bridge status``.

With ``--workers N`` uvicorn starts N processes that import the app by name, so the
configuration travels to them the way it reached this one: the config file path and the
``BRIDGE_*`` variables in the environment (secrets never on a command line).
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from ..config import Config, load_config
from ..errors import ConfigError
from ..logs import setup_logging
from ..state import Store, open_store
from .app import ServeSettings, create_app
from .worker import WorkerSettings

__all__ = ["app_from_environment", "build_app", "inbox_report", "serve"]

_CHILD = "BRIDGEPLUGIN_SERVE_CHILD"  # not BRIDGE_*: the config loader must not see it


def build_app(config: Config, *, process: bool) -> Any:
    if config.webhook_secret is None and config.automation_token is None:
        raise ConfigError(
            "bridge serve needs a secret: set BRIDGE_WEBHOOK_SECRET (Jira webhooks) and/or "
            "BRIDGE_AUTOMATION_TOKEN (Automation requests)",
            hint="or webhook_secret_file / automation_token_file (mode 0600); an endpoint "
            "without its secret answers 401 to everyone",
        )
    open_store(config.state).close()  # fail now, with exit code 2, not on the first request
    settings = ServeSettings(
        state=config.state,
        webhook_secret=config.webhook_secret,
        automation_token=config.automation_token,
    )
    factory = None
    check = None
    if process:
        config.check_site()
        from .process import SyncProcessor
        from .verdict import CheckService

        def factory(store: Store) -> SyncProcessor:
            return SyncProcessor(config, store)

        # Needs the site too, so it goes with processing; a --no-worker receiver has no Jira.
        check = CheckService(config)

    return create_app(settings, processor=factory, worker_settings=WorkerSettings(), check=check)


def app_from_environment() -> Any:
    """The app in a uvicorn worker process (``--workers N``)."""
    options = json.loads(os.environ[_CHILD])
    config = load_config(options["config"], require_site=False)
    setup_logging(options["verbose"], config.secret_values())
    return build_app(config, process=options["process"])


def serve(
    config: Config,
    *,
    config_path: str | None,
    host: str,
    port: int,
    workers: int,
    process: bool,
    verbose: int,
) -> None:
    import uvicorn

    # The event loop and the inbox writer share the GIL. With the default 5 ms switch interval
    # a request that is ready can wait 5 ms for the writer's Python code to let go, which
    # shows in the tail latency; 1 ms hands the GIL over sooner at a small cost in throughput.
    sys.setswitchinterval(0.001)
    common: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_config": None,  # our handlers (with secret redaction) print uvicorn's records too
        "access_log": verbose > 0,
        "timeout_graceful_shutdown": 10,
        "backlog": 2048,
    }
    if workers == 1:
        uvicorn.run(build_app(config, process=process), **common)
        return
    build_app(config, process=False)  # check the secrets and the store before forking
    os.environ[_CHILD] = json.dumps({"config": config_path, "verbose": verbose, "process": process})
    uvicorn.run(
        "bridgeplugin.serve.run:app_from_environment", factory=True, workers=workers, **common
    )


def inbox_report(store: Store, *, retry: bool, now: float | None = None) -> dict[str, Any]:
    """``bridge status --format json``: the inbox now, and what ``--retry`` queued again."""
    retried = store.revive() if retry else 0
    stats = store.inbox_stats()
    now = time.time() if now is None else now
    letters = store.dead_letters(limit=1000)
    return {
        "queued": stats.queued,
        "lag_seconds": round(now - stats.oldest_queued, 3) if stats.oldest_queued else 0.0,
        "dead": stats.dead,
        "retried": retried,
        "dead_letters": [
            {
                "id": letter.delivery.id,
                "source": letter.delivery.source,
                "event": letter.delivery.event,
                "keys": list(letter.delivery.keys),
                "sweep": letter.delivery.sweep,
                "attempts": letter.delivery.attempts,
                "error": letter.delivery.error,
                "received_at": _iso(letter.delivery.received_at),
                "buried_at": _iso(letter.buried_at),
            }
            for letter in letters
        ],
    }


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))
