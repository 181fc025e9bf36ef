"""``bridge serve``: receive Jira webhooks and Automation requests durably, process them later.

::

    request --verify--> inbox (group commit, fsync) --202--> caller
                          |
                          v  worker thread: coalesce, sync the named issues from Jira
                        done | retry later | dead letter

Modules: ``app`` (routes, answers), ``verify`` (HMAC, token), ``payload`` (which issues),
``inbox`` (the group-committing writer), ``worker`` (processing, retries, dead letters),
``process`` (the sync pipeline as the worker's processor), ``metrics`` (Prometheus text).
"""

from .app import MAX_BODY, ServeSettings, create_app
from .worker import Outcome, Processor, WorkerSettings

__all__ = ["MAX_BODY", "Outcome", "Processor", "ServeSettings", "WorkerSettings", "create_app"]
