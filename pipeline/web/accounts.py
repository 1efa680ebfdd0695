"""Portal accounts: config/users.yaml (username, role, unit for officers, argon2 hash), sign-in checks and a
limit on failed sign-ins. The file holds hashes only; `khuyencong users add/reset` writes it atomically."""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from pathlib import Path
from typing import Literal

import yaml
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from pipeline.configfile import load_model, read_yaml
from pipeline.files import write_atomic
from pipeline.units import UnitRegistry

USERS_FILE = "users.yaml"
OFFICER, STAFF = "officer", "staff"
_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("not a password")  # verified against for unknown names: the same time either way
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,39}")
MIN_PASSWORD = 10


class Account(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    username: str
    role: Literal["officer", "staff"]
    unit: str | None = None  # the unit code of an officer
    password_hash: str
    email: str | None = None  # where the unit's receipts are mailed (officers)

    @field_validator("username")
    @classmethod
    def _name(cls, value: str) -> str:
        if not USERNAME.fullmatch(value):
            raise ValueError("a username is 2-40 characters: lower-case letters, digits, '.', '_' or '-'")
        return value

    @model_validator(mode="after")
    def _unit(self) -> Account:
        if (self.role == OFFICER) != (self.unit is not None):
            raise ValueError("an officer account names its unit; a staff account names none")
        return self


class Accounts(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    users: tuple[Account, ...] = ()

    @model_validator(mode="after")
    def _unique(self) -> Accounts:
        names = [u.username for u in self.users]
        if len(names) != len(set(names)):
            raise ValueError("a username appears twice")
        return self

    def get(self, username: str) -> Account | None:
        return next((u for u in self.users if u.username == username), None)


def load_accounts(config_dir: Path) -> Accounts:
    """The accounts of a configuration folder (none when users.yaml is absent); a bad file is a ConfigError."""
    path = config_dir / USERS_FILE
    return load_model(path, Accounts, (read_yaml(path) if path.exists() else None) or {})


def unit_addresses(config_dir: Path) -> dict[str, tuple[str, ...]]:
    """Each unit's e-mail addresses: those of its officers' accounts in users.yaml (where its receipts are
    mailed); units with none are absent."""
    out: dict[str, list[str]] = {}
    for account in load_accounts(config_dir).users:
        if account.unit and account.email and account.email not in out.get(account.unit, []):
            out.setdefault(account.unit, []).append(account.email)
    return {unit: tuple(emails) for unit, emails in out.items()}


def save_accounts(config_dir: Path, accounts: Accounts) -> Path:
    path = config_dir / USERS_FILE
    data = {"users": [u.model_dump(exclude_none=True) for u in accounts.users]}
    head = "# Web portal accounts (khuyencong users add/reset). Passwords are stored as argon2 hashes only.\n"
    write_atomic(path, (head + yaml.safe_dump(data, allow_unicode=True, sort_keys=False)).encode("utf-8"))
    return path


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"a password has at least {MIN_PASSWORD} characters")
    return _HASHER.hash(password)


def set_account(
    config_dir: Path,
    units: UnitRegistry,
    username: str,
    password: str,
    role: str | None = None,
    unit: str | None = None,
    email: str | None = None,
    new: bool = True,
) -> Account:
    """Add an account (`new`) or reset an existing one's password; ValueError says what is wrong."""
    accounts = load_accounts(config_dir)
    old = accounts.get(username)
    if new and old is not None:
        raise ValueError(f"user {username} exists already (use `khuyencong users reset`)")
    if not new and old is None:
        raise ValueError(f"no user {username} (use `khuyencong users add`)")
    if new:
        code = None
        if unit is not None:
            found = units.find(unit)
            if found is None:
                raise ValueError(f"unknown unit: {unit}")
            code = found.code
        account = Account(
            username=username, role=role or OFFICER, unit=code, password_hash=hash_password(password), email=email
        )
        users = (*accounts.users, account)
    else:
        account = old.model_copy(update={"password_hash": hash_password(password)})  # type: ignore[union-attr]
        users = tuple(account if u.username == username else u for u in accounts.users)
    save_accounts(config_dir, Accounts(users=users))
    return account


def authenticate(accounts: Accounts, username: str, password: str) -> Account | None:
    """The account if the password is right (argon2 verification; the same work for an unknown name)."""
    account = accounts.get(username)
    try:
        _HASHER.verify(account.password_hash if account else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    return account


class RateLimit:
    """At most `attempts` failed sign-ins per key (username, client address) in `window` seconds."""

    def __init__(self, attempts: int = 5, window: float = 300.0) -> None:
        self.attempts, self.window = attempts, window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, *keys: str) -> bool:
        now = time.monotonic()
        with self._lock:
            return any(len(self._recent(k, now)) >= self.attempts for k in keys)

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for k in keys:
                self._recent(k, now).append(now)

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        while q and now - q[0] > self.window:
            q.popleft()
        return q
