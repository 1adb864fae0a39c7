"""The LLM backends through their real SDKs (google-genai, openai) against fake servers on
127.0.0.1 that speak Gemini's ``generateContent`` and OpenAI's ``chat/completions``: good answers,
429 storms, 500s, timeouts, malformed and schema-violating JSON, values not on the page, keys kept
out of logs and errors; their configuration; the schema derived from the model."""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from invoice_extractor import pipeline
from invoice_extractor.errors import ConfigurationError
from invoice_extractor.extract import registry
from invoice_extractor.extract.llm import GeminiExtractor, LlmConfig, LlmExtractor, OpenAIExtractor
from invoice_extractor.extract.llm.grounding import NOT_FOUND
from invoice_extractor.extract.llm.schema import BOOKKEEPING, response_schema
from invoice_extractor.ingest.document import Document
from invoice_extractor.model import Invoice, Status
from invoice_extractor.settings import Settings
from llm_fakes import KEYS, FakeLlmServer, Reply, answer, backend_for

# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(params=["gemini", "openai"])
def provider(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def server() -> Iterator[FakeLlmServer]:
    with FakeLlmServer(answer()) as fake:
        yield fake


MakeBackend = Callable[..., LlmExtractor]


@pytest.fixture
def make_backend(pdf: bytes, server: FakeLlmServer) -> MakeBackend:
    """A backend of a provider talking to ``server`` (see ``llm_fakes.backend_for``)."""
    return functools.partial(backend_for, server=server, pdf=pdf)


@pytest.fixture
def no_llm_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No LLM key in the environment nor in a ``.env`` file."""
    for name in ("GEMINI_API_KEY", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


# --- the response schema ----------------------------------------------------------------------


def test_the_response_schema_is_the_invoice_model_less_its_bookkeeping() -> None:
    schema = response_schema()
    assert set(schema["properties"]) == set(Invoice.model_fields) - BOOKKEEPING

    def objects(node: Any) -> Iterator[dict[str, Any]]:
        if isinstance(node, dict):
            if node.get("type") == "object":
                yield node
            for value in node.values():
                yield from objects(value)
        elif isinstance(node, list):
            for value in node:
                yield from objects(value)

    # OpenAI's strict mode: every property required, no other allowed, no $ref left.
    for node in objects(schema):
        assert node["required"] == list(node["properties"]) and not node["additionalProperties"]
    assert "$ref" not in json.dumps(schema)
    total = schema["properties"]["total"]["anyOf"][0]
    assert total["type"] == "string" and "decimal" in total["description"]
    assert schema["properties"]["issue_date"]["anyOf"][0]["format"] == "date"
    item = schema["properties"]["line_items"]["items"]["properties"]
    assert set(item) == {
        "description",
        "quantity",
        "unit",
        "unit_price",
        "amount",
        "tax_rate",
        "tax_category",
        "allowances",
        "charges",
    }


# --- the two backends through their SDKs ------------------------------------------------------


def test_a_good_answer_is_read_and_grounded(
    provider: str, make_backend: MakeBackend, server: FakeLlmServer, document: Document
) -> None:
    invoice = make_backend(provider).extract(document, [1])
    assert invoice.status is Status.OK and invoice.error is None, invoice.error
    assert invoice.extractor == provider
    assert (invoice.invoice_number, str(invoice.issue_date)) == ("INV-2024-0042", "2024-03-05")
    assert (invoice.total, invoice.seller.name) == (Decimal("119.00"), "Acme Trading Ltd")
    assert invoice.line_items[0].quantity == Decimal("2")
    assert invoice.warnings == []
    for path in ("invoice_number", "issue_date", "total", "tax_lines.0.rate", "seller.name"):
        evidence = invoice.evidence[path]
        assert evidence.confidence == 0.9 and evidence.page == 1, path
    assert invoice.evidence["total"].text.startswith("119.00")

    [seen] = server.seen
    text = json.dumps(seen.body)
    assert "INV-2024-0042" in text  # the text layer went along
    if provider == "gemini":
        assert seen.path == "/v1beta/models/test-model:generateContent"
        assert seen.headers["x-goog-api-key"] == KEYS["gemini"]
        config = seen.body["generationConfig"]
        assert config["temperature"] == 0 and config["responseMimeType"] == "application/json"
        assert "total" in config["responseSchema"]["properties"]
        parts = seen.body["contents"][0]["parts"]
        assert any(p.get("inlineData", {}).get("mime_type") == "image/png" for p in parts)
    else:
        assert seen.path == "/v1/chat/completions"
        assert seen.headers["authorization"] == f"Bearer {KEYS['openai']}"
        assert seen.body["temperature"] == 0 and seen.body["model"] == "test-model"
        fmt = seen.body["response_format"]
        assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
        content = seen.body["messages"][1]["content"]
        urls = [p["image_url"]["url"] for p in content if p["type"] == "image_url"]
        assert len(urls) == 1 and urls[0].startswith("data:image/png;base64,")


def test_a_429_storm_is_waited_out_as_retry_after_asks(
    provider: str, make_backend: MakeBackend, server: FakeLlmServer, document: Document
) -> None:
    server.then(*[Reply(429, headers={"Retry-After": "1"})] * 3)
    started = time.monotonic()
    invoice = make_backend(provider).extract(document, [1])
    assert invoice.status is Status.OK, invoice.error
    assert server.count() == 4
    assert time.monotonic() - started >= 3.0  # three waits of at least the second asked for


def test_gemini_waits_as_long_as_the_retry_info_of_its_error_body_asks(
    make_backend: MakeBackend, server: FakeLlmServer, document: Document
) -> None:
    retry_info = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1s"}
    body = {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "details": [retry_info]}}
    server.then(Reply(429, body=body))
    started = time.monotonic()
    invoice = make_backend("gemini").extract(document, [1])
    assert invoice.status is Status.OK and server.count() == 2
    assert time.monotonic() - started >= 1.0


def test_server_errors_are_retried_with_backoff(
    provider: str, make_backend: MakeBackend, server: FakeLlmServer, document: Document
) -> None:
    server.then(Reply(500), Reply(503))
    invoice = make_backend(provider).extract(document, [1])
    assert invoice.status is Status.OK, invoice.error
    assert server.count() == 3


def test_a_timeout_fails_the_invoice_after_the_last_attempt_naming_the_reason(
    provider: str, make_backend: MakeBackend, server: FakeLlmServer, document: Document
) -> None:
    server.then(Reply(delay=5), Reply(delay=5))
    invoice = make_backend(provider, timeout=0.5, max_attempts=2).extract(document, [1])
    assert invoice.status is Status.FAILED and invoice.extractor == provider
    assert invoice.error == (
        f"{provider}: no answer within the timeout of 0.5 s (gave up after 2 attempts)"
    )
    assert invoice.pages == [1]
    assert server.count() == 2


def test_errors_no_retry_can_mend_fail_at_once(
    provider: str, make_backend: MakeBackend, server: FakeLlmServer, document: Document
) -> None:
    server.then(Reply(400, body={"error": {"code": 400, "message": "model not supported"}}))
    invoice = make_backend(provider).extract(document, [1])
    assert invoice.status is Status.FAILED
    assert invoice.error is not None and "HTTP 400" in invoice.error
    assert "model not supported" in invoice.error
    assert server.count() == 1


def test_malformed_json_fails_the_invoice(
    provider: str, make_backend: MakeBackend, server: FakeLlmServer, document: Document
) -> None:
    server.then(Reply(text='{"invoice_number": "INV-2024-0042", "total": '))
    invoice = make_backend(provider).extract(document, [1])
    assert invoice.status is Status.FAILED
    assert invoice.error is not None and invoice.error.startswith(
        f"{provider}: the answer is malformed JSON"
    )


@pytest.mark.parametrize(
    ("bad", "named"),
    [
        ({"total": "one hundred nineteen"}, "total"),
        ({"issue_date": "05/03/2024"}, "issue_date"),
        ({"seller": {"name": "Acme", "rating": 5}}, "seller.rating"),
        ({"status": "ok"}, "unexpected field(s) status"),
    ],
)
def test_json_that_violates_the_schema_fails_the_invoice(
    bad: dict[str, Any],
    named: str,
    make_backend: MakeBackend,
    server: FakeLlmServer,
    document: Document,
) -> None:
    data = answer()
    for key, value in bad.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) else value
    server.then(Reply(text=json.dumps(data)))
    invoice = make_backend("gemini").extract(document, [1])
    assert invoice.status is Status.FAILED
    assert invoice.error is not None and "the answer violates the schema" in invoice.error
    assert named in invoice.error


def test_a_value_not_on_the_page_is_flagged_with_low_confidence(
    provider: str, make_backend: MakeBackend, server: FakeLlmServer, document: Document
) -> None:
    server.answer = answer(invoice_number="INV-9", due_date="2024-04-04")
    invoice = make_backend(provider).extract(document, [1])
    assert invoice.status is Status.OK
    assert invoice.warnings == [
        "not found on page: invoice_number 'INV-9'",
        "not found on page: due_date '2024-04-04'",
    ]
    assert invoice.evidence["invoice_number"].confidence == NOT_FOUND
    assert invoice.evidence["invoice_number"].text == ""
    assert invoice.evidence["total"].confidence == 0.9  # the rest is confirmed


def test_keys_never_reach_logs_errors_or_exports(
    provider: str,
    make_backend: MakeBackend,
    server: FakeLlmServer,
    document: Document,
    caplog: pytest.LogCaptureFixture,
) -> None:
    key = KEYS[provider]
    echo = {"error": {"code": 401, "message": f"API key {key} not valid", "status": "DENIED"}}
    server.then(Reply(503, body=echo), Reply(401, body=echo))
    caplog.set_level(logging.DEBUG)
    invoice = make_backend(provider).extract(document, [1])
    try:
        raise RuntimeError(f"boom with {key}")
    except RuntimeError:
        logging.getLogger("elsewhere").exception("a third party logs the key %s", key)
    assert invoice.status is Status.FAILED
    assert invoice.error is not None and "API key *** not valid" in invoice.error
    assert key not in json.dumps(invoice.to_json_dict())
    assert "retrying" in caplog.text  # the retry after the 503 was logged, masked
    assert key not in caplog.text
    assert key not in repr(make_backend(provider).config)


# --- configuration and the pipeline -----------------------------------------------------------


def test_backends_register_without_keys_and_decline_when_used(
    no_llm_env: None, document: Document
) -> None:
    registry.reset()
    assert {"gemini", "openai", "auto"} <= set(registry.names())
    for backend, setting in ((GeminiExtractor(), "GEMINI_API_KEY"), (OpenAIExtractor(), "OPENAI")):
        assert backend.score(document) is None and not backend.configured()
        with pytest.raises(ConfigurationError, match=setting):
            backend.extract(document, [1])


def test_the_pipeline_runs_the_checks_on_an_llm_answer(
    make_backend: MakeBackend, server: FakeLlmServer, document: Document
) -> None:
    server.answer = answer(total="121.00")
    backend = make_backend("openai")
    registry.names()
    registry.register("openai", lambda: backend)
    try:
        [invoice] = pipeline.extract_document(document, settings=Settings(), extractor="openai")
    finally:
        registry.reset()
    assert invoice.status is Status.NEEDS_REVIEW
    assert "not found on page: total '121.00'" in invoice.warnings
    assert any(w.startswith("BR-CO-16") for w in invoice.warnings)  # 121.00 - 0 != 119.00


def test_the_configuration_comes_from_the_settings() -> None:
    key = "AIzaTEST-from-settings-0123"
    config = LlmConfig.gemini(Settings(gemini_api_key=key))
    assert (config.model, config.timeout, config.requests_per_minute) == (
        "gemini-3.8-flash",
        300,
        60,
    )
    assert key not in repr(config) and key not in config.limit_key
    later = SimpleNamespace(  # the settings proposed for the project, once they exist
        openai_base_url="http://127.0.0.1:1234/v1",
        openai_model="local-model",
        openai_images=False,
        llm_requests_per_minute=30,
        redis_url="redis://127.0.0.1:6379/0",
    )
    config = LlmConfig.openai(later)
    assert (config.api_key, config.model, config.send_images) == (None, "local-model", False)
    assert (config.requests_per_minute, config.redis_url) == (30, "redis://127.0.0.1:6379/0")
