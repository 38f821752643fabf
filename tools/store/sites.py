"""Embedding sites (嵌入站点): the portals that embed the chat widget — not the investment sites of tools.investment.

A site has a public key (`site_…`, sent by the widget as X-Site-Key), the web origins it may call from, and a
portal secret: the host portal signs its enterprise tokens with it (HMAC), so the secret is stored in clear and
shown once, when the site is created. Lists never show it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from minfu.errors import InvalidInputError
from tools.store.common import Clock, as_utc, require_text, utc_now
from tools.store.db import SessionFactory
from tools.store.errors import NotFoundError
from tools.store.models import SiteRow

SITE_KEY_PREFIX = "site_"
MAX_SITE_KEY_LENGTH = 64
MIN_SECRET_LENGTH = 32
MAX_ORIGINS = 50
_DEFAULT_PORTS = {"http": 80, "https": 443}
_SITE_KEY = re.compile(rf"{SITE_KEY_PREFIX}[A-Za-z0-9_-]{{1,{MAX_SITE_KEY_LENGTH - len(SITE_KEY_PREFIX)}}}")


@dataclass(frozen=True)
class Site:
    """An embedding site; `portal_secret` verifies its tokens and is kept out of reprs and logs."""

    site_key: str
    name: str
    allowed_origins: tuple[str, ...]
    created_at: datetime
    disabled: bool
    portal_secret: str = field(repr=False)

    def allows_origin(self, origin: str) -> bool:
        """Whether a browser's Origin header is one of the allowed origins (compared in normalized form)."""
        try:
            return normalize_origin(origin) in self.allowed_origins
        except InvalidInputError:
            return False


def normalize_origin(raw: str) -> str:
    """`scheme://host[:port]` in lower case without a default port, or InvalidInputError for anything else."""
    text = raw.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise _bad_origin(text) from None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host or parts.username or parts.password:
        raise _bad_origin(text)
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise _bad_origin(text)
    if ":" in host:
        host = f"[{host}]"  # IPv6 literal
    return f"{scheme}://{host}" if port in (None, _DEFAULT_PORTS[scheme]) else f"{scheme}://{host}:{port}"


def _bad_origin(text: str) -> InvalidInputError:
    message = f"来源应为 http(s)://主机[:端口] 的形式，不含路径：{text[:100]}"
    return InvalidInputError(message, field="allowed_origins")


class SiteStore:
    """Embedding sites for operators (create, list, disable) and for every widget request (get_by_key)."""

    def __init__(self, sessions: SessionFactory, *, clock: Clock = utc_now) -> None:
        self._sessions = sessions
        self._clock = clock

    def create(self, name: str, origins: Sequence[str]) -> tuple[Site, str]:
        """A new site with a random key and portal secret; the secret is returned here for showing once."""
        site_key = SITE_KEY_PREFIX + secrets.token_urlsafe(12)
        portal_secret = secrets.token_urlsafe(32)
        site = self._insert(site_key, _site_name(name), _origins(origins), portal_secret)
        return site, portal_secret

    def ensure(self, site_key: str, name: str, origins: Sequence[str], portal_secret: str) -> Site:
        """The site `site_key` with these name, origins and secret, created or updated (the development site).

        Whether it is disabled is left as an operator set it.
        """
        key, fields = _checked_key(site_key), (_site_name(name), _origins(origins), _secret(portal_secret))
        try:
            return self._update(key, *fields) or self._insert(key, *fields)
        except IntegrityError:  # another worker created it between our read and our insert
            updated = self._update(key, *fields)
            if updated is None:
                raise
            return updated

    def get_by_key(self, site_key: str) -> Site | None:
        with self._sessions() as session:
            row = _load(session, site_key.strip())
            return None if row is None else _to_site(row)

    def list_all(self) -> list[Site]:
        """Every site, oldest first."""
        with self._sessions() as session:
            return [_to_site(row) for row in session.scalars(select(SiteRow).order_by(SiteRow.id)).all()]

    def disable(self, site_key: str) -> Site:
        """Refuse the site's widget requests from now on; disabling again changes nothing."""
        with self._sessions.begin() as session:
            row = _load(session, site_key.strip(), for_update=True)
            if row is None:
                raise NotFoundError(f"未找到站点 {site_key.strip()[:MAX_SITE_KEY_LENGTH]}")
            row.disabled = True
            return _to_site(row)

    def _insert(self, site_key: str, name: str, origins: tuple[str, ...], portal_secret: str) -> Site:
        row = SiteRow(
            site_key=site_key,
            name=name,
            allowed_origins=list(origins),
            portal_secret=portal_secret,
            created_at=self._clock(),
            disabled=False,
        )
        with self._sessions.begin() as session:
            session.add(row)
            session.flush()
            return _to_site(row)

    def _update(self, site_key: str, name: str, origins: tuple[str, ...], portal_secret: str) -> Site | None:
        with self._sessions.begin() as session:
            row = _load(session, site_key, for_update=True)
            if row is None:
                return None
            row.name, row.allowed_origins, row.portal_secret = name, list(origins), portal_secret
            return _to_site(row)


def _site_name(name: str) -> str:
    return require_text(name, "name", "站点名称", max_len=100)


def _origins(origins: Sequence[str]) -> tuple[str, ...]:
    if isinstance(origins, str):
        raise InvalidInputError("允许的来源应为列表", field="allowed_origins")
    normalized = tuple(dict.fromkeys(normalize_origin(origin) for origin in origins))
    if not normalized:
        raise InvalidInputError("至少需要一个允许的来源（嵌入对话组件的网页地址）", field="allowed_origins")
    if len(normalized) > MAX_ORIGINS:
        raise InvalidInputError(f"允许的来源最多 {MAX_ORIGINS} 个", field="allowed_origins")
    return normalized


def _checked_key(site_key: str) -> str:
    key = site_key.strip()
    if not _SITE_KEY.fullmatch(key):
        message = f"站点标识应为 {SITE_KEY_PREFIX} 加字母、数字、下划线或连字符，共不超过 {MAX_SITE_KEY_LENGTH} 个字符"
        raise InvalidInputError(message, field="site_key")
    return key


def _secret(portal_secret: str) -> str:
    if len(portal_secret) < MIN_SECRET_LENGTH or len(portal_secret) > 128:
        raise InvalidInputError(f"门户密钥长度应为 {MIN_SECRET_LENGTH} 到 128 个字符", field="portal_secret")
    return portal_secret


def _load(session: Session, site_key: str, *, for_update: bool = False) -> SiteRow | None:
    query = select(SiteRow).where(SiteRow.site_key == site_key)
    return session.scalars(query.with_for_update() if for_update else query).one_or_none()


def _to_site(row: SiteRow) -> Site:
    return Site(
        site_key=row.site_key,
        name=row.name,
        allowed_origins=tuple(row.allowed_origins),
        created_at=as_utc(row.created_at),
        disabled=row.disabled,
        portal_secret=row.portal_secret,
    )
