"""Atlassian accounts and groups, shared by the fake Jira and the fake Confluence."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError
from .seed import Seed

__all__ = ["Account", "Accounts"]


@dataclass
class Account:
    account_id: str
    display_name: str
    email: str
    name: str
    tokens: set[str] = field(default_factory=set)
    pat: str | None = None
    site_admin: bool = False
    active: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "display_name": self.display_name,
            "email": self.email,
            "name": self.name,
            "tokens": sorted(self.tokens),
            "pat": self.pat,
            "site_admin": self.site_admin,
            "active": self.active,
        }


class Accounts:
    """Users by account id, with e-mail/name lookups, and group membership."""

    def __init__(self) -> None:
        self.users: dict[str, Account] = {}
        self.groups: dict[str, list[str]] = {}  # group name -> account ids, in seed order
        self._by_email: dict[str, str] = {}
        self._by_name: dict[str, str] = {}

    @classmethod
    def from_seed(cls, seed: Seed) -> Accounts:
        accounts = cls()
        for u in seed.users:
            tokens = {t for t in (seed.site.default_token, u.token) if t}
            accounts.add(
                Account(
                    account_id=u.account_id,
                    display_name=u.display_name,
                    email=u.email,
                    name=u.name or u.email.split("@", 1)[0],
                    tokens=tokens,
                    pat=u.pat,
                    site_admin=u.site_admin,
                    active=u.active,
                )
            )
        for g in seed.groups:
            members = []
            for ref in g.members:
                acc = accounts.find(ref)
                if acc is None:
                    raise InputError(f"seed group {g.name!r} names unknown user {ref!r}")
                members.append(acc.account_id)
            accounts.groups[g.name] = members
        return accounts

    def add(self, account: Account) -> None:
        self.users[account.account_id] = account
        self._by_email[account.email.lower()] = account.account_id
        self._by_name[account.name.lower()] = account.account_id

    def find(self, ref: str | None) -> Account | None:
        """An account by account id, e-mail or short name."""
        if not ref:
            return None
        if ref in self.users:
            return self.users[ref]
        key = ref.lower()
        acc_id = self._by_email.get(key) or self._by_name.get(key)
        return self.users.get(acc_id) if acc_id else None

    def groups_of(self, account_id: str) -> list[str]:
        return sorted(g for g, members in self.groups.items() if account_id in members)

    def in_group(self, account_id: str, group: str) -> bool:
        return account_id in self.groups.get(group, ())

    def authenticate(self, authorization: str | None) -> Account | None:
        """The account for an Authorization header (Basic email:token, or Bearer PAT)."""
        if not authorization:
            return None
        scheme, _, value = authorization.partition(" ")
        scheme = scheme.lower()
        if scheme == "basic":
            try:
                decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return None
            user, _, secret = decoded.partition(":")
            acc = self.find(user)
            if acc is not None and acc.active and secret in acc.tokens:
                return acc
            return None
        if scheme == "bearer":
            token = value.strip()
            for acc in self.users.values():
                if acc.pat and acc.active and acc.pat == token:
                    return acc
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "users": [u.to_json() for u in self.users.values()],
            "groups": self.groups,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Accounts:
        accounts = cls()
        for u in doc["users"]:
            accounts.add(Account(**{**u, "tokens": set(u["tokens"])}))
        accounts.groups = {k: list(v) for k, v in doc["groups"].items()}
        return accounts
