"""Secrets have no working default outside development: production refuses to start without its own key."""

import pytest
from pydantic import SecretStr

from minfu.errors import ConfigurationError
from minfu.settings import DEV_SECRET_KEY, Settings


@pytest.mark.parametrize("environment", ["development", "test"])
def test_development_and_test_fall_back_to_the_public_dev_key(environment: str) -> None:
    settings = Settings(environment=environment)  # type: ignore[arg-type]
    assert settings.secret_key is None and settings.effective_secret_key == DEV_SECRET_KEY


@pytest.mark.parametrize(
    ("secret", "words"),
    [(None, "MINFU_SECRET_KEY"), ("", "MINFU_SECRET_KEY"), (DEV_SECRET_KEY, "默认值"), ("short-key", "32 个字符")],
)
def test_production_refuses_a_missing_default_or_short_key(secret: str | None, words: str) -> None:
    with pytest.raises(ConfigurationError, match=words):
        Settings(environment="production", secret_key=None if secret is None else SecretStr(secret))


def test_production_runs_with_its_own_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINFU_ENVIRONMENT", "production")
    monkeypatch.setenv("MINFU_SECRET_KEY", "a-long-random-production-secret-0123456789")
    settings = Settings()
    assert settings.effective_secret_key == "a-long-random-production-secret-0123456789"
    assert "0123456789" not in repr(settings)


def test_production_from_the_environment_without_a_key_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINFU_ENVIRONMENT", "production")
    monkeypatch.delenv("MINFU_SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="生产环境"):
        Settings()
