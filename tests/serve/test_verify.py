"""Signature and token checks: vectors computed here, independently of the code under test."""

from __future__ import annotations

import hashlib
import hmac
import os

import pytest
from pydantic import SecretStr

from bridgeplugin.serve.verify import expected_signature, signature_ok, token_ok

# Atlassian's documented example (Jira Cloud webhooks, "Secure admin webhooks").
ATLASSIAN_SECRET = "It's a Secret to Everybody"
ATLASSIAN_BODY = b"Hello World!"
ATLASSIAN_SIGNATURE = "sha256=a4771c39fbe90f317c7824e83ddef3caae9cb3d976c214ace1f2937e133263c9"


def independent(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_atlassians_documented_vector_verifies() -> None:
    assert signature_ok(SecretStr(ATLASSIAN_SECRET), ATLASSIAN_BODY, ATLASSIAN_SIGNATURE)
    assert expected_signature(SecretStr(ATLASSIAN_SECRET), ATLASSIAN_BODY) == ATLASSIAN_SIGNATURE


@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 6000, 1024 * 1024])
def test_random_bodies_verify_against_an_independent_hmac(size: int) -> None:
    secret, body = os.urandom(16).hex(), os.urandom(size)
    assert signature_ok(SecretStr(secret), body, independent(secret, body))
    assert signature_ok(
        SecretStr(secret), body, independent(secret, body).upper().replace("SHA", "sha")
    )


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=",
        "sha256",
        ATLASSIAN_SIGNATURE[:-1],  # one digit short
        ATLASSIAN_SIGNATURE[:-1] + "0",  # last digit wrong
        # The right digest under another (or no) method name: unknown methods are rejected.
        "sha1=" + ATLASSIAN_SIGNATURE.split("=")[1],
        "md5=" + ATLASSIAN_SIGNATURE.split("=")[1],
        ATLASSIAN_SIGNATURE.split("=")[1],
        "sha1=" + hmac.new(ATLASSIAN_SECRET.encode(), ATLASSIAN_BODY, hashlib.sha1).hexdigest(),
        "sha256=é" + ATLASSIAN_SIGNATURE[8:],  # non-ASCII does not crash the comparison
    ],
)
def test_bad_signatures_are_refused(header: str | None) -> None:
    assert not signature_ok(SecretStr(ATLASSIAN_SECRET), ATLASSIAN_BODY, header)


def test_a_tampered_body_or_another_secret_is_refused() -> None:
    assert not signature_ok(SecretStr(ATLASSIAN_SECRET), b"Hello World?", ATLASSIAN_SIGNATURE)
    assert not signature_ok(SecretStr("another"), ATLASSIAN_BODY, ATLASSIAN_SIGNATURE)


def test_the_automation_token_comes_as_bearer_or_header() -> None:
    token = SecretStr("t0k3n")
    assert token_ok(token, {"authorization": "Bearer t0k3n"})
    assert token_ok(token, {"authorization": "bearer  t0k3n "})
    assert token_ok(token, {"x-bridge-token": "t0k3n"})
    assert token_ok(token, {"authorization": "Bearer wrong", "x-bridge-token": "t0k3n"})
    assert not token_ok(token, {})
    assert not token_ok(token, {"authorization": "Basic t0k3n"})
    assert not token_ok(token, {"authorization": "Bearer t0k3"})
    assert not token_ok(token, {"x-bridge-token": "t0k3n-and-more"})
    assert not token_ok(token, {"x-bridge-token": "tök3n"})
