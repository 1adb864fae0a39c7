"""What every LLM backend does, whatever its SDK: prompt, limit, retry, parse, ground.

A subclass names itself and says how to build its SDK client (``_connect``) and how to send one
prompt (``_send``: an ``Answer``, or a ``ProviderError`` for a failed attempt). ``read`` raises on
failure (the auto backend falls back on it); ``extract`` turns a failure into a failed invoice
that names the provider's reason, so one bad invoice never stops a batch. The configuration is
read from the settings at the first use, so a backend without its key or SDK still registers and
declines with a ``ConfigurationError`` only when it is used.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass
from typing import Any, ClassVar

from ...errors import ConfigurationError, ExtractionError
from ...ingest.document import Document
from ...model import Invoice
from .config import LlmConfig
from .grounding import ground
from .limiter import Limiter, shared_limiter
from .prompt import PageImages, Prompt, build_prompt, page_images
from .redact import redact, register_secret
from .retry import ProviderError, RetryPolicy, call_with_retries
from .schema import answer_to_invoice, parse_answer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    text: str | None  # the model's JSON text
    tokens: int | None = None  # total tokens the provider counted
    note: str = ""  # why an answer may be cut short (a finish reason other than "stop")


class LlmExtractor:
    """Base of the ``gemini`` and ``openai`` backends."""

    name: str = "llm"
    reads_images: ClassVar[bool] = True  # a scan without text layer is fine: the model reads it

    def __init__(
        self,
        config: LlmConfig | None = None,
        *,
        images: PageImages = page_images,
        rng: random.Random | None = None,
    ) -> None:
        self._config = config
        self._images = images
        self._rng = rng or random.Random()
        self._client: Any = None
        self._lock = threading.Lock()
        if config is not None:
            register_secret(config.api_key)

    # --- what a subclass provides ---------------------------------------------------------------

    @classmethod
    def config_from(cls, settings: object) -> LlmConfig:
        raise NotImplementedError

    def _connect(self, config: LlmConfig) -> Any:
        """The SDK client (made once, shared by all threads)."""
        raise NotImplementedError

    def _send(self, client: Any, config: LlmConfig, prompt: Prompt) -> Answer:
        """One request; a failed attempt raises ``ProviderError``."""
        raise NotImplementedError

    # --- the shared flow ------------------------------------------------------------------------

    @property
    def config(self) -> LlmConfig:
        """The configuration, read from the environment at first use if none was given."""
        if self._config is None:
            from ...settings import Settings

            config = self.config_from(Settings.from_env())
            register_secret(config.api_key)
            self._config = config
        return self._config

    def configured(self) -> bool:
        try:
            _ = self.config
        except ConfigurationError:
            return False
        return True

    def score(self, document: Document) -> int | None:
        # Below the embedded engine: sending pages out is chosen, never drifted into.
        return 5 if document.pages and self.configured() else None

    def extract(self, document: Document, pages: list[int]) -> Invoice:
        try:
            return self.read(document, pages)
        except ExtractionError as exc:
            failed = Invoice.failed(document.name, redact(str(exc)), extractor=self.name)
            failed.pages = list(pages)
            return failed

    def read(self, document: Document, pages: list[int]) -> Invoice:
        """The invoice on ``pages``, grounded on them; ``ExtractionError`` when the provider or its
        answer fails, ``ConfigurationError`` when the backend is not set up."""
        config = self.config
        client = self._client_for(config)
        images = self._images(document, pages, config.image_dpi) if config.send_images else []
        prompt = build_prompt(document, pages, images)
        limiter = shared_limiter(
            config.limit_key, config.requests_per_minute, config.tokens_per_minute, config.redis_url
        )
        started = time.monotonic()
        answer = call_with_retries(
            lambda: self._attempt(client, config, prompt, limiter),
            provider=self.name,
            policy=RetryPolicy(config.max_attempts, config.backoff_base, config.backoff_max),
            on_failure=lambda error: _hold_back(limiter, error),
            rng=self._rng,
        )
        log.info(
            "%s: %s pages %s answered in %.1f s (%s tokens)",
            self.name,
            document.name,
            pages,
            time.monotonic() - started,
            answer.tokens,
        )
        try:
            data = parse_answer(answer.text, self.name)
        except ExtractionError as exc:
            if answer.note:
                raise ExtractionError(f"{exc} [{answer.note}]") from None
            raise
        invoice = answer_to_invoice(data, file=document.name, provider=self.name)
        invoice.pages = list(pages)
        return ground(invoice, [document.pages[n - 1] for n in pages])

    def _attempt(self, client: Any, config: LlmConfig, prompt: Prompt, limiter: Limiter) -> Answer:
        estimated = prompt.estimated_tokens
        limiter.acquire(estimated)
        answer = self._send(client, config, prompt)
        if answer.tokens is not None:
            limiter.settle(estimated, answer.tokens)
        return answer

    def _client_for(self, config: LlmConfig) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self._connect(config)
            return self._client


def _hold_back(limiter: Limiter, error: ProviderError) -> None:
    """A 429 that says how long to wait holds every worker of the quota back, not only this one."""
    if error.status == 429 and error.retry_after:
        limiter.pause(error.retry_after)


def missing_sdk(provider: str, package: str) -> ConfigurationError:
    return ConfigurationError(
        f"the {provider} backend needs the {package} package (pip install 'invoice-extractor[llm]')"
    )
