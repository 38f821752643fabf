"""API keys of help-desk staff and administrators (`mk_…`), each with a role.

Only the SHA-256 of a key is stored (a key carries 256 random bits, so a fast hash is enough); the key itself is
shown once, when it is created. The first 8 characters, stored as the prefix, name a key in lists and revocation.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from minfu.errors import InvalidInputError
from tools.store.common import Clock, as_utc, require_text, utc_now
from tools.store.db import SessionFactory
from tools.store.errors import NotFoundError
from tools.store.models import ApiKeyRow

Role = Literal["staff", "admin"]
ROLES: tuple[Role, ...] = ("staff", "admin")
KEY_PREFIX = "mk_"
PREFIX_LENGTH = 8
MAX_KEY_LENGTH = 200
_PREFIX_ATTEMPTS = 10
_NO_MATCH = "0" * 64  # compared against when no key has the prefix, so unknown prefixes take as long as known ones


@dataclass(frozen=True)
class ApiKey:
    """A key's record (never the key): `key_prefix` names it."""

    key_prefix: str
    name: str
    role: Role
    created_at: datetime
    revoked_at: datetime | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def grants(self, role: Role) -> bool:
        """Whether this key may act in `role`: admin keys may do what staff keys may."""
        return self.role == role or self.role == "admin"


def key_hash(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


class ApiKeyStore:
    """Create, verify, revoke and list API keys; every public method is one transaction."""

    def __init__(self, sessions: SessionFactory, *, clock: Clock = utc_now) -> None:
        self._sessions = sessions
        self._clock = clock

    def create(self, name: str, role: str) -> tuple[ApiKey, str]:
        """A new key for `role`; the plaintext is returned here only, for showing once."""
        checked_name = require_text(name, "name", "密钥名称", max_len=100)
        checked_role = _role(role)
        with self._sessions.begin() as session:
            plaintext = _unused_key(session)
            row = ApiKeyRow(
                key_prefix=plaintext[:PREFIX_LENGTH],
                key_hash=key_hash(plaintext),
                name=checked_name,
                role=checked_role,
                created_at=self._clock(),
            )
            session.add(row)
            session.flush()
            return _to_key(row), plaintext

    def verify(self, plaintext: str) -> ApiKey | None:
        """The record of a live (unrevoked) key `plaintext`, else None; hashes are compared in constant time."""
        if not plaintext.startswith(KEY_PREFIX) or len(plaintext) > MAX_KEY_LENGTH:
            return None
        with self._sessions() as session:
            row = _load(session, plaintext[:PREFIX_LENGTH])
            matches = hmac.compare_digest(key_hash(plaintext), row.key_hash if row else _NO_MATCH)
            if row is None or not matches or row.revoked_at is not None:
                return None
            return _to_key(row)

    def revoke(self, key_prefix: str) -> ApiKey:
        """Refuse the key from now on; revoking again keeps the first revocation time."""
        prefix = key_prefix.strip()[:PREFIX_LENGTH]
        with self._sessions.begin() as session:
            row = _load(session, prefix, for_update=True)
            if row is None:
                raise NotFoundError(f"未找到前缀为 {prefix} 的 API 密钥")
            if row.revoked_at is None:
                row.revoked_at = self._clock()
            return _to_key(row)

    def list_all(self) -> list[ApiKey]:
        """Every key, revoked ones included, oldest first."""
        with self._sessions() as session:
            return [_to_key(row) for row in session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.id)).all()]


def _role(role: str) -> Role:
    if role not in ROLES:
        raise InvalidInputError("角色应为 staff（工作人员）或 admin（管理员）", field="role")
    return role


def _unused_key(session: Session) -> str:
    """A fresh key whose prefix no other key has (prefixes carry ~30 random bits: a clash is rare, not impossible)."""
    for _ in range(_PREFIX_ATTEMPTS):
        plaintext = KEY_PREFIX + secrets.token_urlsafe(32)
        if _load(session, plaintext[:PREFIX_LENGTH]) is None:
            return plaintext
    raise RuntimeError("could not draw an unused API key prefix")  # 10 clashes in a row: a broken random source


def _load(session: Session, prefix: str, *, for_update: bool = False) -> ApiKeyRow | None:
    query = select(ApiKeyRow).where(ApiKeyRow.key_prefix == prefix)
    return session.scalars(query.with_for_update() if for_update else query).one_or_none()


def _to_key(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        key_prefix=row.key_prefix,
        name=row.name,
        role=_role(row.role),
        created_at=as_utc(row.created_at),
        revoked_at=None if row.revoked_at is None else as_utc(row.revoked_at),
    )
