"""Settings from environment variables (prefix MINFU_) or a .env file.

`get_settings()` builds them once per process; tests build `Settings(...)` directly.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from minfu.errors import ConfigurationError

EmbedderSpec = str  # "e5" | "hashing" | "hashing:<dim>" | "st:<local path>" | "minilm"
BrainKind = Literal["offline", "openai"]
# identity: a fixed, public key that only development and test may fall back to (refused in production)
DEV_SECRET_KEY = "minfu-development-secret-key-never-use-in-production"
MIN_SECRET_KEY_LENGTH = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MINFU_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Field(default=Path("var"), description="Chroma index, lexical index, caches, SQLite files")

    # knowledge
    embedder: EmbedderSpec = "e5"
    chroma_url: str | None = Field(default=None, description="http://host:port of a Chroma server; local when unset")
    collection: str = "minfu_chunks"
    chunk_size: int = Field(default=400, ge=80, le=4000, description="target chunk length in characters")
    chunk_overlap_sentences: int = Field(default=0, ge=0, le=3)
    reranker_path: str | None = None
    synonyms_path: Path | None = Field(default=None, description="operators' colloquial-term table (YAML)")
    matter_synonyms_path: Path | None = Field(
        default=None, description="operators' colloquial words -> service matters table (YAML); bundled when unset"
    )
    hnsw_ef_search: int = Field(default=200, ge=10)
    hnsw_ef_construction: int = Field(default=200, ge=10)
    hnsw_m: int = Field(default=32, ge=4)

    # store
    database_url: str = Field(
        default="sqlite:///var/minfu.sqlite",
        description="SQLAlchemy URL of the matters/tickets/appointments store: sqlite:///… or postgresql+psycopg://…",
    )
    publish_schedule: bool = Field(
        default=True, description="at start-up, publish the bundled appointment schedule's slots (next 10 working days)"
    )

    # agents' brain: "offline" needs no language model; "openai" is any OpenAI-compatible endpoint (vLLM, Ollama, …)
    brain: BrainKind = "offline"
    llm_base_url: str | None = Field(default=None, description="e.g. http://127.0.0.1:8001/v1; brain=openai needs it")
    llm_model: str = "qwen2.5-7b-instruct"
    llm_api_key: SecretStr | None = Field(default=None, description="local vLLM/Ollama endpoints need none")
    llm_timeout_s: float = Field(default=30.0, gt=0)
    llm_temperature: float = Field(default=0.1, ge=0, le=2)

    # evaluation judge (`minfu eval run --judge`): an OpenAI-compatible endpoint scoring answers with ragas
    judge_base_url: str | None = Field(default=None, description="e.g. http://127.0.0.1:8002/v1")
    judge_model: str = "qwen2.5-7b-instruct"
    judge_api_key: SecretStr | None = Field(default=None, description="local vLLM/Ollama endpoints need none")
    judge_timeout_s: float = Field(default=60.0, gt=0, description="per request to the judge model")

    # serving
    host: str = "127.0.0.1"
    port: int = 8000

    # limits and records (api/limits.py, api/ratelimit.py, api/logging_setup.py)
    log_format: Literal["json", "text"] = Field(default="json", description="json: one object per line")
    log_level: str = Field(default="INFO", pattern=r"(?i)^(debug|info|warning|error|critical)$")
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, le=16 * 1024 * 1024, description="413 above this")
    request_timeout_s: float = Field(default=30.0, gt=0, le=600, description="until the response starts; 504 after")
    redis_url: str | None = Field(default=None, description="redis://host:port/db shares rate limits across workers")
    rate_limit_per_minute: int = Field(default=60, ge=0, description="per client and minute; 0 turns it off")
    chat_rate_limit_per_minute: int = Field(default=20, ge=0, description="chat turns per client and minute")

    # identity
    secret_key: SecretStr | None = Field(
        default=None, description="signs the development site's demo tokens; required outside development/test"
    )

    @model_validator(mode="after")
    def _openai_brain_has_an_endpoint(self) -> Settings:
        """Fail at start-up, not on the first question, when the LLM brain has nowhere to send requests."""
        if self.brain == "openai" and not (self.llm_base_url or "").strip():
            msg = "已选择大模型大脑（MINFU_BRAIN=openai），但未设置大模型服务地址 MINFU_LLM_BASE_URL（例如 http://127.0.0.1:8001/v1）"
            raise ConfigurationError(msg)
        return self

    @model_validator(mode="after")
    def _secrets_have_no_default_outside_development(self) -> Settings:
        """Production refuses to start without its own secret key (a missing or the public dev key)."""
        if self.environment in ("development", "test"):
            return self
        value = self.secret_key.get_secret_value() if self.secret_key else ""
        if not value.strip() or value == DEV_SECRET_KEY:
            raise ConfigurationError("生产环境必须设置密钥 MINFU_SECRET_KEY（不能使用开发环境的默认值）")
        if len(value) < MIN_SECRET_KEY_LENGTH:
            raise ConfigurationError(f"密钥 MINFU_SECRET_KEY 至少需要 {MIN_SECRET_KEY_LENGTH} 个字符")
        return self

    @property
    def effective_secret_key(self) -> str:
        """The secret key; development and test fall back to the public DEV_SECRET_KEY (production cannot)."""
        return self.secret_key.get_secret_value() if self.secret_key else DEV_SECRET_KEY

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
