"""The ``gemini`` backend: Google's official ``google-genai`` SDK, temperature 0, JSON by schema.

All pages of one invoice go in one ``generateContent`` request: per page its text layer and its
image. ``GEMINI_BASE_URL`` points the SDK at a proxy or gateway (its default endpoint otherwise);
the REST version is pinned to ``v1beta`` (``/v1beta/models/{model}:generateContent``), where
response schemas are documented. The SDK's own retries are off: ``retry.py`` retries, through the
shared limiter.
"""

from __future__ import annotations

import functools
import importlib
import re
from typing import Any

from ...errors import ExtractionError
from .backend import Answer, LlmExtractor, missing_sdk
from .config import LlmConfig
from .prompt import Prompt
from .retry import ProviderError, status_error
from .schema import response_schema

API_VERSION = "v1beta"
_DELAY = re.compile(r"^(\d+(?:\.\d+)?)s$")


def gemini_schema() -> dict[str, Any]:
    """The response schema as Gemini takes it: its OpenAPI subset has no ``additionalProperties``
    (a response schema allows no other property anyway)."""

    def strip(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k != "additionalProperties"}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    result: dict[str, Any] = strip(response_schema())
    return result


class GeminiExtractor(LlmExtractor):
    name = "gemini"

    @classmethod
    def config_from(cls, settings: object) -> LlmConfig:
        return LlmConfig.gemini(settings)

    def _connect(self, config: LlmConfig) -> Any:
        try:
            from google import genai
            from google.genai import types
        except ImportError:
            raise missing_sdk("gemini", "google-genai") from None
        options = types.HttpOptions(
            base_url=config.base_url,
            api_version=API_VERSION,
            timeout=int(config.timeout * 1000),  # milliseconds
        )
        return genai.Client(api_key=config.api_key, http_options=options)

    def _send(self, client: Any, config: LlmConfig, prompt: Prompt) -> Answer:
        from google.genai import errors, types

        parts: list[types.Part] = []
        for page in prompt.pages:
            parts.append(types.Part.from_text(text=prompt.page_text(page)))
            if page.image is not None:
                parts.append(types.Part.from_bytes(data=page.image, mime_type="image/png"))
        request_config = types.GenerateContentConfig(
            system_instruction=prompt.instruction,
            temperature=0,
            response_mime_type="application/json",
            response_schema=gemini_schema(),
        )
        timeouts, transport = _transport_errors()
        try:
            response = client.models.generate_content(
                model=config.model,
                contents=[types.Content(role="user", parts=parts)],
                config=request_config,
            )
        except errors.APIError as exc:
            raise _api_error(exc) from None
        except timeouts:
            raise ProviderError(
                f"no answer within the timeout of {config.timeout:g} s", retryable=True
            ) from None
        except transport as exc:
            raise ProviderError(f"connection failed: {exc}", retryable=True) from None
        return _answer(response)


def _answer(response: Any) -> Answer:
    usage = response.usage_metadata
    tokens = usage.total_token_count if usage is not None else None
    candidates = response.candidates or []
    if not candidates:
        feedback = response.prompt_feedback
        reason = feedback.block_reason if feedback is not None else None
        raise ExtractionError(f"gemini: no answer (blocked: {reason or 'no candidates'})")
    finish = candidates[0].finish_reason
    finish_name = str(getattr(finish, "name", finish) or "")
    note = f"finish reason {finish_name}" if finish_name not in ("", "STOP") else ""
    # The text parts themselves: ``response.text`` would also warn about non-text parts.
    content = candidates[0].content
    text = (
        "".join(part.text for part in (content.parts or []) if part.text and not part.thought)
        if content is not None
        else ""
    )
    return Answer(text=text, tokens=tokens, note=note)


def _api_error(exc: Any) -> ProviderError:
    """An HTTP error answer; Gemini also says how long to wait in the body's ``RetryInfo``."""
    headers = dict(exc.response.headers) if getattr(exc, "response", None) is not None else {}
    error = status_error(int(exc.code or 0), f"{exc.status or ''} {exc.message or ''}", headers)
    if error.retry_after is None:
        error.retry_after = _retry_delay(exc.details)
    return error


def _retry_delay(details: Any) -> float | None:
    """``retryDelay`` ("13s") of a ``google.rpc.RetryInfo`` in an error body."""
    try:
        for item in details.get("error", details).get("details", []):
            match = _DELAY.match(str(item.get("retryDelay", "")))
            if match:
                return float(match.group(1))
    except AttributeError:
        return None
    return None


@functools.cache
def _transport_errors() -> tuple[tuple[type[BaseException], ...], tuple[type[BaseException], ...]]:
    """Timeout and connection errors of whichever httpx the SDK runs on."""
    timeouts: list[type[BaseException]] = [TimeoutError]
    transport: list[type[BaseException]] = [ConnectionError]
    for module in ("httpx2", "httpx"):
        try:
            httpx = importlib.import_module(module)
        except ImportError:
            continue
        timeouts.append(httpx.TimeoutException)
        transport.append(httpx.TransportError)
    return tuple(timeouts), tuple(transport)
