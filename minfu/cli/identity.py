"""`minfu keys …`, `minfu sites …` and `minfu token issue`: API keys, embedding sites and demo enterprise tokens.

Secrets (a new API key, a new site's portal secret, a token) go to stdout once, so they can be piped; notes for the
operator go to stderr.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from minfu.errors import ConfigurationError, InvalidInputError
from minfu.settings import get_settings
from tools.store.common import LOCAL_TZ

if TYPE_CHECKING:
    from api.identity import IdentityStores

PORTAL_SECRET_ENV = "MINFU_PORTAL_SECRET"


def _note(text: str) -> None:
    typer.echo(text, err=True)


def _local(moment: datetime) -> str:
    return f"{moment.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M}"


def _stores() -> IdentityStores:
    """The identity stores on the configured database (migrated to head; the dev site ensured in development)."""
    from api.identity import open_identity

    return open_identity(get_settings())


def run_keys_create(name: str, role: str) -> None:
    record, key = _stores().api_keys.create(name, role)
    typer.echo(key)
    saved = f"已为“{record.name}”创建 {record.role} 密钥（前缀 {record.key_prefix}）。"
    _note(saved + "请立即妥善保存：该密钥不会再次显示。")


def run_keys_list(*, as_json: bool) -> None:
    keys = _stores().api_keys.list_all()
    if as_json:
        rows = [{"key_prefix": k.key_prefix, "name": k.name, "role": k.role, "created_at": k.created_at.isoformat(),
                 "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None} for k in keys]  # fmt: skip
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"API 密钥（{len(keys)} 个）")
    for column in ("前缀", "名称", "角色", "创建时间", "状态"):
        table.add_column(column)
    for k in keys:
        status = f"已吊销 {_local(k.revoked_at)}" if k.revoked_at else "有效"
        table.add_row(k.key_prefix, k.name, k.role, _local(k.created_at), status)
    Console().print(table)


def run_keys_revoke(prefix: str) -> None:
    record = _stores().api_keys.revoke(prefix)
    typer.echo(f"已吊销密钥 {record.key_prefix}（{record.name}），使用它的请求将被拒绝。")


def run_sites_create(name: str, origins: list[str]) -> None:
    site, secret = _stores().sites.create(name, origins)
    typer.echo(f"site_key={site.site_key}")
    typer.echo(f"portal_secret={secret}")
    _note(
        f"已创建站点“{site.name}”，允许的来源：{'、'.join(site.allowed_origins)}。"
        "站点标识（site_key）公开写在嵌入代码中；门户密钥（portal_secret）交给门户用于签发企业身份令牌，"
        "请立即妥善保存：它不会再次显示。"
    )


def run_sites_list(*, as_json: bool) -> None:
    sites = _stores().sites.list_all()
    if as_json:
        rows = [{"site_key": s.site_key, "name": s.name, "allowed_origins": list(s.allowed_origins),
                 "created_at": s.created_at.isoformat(), "disabled": s.disabled} for s in sites]  # fmt: skip
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"嵌入站点（{len(sites)} 个）")
    for column in ("站点标识", "名称", "允许的来源", "创建时间", "状态"):
        table.add_column(column)
    for s in sites:
        status = "已停用" if s.disabled else "启用"
        table.add_row(s.site_key, s.name, "\n".join(s.allowed_origins), _local(s.created_at), status)
    Console().print(table)


def run_sites_disable(site_key: str) -> None:
    site = _stores().sites.disable(site_key)
    typer.echo(f"已停用站点 {site.site_key}（{site.name}），其对话组件请求将被拒绝。")


@dataclass(frozen=True)
class TokenRequest:
    site_key: str
    uscc: str
    name: str
    contact_name: str | None
    contact_phone: str | None
    hours: float


def run_token_issue(wanted: TokenRequest, *, dev: bool) -> None:
    """Signed with MINFU_PORTAL_SECRET when set (any environment), else (--dev, development) with the stored secret."""
    from api.identity import issue_token

    site_key, hours = wanted.site_key, wanted.hours
    secret = _portal_secret(dev=dev, site_key=site_key)
    token = issue_token(
        site_key,
        secret,
        uscc=wanted.uscc,
        name=wanted.name,
        contact_name=wanted.contact_name,
        contact_phone=wanted.contact_phone,
        lifetime=_lifetime(hours),
    )
    typer.echo(token)
    _note(f"已为站点 {site_key} 签发企业身份令牌，{hours:g} 小时内有效（请求头：Authorization: Bearer <令牌>）。")


def _portal_secret(*, dev: bool, site_key: str) -> str:
    from_env = os.environ.get(PORTAL_SECRET_ENV, "")
    if from_env.strip():
        return from_env.strip()
    if not dev:
        raise InvalidInputError(
            f"请通过环境变量 {PORTAL_SECRET_ENV} 提供站点 {site_key} 的门户密钥，或在开发环境加 --dev"
        )
    if get_settings().environment != "development":
        raise ConfigurationError(
            f"演示令牌（--dev）只在开发环境签发；其他环境请通过环境变量 {PORTAL_SECRET_ENV} 提供站点的门户密钥"
        )
    site = _stores().sites.get_by_key(site_key)
    if site is None:
        raise InvalidInputError(f"未找到站点 {site_key}", field="site")
    return site.portal_secret


def _lifetime(hours: float) -> timedelta:
    if not 0 < hours <= 12:
        raise InvalidInputError("令牌有效期应大于 0 且不超过 12 小时", field="hours")
    return timedelta(hours=hours)
