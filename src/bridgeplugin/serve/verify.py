"""Who may deliver: Jira's HMAC signature on webhooks, a shared token on Automation requests.

Jira signs a webhook registered with a secret as ``X-Hub-Signature: sha256=<hex>``, the
HMAC-SHA256 of the raw body with the secret (WebSub's ``method=signature``). Only ``sha256`` is
known here: a delivery signed with any other method is rejected rather than trusted, so a
downgrade to a weaker method cannot get in. Comparisons are constant-time (``hmac.compare_digest``)
so the time an answer takes tells an attacker nothing about how much of a guess was right.

Automation's "Send web request" cannot sign; it sends a header the admin types into the rule:
``Authorization: Bearer <token>`` or ``X-Bridge-Token: <token>``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from pydantic import SecretStr

__all__ = ["TOKEN_HEADER", "expected_signature", "signature_ok", "token_ok"]

TOKEN_HEADER = "x-bridge-token"
_METHOD = "sha256"


def expected_signature(secret: SecretStr, body: bytes) -> str:
    """The ``X-Hub-Signature`` value Jira sends for ``body``."""
    mac = hmac.new(secret.get_secret_value().encode(), body, hashlib.sha256)
    return f"{_METHOD}={mac.hexdigest()}"


def signature_ok(secret: SecretStr, body: bytes, header: str | None) -> bool:
    """True only for a well-formed ``sha256=<hex>`` header that matches ``body``."""
    if not header:
        return False
    method, sep, digest = header.strip().partition("=")
    if not sep or method.lower() != _METHOD:
        return False
    expected = hmac.new(secret.get_secret_value().encode(), body, hashlib.sha256).hexdigest()
    # Compared as ASCII bytes: compare_digest refuses non-ASCII str, and a header is untrusted.
    return hmac.compare_digest(expected.encode(), digest.strip().lower().encode("utf-8"))


def token_ok(token: SecretStr, headers: Mapping[str, str]) -> bool:
    """True when the bearer token or the ``X-Bridge-Token`` header carries ``token``."""
    want = token.get_secret_value().encode()
    given: list[str] = []
    auth = headers.get("authorization", "")
    scheme, _, value = auth.strip().partition(" ")
    if scheme.lower() == "bearer" and value:
        given.append(value.strip())
    if headers.get(TOKEN_HEADER):
        given.append(headers[TOKEN_HEADER].strip())
    # Every candidate is compared (no early exit), each in constant time.
    matches = [hmac.compare_digest(want, g.encode("utf-8")) for g in given]
    return any(matches)
