"""Logging setup with a filter that keeps secrets out of every log line.

A secret can reach a log in more forms than its own text: the ``jira`` library puts request
headers into ``JIRAError``, where a Cloud token travels as ``Basic base64(email:token)`` and a
Data Center PAT as ``Bearer <pat>``; a token can also appear URL-encoded in a query string.
``redact`` replaces each of those forms with ``***``. ``Config.secret_values()`` supplies the
secrets, including the ``email:token`` pair whose base64 is the header value.
"""

from __future__ import annotations

import base64
import logging
import sys
from collections.abc import Iterable
from typing import TextIO
from urllib.parse import quote

__all__ = ["MASK", "RedactingFilter", "redact", "reset_logging", "setup_logging"]

MASK = "***"

# Chatty HTTP client loggers: their DEBUG output includes URLs and, for some, headers. They stay
# at WARNING unless the user asks for everything with -vv.
NOISY_LOGGERS = ("urllib3", "requests", "requests_oauthlib", "jira", "atlassian")

_FORMAT = "%(levelname)s %(name)s: %(message)s"
_DEBUG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _forms(secret: str) -> set[str]:
    """The spellings of one secret that can show up in logs and error text."""
    raw = secret.encode()
    return {
        secret,
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode(),
        # Without padding, as some tools print it.
        base64.b64encode(raw).decode().rstrip("="),
        quote(secret, safe=""),
    } - {""}


def _patterns(secrets: Iterable[str]) -> list[str]:
    forms: set[str] = set()
    for secret in secrets:
        if secret:
            forms |= _forms(secret)
    # Longest first, so a form that contains another one is replaced whole.
    return sorted(forms, key=len, reverse=True)


def _replace(text: str, patterns: list[str]) -> str:
    for pattern in patterns:
        if pattern in text:
            text = text.replace(pattern, MASK)
    return text


def redact(text: str, secrets: Iterable[str] | None = None) -> str:
    """``text`` with every form of every secret replaced by ``***``.

    With ``secrets=None``, the secrets registered through ``setup_logging`` are used: that is
    what error paths call, since they do not hold the config.
    """
    if secrets is None:
        return _FILTER.redact(text)
    return _replace(text, _patterns(secrets))


class RedactingFilter(logging.Filter):
    """Rewrites a record's message, arguments, traceback and stack with secrets masked.

    Installed on handlers (not loggers) because a logger's filters do not see records that
    propagate up from child loggers such as ``jira`` or ``urllib3``.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self._patterns: list[str] = []
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        self._secrets |= {s for s in secrets if s}
        self._patterns = _patterns(self._secrets)

    def clear(self) -> None:
        self._secrets.clear()
        self._patterns = []

    def redact(self, text: str) -> str:
        return _replace(text, self._patterns)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._patterns:
            return True
        # Format once here (msg % args) so a secret passed as an argument is caught too; the
        # record then carries the final text and no args.
        try:
            message = record.getMessage()
        except Exception:
            # A log call whose arguments do not fit its format must not crash the caller; the
            # handler would print the same raw parts in its error report.
            message = f"{record.msg} {record.args!r}"
        record.msg = self.redact(message)
        record.args = None
        if record.exc_info:
            # Formatter.format appends exc_text as is when exc_info is cleared.
            text = record.exc_text or logging.Formatter().formatException(record.exc_info)
            record.exc_text = self.redact(text)
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at emit time (click's test runner swaps it)."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> TextIO:  # type: ignore[override]
        return sys.stderr


# One filter for the process: setup_logging may run again once the config (and with it the
# secrets) is loaded, and must extend the same filter rather than stack a second one.
_FILTER = RedactingFilter()
_HANDLER: logging.Handler | None = None


def setup_logging(verbosity: int, secrets: Iterable[str] = ()) -> None:
    """Log to stderr at WARNING (0), INFO (-v) or DEBUG (-vv), with ``secrets`` masked.

    Safe to call more than once: the handler is installed once and the secrets accumulate.
    The filter is also put on every other handler already on the root logger, so nothing
    attached before us (a test's capture handler, a server's handler) bypasses it.
    """
    global _HANDLER
    _FILTER.add(secrets)
    root = logging.getLogger()
    if _HANDLER is None or _HANDLER not in root.handlers:
        _HANDLER = _StderrHandler()
        root.addHandler(_HANDLER)
    _HANDLER.setFormatter(logging.Formatter(_DEBUG_FORMAT if verbosity >= 2 else _FORMAT))
    for handler in root.handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
    root.setLevel(
        logging.DEBUG if verbosity >= 2 else logging.INFO if verbosity == 1 else logging.WARNING
    )
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET if verbosity >= 2 else logging.WARNING)


def reset_logging() -> None:
    """Undo ``setup_logging``: remove its handler and filter and forget the secrets.

    For tests and for programs that embed bridgeplugin and own the logging setup.
    """
    global _HANDLER
    root = logging.getLogger()
    for handler in root.handlers:
        handler.removeFilter(_FILTER)
    if _HANDLER is not None:
        root.removeHandler(_HANDLER)
        _HANDLER = None
    _FILTER.clear()
