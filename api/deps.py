"""FastAPI dependencies: the only place the `Annotated[..., Depends(...)]` aliases live.

- `SiteDep` -> `Site`: the widget's site (header X-Site-Key), enabled, called from an allowed Origin when one is sent.
- `EnterpriseDep` -> `EnterpriseIdentity | None`: the enterprise of `Authorization: Bearer <token>`, None when absent.
- `EnterpriseRequiredDep` -> `EnterpriseIdentity`: the same, but a missing token is a 401 (tracking a matter).
- `StaffDep` / `AdminDep` -> `ApiKey`: a live API key (header X-API-Key) of that role; admin keys satisfy StaffDep.

Unknown or bad credentials answer 401, a known caller without the right answers 403 — both in Chinese.

`RowId` is the path parameter naming a stored record by number: out of the database's range it is a 422, never a
database error (a 500).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Path, Request

from api.errors import AccessError
from api.identity import IdentityStores, verify_token
from tools.agent_tools import EnterpriseIdentity
from tools.store.api_keys import ApiKey
from tools.store.sites import Site

MAX_HEADER_VALUE = 4096
MAX_ROW_ID = 2**31 - 1  # PostgreSQL INTEGER, the type of every numbered record's id


def _stores(request: Request) -> IdentityStores:
    stores: IdentityStores = request.app.state.identity
    return stores


def current_site(
    request: Request,
    site_key: Annotated[str | None, Header(alias="X-Site-Key", description="站点标识（嵌入对话组件的网站）")] = None,
    origin: Annotated[str | None, Header(alias="Origin", description="网页来源，须为站点允许的来源")] = None,
) -> Site:
    if not site_key or not site_key.strip():
        raise AccessError(401, "site_key_required", "缺少站点标识（请求头 X-Site-Key）", field="X-Site-Key")
    site = _stores(request).sites.get_by_key(site_key.strip()[:MAX_HEADER_VALUE])
    if site is None or site.disabled:
        raise AccessError(401, "unknown_site", "站点标识无效或站点已停用", field="X-Site-Key")
    if origin is not None and not site.allows_origin(origin):
        raise AccessError(403, "origin_not_allowed", "该网页来源未获准嵌入本站点的对话组件", field="Origin")
    return site


SiteDep = Annotated[Site, Depends(current_site)]


def current_enterprise(
    site: SiteDep,
    authorization: Annotated[
        str | None, Header(alias="Authorization", description="Bearer <门户签发的企业身份令牌>；未登录时不传")
    ] = None,
) -> EnterpriseIdentity | None:
    """The token is checked against the request's own site: a token of another site is refused."""
    if authorization is None:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AccessError(401, "invalid_token", "身份令牌格式应为：Authorization: Bearer <令牌>", field="Authorization")
    return verify_token(token.strip(), site)


EnterpriseDep = Annotated[EnterpriseIdentity | None, Depends(current_enterprise)]


def required_enterprise(enterprise: EnterpriseDep) -> EnterpriseIdentity:
    if enterprise is None:
        raise AccessError(401, "login_required", "请先在门户登录企业账号", field="Authorization")
    return enterprise


EnterpriseRequiredDep = Annotated[EnterpriseIdentity, Depends(required_enterprise)]


def current_staff(
    request: Request,
    api_key: Annotated[str | None, Header(alias="X-API-Key", description="工作人员或管理员的 API 密钥")] = None,
) -> ApiKey:
    if not api_key or not api_key.strip():
        raise AccessError(401, "api_key_required", "缺少 API 密钥（请求头 X-API-Key）", field="X-API-Key")
    record = _stores(request).api_keys.verify(api_key.strip())
    if record is None:
        raise AccessError(401, "invalid_api_key", "API 密钥无效或已吊销", field="X-API-Key")
    return record


StaffDep = Annotated[ApiKey, Depends(current_staff)]


def current_admin(key: StaffDep) -> ApiKey:
    if not key.grants("admin"):
        raise AccessError(403, "admin_required", "该操作需要管理员权限", field="X-API-Key")
    return key


AdminDep = Annotated[ApiKey, Depends(current_admin)]


RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="记录编号")]
