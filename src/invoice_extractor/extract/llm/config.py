"""What an LLM backend needs to know, read once from ``Settings``.

``LlmConfig`` is a frozen value the backends, the limiter and the tests share; the API key is kept
out of its ``repr``. ``from_settings`` maps the settings onto it: settings the project has not
declared yet fall back to the defaults here (see ``DEFAULTS``), so the backends run before and
after they are added.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from ...errors import ConfigurationError

DEFAULTS: dict[str, Any] = {
    "gemini_model": "gemini-3.8-flash",
    "gemini_base_url": None,
    "openai_api_key": None,
    "openai_base_url": None,
    "openai_model": "gpt-4.1-mini",
    "openai_images": True,
    "llm_requests_per_minute": 60,
    "llm_tokens_per_minute": 0,
    "llm_timeout_seconds": 300.0,
    "llm_max_attempts": 5,
    "redis_url": None,
    "render_dpi": 150,
}


@dataclass(frozen=True)
class LlmConfig:
    """One provider's connection, limits and retry policy."""

    provider: str  # "gemini" | "openai": the backend's name, shown in results and errors
    model: str
    api_key: str | None = field(default=None, repr=False)
    base_url: str | None = None  # None: the SDK's default endpoint
    timeout: float = 300.0  # seconds per request
    max_attempts: int = 5  # including the first
    backoff_base: float = 1.0  # first retry waits about this long, doubling each time
    backoff_max: float = 60.0
    requests_per_minute: int = 60  # 0: unlimited
    tokens_per_minute: int = 0  # 0: unlimited
    redis_url: str | None = None  # share the limits across processes
    send_images: bool = True
    image_dpi: int = 150

    @property
    def limit_key(self) -> str:
        """Names the quota these limits guard: a hash of the endpoint, model and key (a key or a
        password in a URL must not show in a Redis key name)."""
        quota = "\n".join((self.base_url or "", self.model, self.api_key or ""))
        return f"{self.provider}:{hashlib.sha256(quota.encode()).hexdigest()[:16]}"

    @classmethod
    def gemini(cls, settings: object) -> LlmConfig:
        """The ``gemini`` backend's configuration; no ``GEMINI_API_KEY`` is a ConfigurationError."""
        key = _get(settings, "gemini_api_key")
        if not key:
            raise ConfigurationError(
                "the gemini backend needs GEMINI_API_KEY (and optionally GEMINI_MODEL, "
                "GEMINI_BASE_URL)"
            )
        return cls(
            provider="gemini",
            model=_get(settings, "gemini_model"),
            api_key=str(key),
            base_url=_get(settings, "gemini_base_url"),
            **_common(settings),
        )

    @classmethod
    def openai(cls, settings: object) -> LlmConfig:
        """The ``openai`` backend's configuration: an API key, or a base URL of a local server
        that needs none."""
        key, base_url = _get(settings, "openai_api_key"), _get(settings, "openai_base_url")
        if not key and not base_url:
            raise ConfigurationError(
                "the openai backend needs OPENAI_API_KEY, or OPENAI_BASE_URL of an "
                "OpenAI-compatible server (and OPENAI_MODEL)"
            )
        return cls(
            provider="openai",
            model=_get(settings, "openai_model"),
            api_key=str(key) if key else None,
            base_url=base_url,
            send_images=bool(_get(settings, "openai_images")),
            **_common(settings),
        )


def _common(settings: object) -> dict[str, Any]:
    return {
        "timeout": float(_get(settings, "llm_timeout_seconds")),
        "max_attempts": int(_get(settings, "llm_max_attempts")),
        "requests_per_minute": int(_get(settings, "llm_requests_per_minute")),
        "tokens_per_minute": int(_get(settings, "llm_tokens_per_minute")),
        "redis_url": _get(settings, "redis_url"),
        "image_dpi": int(_get(settings, "render_dpi")),
    }


def _get(settings: object, name: str) -> Any:
    value = getattr(settings, name, DEFAULTS.get(name))
    # A pydantic SecretStr (if the key settings become one) is read here and nowhere else.
    reveal = getattr(value, "get_secret_value", None)
    return reveal() if callable(reveal) else value
