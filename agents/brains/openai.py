"""The language-model brain: any OpenAI-compatible chat-completions endpoint (vLLM, Ollama, a hosted service).

Local endpoints need no key, but the OpenAI client insists on one, so a placeholder is sent then. The client retries
once (`MAX_RETRIES`): a longer outage is the fallback middleware's business (`agents.brains.fallback`), which answers
with the offline brain instead of making the user wait through more retries.
"""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from minfu.errors import ConfigurationError
from minfu.settings import Settings

MAX_RETRIES = 1
NO_KEY = "not-needed"  # what a keyless local endpoint receives as the bearer token


def build_openai_brain(settings: Settings) -> BaseChatModel:
    """A `ChatOpenAI` for `settings.llm_*`; ConfigurationError (Chinese) when no endpoint is configured."""
    base_url = (settings.llm_base_url or "").strip()
    if not base_url:
        raise ConfigurationError("未设置大模型服务地址 MINFU_LLM_BASE_URL，无法使用大模型大脑")
    return ChatOpenAI(
        base_url=base_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key or SecretStr(NO_KEY),
        timeout=settings.llm_timeout_s,
        max_retries=MAX_RETRIES,
        temperature=settings.llm_temperature,
        use_responses_api=False,  # local servers speak chat completions only
    )
