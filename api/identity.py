"""Who is calling: embedding sites, the host portal's enterprise tokens, and the development site.

An enterprise token is a compact JWS (HS256) that the host portal signs with its site's portal secret after its own
login. Claims: `site` (the site key), `uscc` (统一社会信用代码), `name`, optional `contact_name` / `contact_phone`,
`iat` and `exp` (required; at most 12 hours apart). It is verified on every request (api/deps.py); every failure
is a 401 with a Chinese message, never a 500.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

from api.errors import AccessError
from minfu.errors import InvalidInputError
from minfu.settings import Settings
from tools.agent_tools import EnterpriseIdentity
from tools.store import make_engine, session_factory, upgrade
from tools.store.api_keys import ApiKeyStore
from tools.store.common import require_text, utc_now
from tools.store.db import SessionFactory
from tools.store.sites import Site, SiteStore
from tools.store.uscc import normalize_uscc

ALGORITHM = "HS256"
MAX_LIFETIME = timedelta(hours=12)
DEFAULT_LIFETIME = timedelta(hours=2)
CLOCK_SKEW = timedelta(seconds=30)
MAX_TOKEN_LENGTH = 4096
REQUIRED_CLAIMS = ("site", "uscc", "name", "iat", "exp")

DEV_SITE_KEY = "site_dev"
DEV_SITE_NAME = "开发演示站点"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")


@dataclass(frozen=True)
class IdentityStores:
    """What the identity dependencies read, kept on `app.state.identity`."""

    sites: SiteStore
    api_keys: ApiKeyStore


def open_identity(settings: Settings, sessions: SessionFactory | None = None) -> IdentityStores:
    """The identity stores over `sessions` (or a migrated engine of settings.database_url).

    In development the development site is ensured, with a portal secret derived from the secret key.
    """
    if sessions is None:
        engine = make_engine(settings.database_url)
        upgrade(engine)
        sessions = session_factory(engine)
    stores = IdentityStores(sites=SiteStore(sessions), api_keys=ApiKeyStore(sessions))
    if settings.environment == "development":
        ensure_dev_site(stores.sites, settings)
    return stores


def dev_portal_secret(settings: Settings) -> str:
    """The development site's portal secret: derived from the secret key, so a restart keeps old dev tokens valid."""
    key = settings.effective_secret_key.encode("utf-8")
    return hmac.new(key, b"minfu development site portal secret", hashlib.sha256).hexdigest()


def ensure_dev_site(sites: SiteStore, settings: Settings) -> Site:
    return sites.ensure(DEV_SITE_KEY, DEV_SITE_NAME, dev_site_origins(settings), dev_portal_secret(settings))


def dev_site_origins(settings: Settings) -> tuple[str, ...]:
    """Where the demo page is served: the loopback names (and a configured host) at the configured port."""
    extra = settings.host.strip()
    named = extra and extra not in LOOPBACK_HOSTS and extra != "0.0.0.0" and ":" not in extra  # not IPv6 or wildcard
    return tuple(f"http://{host}:{settings.port}" for host in (*LOOPBACK_HOSTS, *([extra] if named else [])))


def issue_token(
    site_key: str,
    secret: str,
    *,
    uscc: str,
    name: str,
    contact_name: str | None = None,
    contact_phone: str | None = None,
    lifetime: timedelta = DEFAULT_LIFETIME,
    now: datetime | None = None,
) -> str:
    """A token as the host portal would sign it (the CLI and the development login); InvalidInputError on bad input."""
    if not timedelta(0) < lifetime <= MAX_LIFETIME:
        raise InvalidInputError("令牌有效期应大于 0 且不超过 12 小时", field="hours")
    issued = now or utc_now()
    claims: dict[str, Any] = {
        "site": site_key,
        "uscc": normalize_uscc(uscc),
        "name": require_text(name, "name", "企业名称", max_len=100),
        "iat": int(issued.timestamp()),
        "exp": int((issued + lifetime).timestamp()),
    }
    contact = {"contact_name": contact_name, "contact_phone": contact_phone}
    claims |= {claim: value.strip() for claim, value in contact.items() if value and value.strip()}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(token: str, site: Site, *, now: datetime | None = None) -> EnterpriseIdentity:
    """The enterprise a token names, when signed by `site`'s portal for `site` and current; else AccessError 401."""
    claims = _signed_claims(token, site.portal_secret)
    if claims["site"] != site.site_key:
        raise _invalid("身份令牌不是为本站点签发的")
    _check_times(claims["iat"], claims["exp"], now or utc_now())
    return _enterprise(claims)


def _signed_claims(token: str, secret: str) -> dict[str, Any]:
    if len(token) > MAX_TOKEN_LENGTH:
        raise _invalid("身份令牌过长")
    options: jwt.types.Options = {"require": list(REQUIRED_CLAIMS), "verify_exp": False, "verify_iat": False}
    try:
        return jwt.decode(token, secret, algorithms=[ALGORITHM], options=options)
    except jwt.MissingRequiredClaimError as error:
        raise _invalid(f"身份令牌缺少必需信息：{error.claim}") from None
    except jwt.PyJWTError:
        raise _invalid("身份令牌无效：签名不正确或格式有误") from None


def _check_times(iat: object, exp: object, now: datetime) -> None:
    """Issued no later than now, still valid, and valid for at most 12 hours (our own check, with our clock)."""
    issued, expires = _timestamp(iat), _timestamp(exp)
    if expires <= issued:
        raise _invalid("身份令牌的过期时间早于签发时间")
    if issued > (now + CLOCK_SKEW).timestamp():
        raise _invalid("身份令牌的签发时间晚于当前时间，请检查门户服务器时钟")
    if expires <= (now - CLOCK_SKEW).timestamp():
        raise AccessError(401, "token_expired", "登录已过期，请在门户重新登录", field="Authorization")
    if expires - issued > MAX_LIFETIME.total_seconds():
        raise _invalid("身份令牌有效期超过 12 小时，门户签发的令牌有效期不得超过 12 小时")


def _timestamp(value: object) -> float:
    """A NumericDate claim (seconds since the epoch) as a float."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _invalid("身份令牌的签发时间或过期时间无效")
    return float(value)


def _enterprise(claims: dict[str, Any]) -> EnterpriseIdentity:
    try:
        uscc = normalize_uscc(_text(claims["uscc"], "uscc"))
    except InvalidInputError as error:
        raise _invalid(f"身份令牌中的统一社会信用代码无效：{error.message}") from None
    return EnterpriseIdentity(
        uscc=uscc,
        name=_text(claims["name"], "name", max_len=100),
        contact_name=_optional_text(claims.get("contact_name"), "contact_name", max_len=50),
        contact_phone=_optional_text(claims.get("contact_phone"), "contact_phone", max_len=20),
    )


def _text(value: object, claim: str, *, max_len: int = 100) -> str:
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > max_len:
        raise _invalid(f"身份令牌中的 {claim} 应为不超过 {max_len} 个字的文本")
    return value.strip()


def _optional_text(value: object, claim: str, *, max_len: int) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _text(value, claim, max_len=max_len)


def _invalid(message: str) -> AccessError:
    return AccessError(401, "invalid_token", message, field="Authorization")
