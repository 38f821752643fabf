"""Development only: the demo page's 模拟登录 switch gets an enterprise token for the development site here.

The router is mounted only when the environment is "development"; elsewhere the path answers 404.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Body, Request
from pydantic import BaseModel, Field

from api.errors import error_responses
from api.identity import DEV_SITE_KEY, dev_portal_secret, issue_token
from tools.store.common import require_text, utc_now
from tools.store.uscc import normalize_uscc

router = APIRouter(tags=["development"])

DEMO_USCC = "91310112MA1GDEM014"  # a valid code (check character included) of a made-up Minhang enterprise
DEMO_NAME = "上海闵服演示科技有限公司"
DEMO_CONTACT_NAME = "张三"
DEMO_CONTACT_PHONE = "13800138000"
DEV_TOKEN_LIFETIME = timedelta(hours=2)


class DevTokenRequest(BaseModel):
    uscc: str = Field(default=DEMO_USCC, max_length=40, description="统一社会信用代码")
    name: str = Field(default=DEMO_NAME, max_length=100, description="企业名称")
    contact_name: str | None = Field(default=DEMO_CONTACT_NAME, max_length=50)
    contact_phone: str | None = Field(default=DEMO_CONTACT_PHONE, max_length=20)


class DevEnterprise(BaseModel):
    uscc: str
    name: str
    contact_name: str | None
    contact_phone: str | None


class DevTokenResponse(BaseModel):
    token: str
    site: str
    expires_at: datetime
    enterprise: DevEnterprise


@router.post(
    "/dev/token",
    summary="开发环境：模拟门户登录，签发演示企业的身份令牌",
    response_model=DevTokenResponse,
    responses=error_responses(400),  # an invalid 统一社会信用代码 or a blank name
)
def dev_token(request: Request, body: Annotated[DevTokenRequest | None, Body()] = None) -> DevTokenResponse:
    wanted = body or DevTokenRequest()
    enterprise = DevEnterprise(
        uscc=normalize_uscc(wanted.uscc),
        name=require_text(wanted.name, "name", "企业名称", max_len=100),
        contact_name=(wanted.contact_name or "").strip() or None,
        contact_phone=(wanted.contact_phone or "").strip() or None,
    )
    now = utc_now()
    secret = dev_portal_secret(request.app.state.settings)
    token = issue_token(DEV_SITE_KEY, secret, **enterprise.model_dump(), lifetime=DEV_TOKEN_LIFETIME, now=now)
    return DevTokenResponse(token=token, site=DEV_SITE_KEY, expires_at=now + DEV_TOKEN_LIFETIME, enterprise=enterprise)
