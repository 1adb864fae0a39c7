"""The ``openai`` backend: any OpenAI-compatible server through the official ``openai`` SDK.

Chat completions with a strict JSON-schema response format and temperature 0; pages as text
parts and (``OPENAI_IMAGES``, on by default) PNG images as data URLs, all pages of one invoice in
one request. ``OPENAI_BASE_URL`` selects the server (OpenAI's own by default): vLLM, Ollama,
LM Studio, a gateway; a local server that needs no key gets a placeholder one. The SDK's own
retries are off: ``retry.py`` retries, through the shared limiter.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from ...errors import ExtractionError
from .backend import Answer, LlmExtractor, missing_sdk
from .config import LlmConfig
from .prompt import Prompt
from .retry import ProviderError, status_error
from .schema import response_schema

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletionContentPartParam, ChatCompletionMessageParam

_NO_KEY = "no-key-needed"  # the SDK insists on a key; local servers ignore it


class OpenAIExtractor(LlmExtractor):
    name = "openai"

    @classmethod
    def config_from(cls, settings: object) -> LlmConfig:
        return LlmConfig.openai(settings)

    def _connect(self, config: LlmConfig) -> Any:
        try:
            import openai
        except ImportError:
            raise missing_sdk("openai", "openai") from None
        return openai.OpenAI(
            api_key=config.api_key or _NO_KEY,
            base_url=config.base_url,
            timeout=config.timeout,
            max_retries=0,
        )

    def _send(self, client: Any, config: LlmConfig, prompt: Prompt) -> Answer:
        import openai

        try:
            response = client.chat.completions.create(
                model=config.model,
                messages=_messages(prompt),
                response_format={
                    "type": "json_schema",
                    "json_schema": {"name": "invoice", "schema": response_schema(), "strict": True},
                },
                temperature=0,
            )
        except openai.APIStatusError as exc:
            raise status_error(exc.status_code, _message(exc), dict(exc.response.headers)) from None
        except openai.APITimeoutError:
            raise ProviderError(
                f"no answer within the timeout of {config.timeout:g} s", retryable=True
            ) from None
        except openai.APIConnectionError as exc:
            raise ProviderError(f"connection failed: {exc}", retryable=True) from None
        if not response.choices:
            raise ExtractionError("openai: the answer has no choices")
        choice = response.choices[0]
        if choice.message.refusal:
            raise ExtractionError(f"openai: the model refused: {choice.message.refusal}")
        finish = choice.finish_reason or ""
        return Answer(
            text=choice.message.content,
            tokens=response.usage.total_tokens if response.usage is not None else None,
            note=f"finish reason {finish}" if finish not in ("", "stop") else "",
        )


def _messages(prompt: Prompt) -> list[ChatCompletionMessageParam]:
    content: list[ChatCompletionContentPartParam] = []
    for page in prompt.pages:
        content.append({"type": "text", "text": prompt.page_text(page)})
        if page.image is not None:
            url = "data:image/png;base64," + base64.b64encode(page.image).decode("ascii")
            content.append({"type": "image_url", "image_url": {"url": url, "detail": "high"}})
    return [
        {"role": "system", "content": prompt.instruction},
        {"role": "user", "content": content},
    ]


def _message(exc: Any) -> str:
    """The provider's own words: ``error.message`` of the body, else the SDK's summary."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return str(getattr(exc, "message", exc))
