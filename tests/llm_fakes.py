"""Fake LLM servers on 127.0.0.1 for the LLM backend tests and the rate-limit benchmark.

``FakeLlmServer`` speaks the two REST APIs the real SDKs call: Gemini's
``POST /v1beta/models/{model}:generateContent`` and OpenAI's ``POST /v1/chat/completions``. Each
request is recorded (path, headers, JSON body, arrival time) and answered by the next scripted
``Reply`` if any, else by the default answer (``answer``: a dict sent as the model's JSON text).
Optionally every answer waits ``latency`` seconds, and a sliding-window limit of
``limit_per_minute`` requests answers 429 with ``Retry-After`` above it, as a provider does.
Only loopback traffic; a handler that sleeps (a timeout test) wakes when the server closes.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from invoice_extractor.extract.llm import LlmExtractor
    from invoice_extractor.ingest.document import Document

GEMINI_PATH = re.compile(r"^/v1beta/models/(?P<model>[^/:]+):generateContent$")
OPENAI_PATH = "/v1/chat/completions"


@dataclass
class Reply:
    """One scripted answer: an HTTP status with a body, or (``text``) the model's answer text."""

    status: int = 200
    text: str | None = None  # the model's answer (status 200); None: the server's default answer
    body: dict[str, Any] | None = None  # an error body (status != 200); None: a provider-like one
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (past the client's timeout: a timeout)


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float


class FakeLlmServer:
    """A threaded HTTP server on a free loopback port; use as a context manager."""

    def __init__(
        self,
        answer: dict[str, Any] | None = None,
        *,
        latency: float = 0.0,
        limit_per_minute: int | None = None,
        window: float = 60.0,
    ) -> None:
        self.answer: dict[str, Any] = answer or {}
        self.latency = latency
        self.limit_per_minute = limit_per_minute
        self.window = window
        self.script: deque[Reply] = deque()
        self.seen: list[Seen] = []
        self.rejected = 0  # 429s sent by the rate limit (not the scripted ones)
        self._accepted: deque[float] = deque()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeLlmServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def then(self, *replies: Reply) -> FakeLlmServer:
        """Queue scripted replies, answered in order before the default answer."""
        self.script.extend(replies)
        return self

    def count(self, prefix: str = "/") -> int:
        return sum(1 for s in self.seen if s.path.startswith(prefix))

    # --- called by the handler threads ----------------------------------------------------------

    def _next(self, seen: Seen) -> Reply:
        with self._lock:
            self.seen.append(seen)
            if self.script:
                return self.script.popleft()
            if self.limit_per_minute is not None:
                while self._accepted and self._accepted[0] <= seen.at - self.window:
                    self._accepted.popleft()
                if len(self._accepted) >= self.limit_per_minute:
                    self.rejected += 1
                    wait = self._accepted[0] + self.window - seen.at
                    return Reply(429, headers={"Retry-After": str(max(1, round(wait + 0.5)))})
                self._accepted.append(seen.at)
            return Reply()

    def _wait(self, seconds: float) -> bool:
        """Sleep; False when the server closes meanwhile."""
        return not self._closing.wait(seconds) if seconds > 0 else True


def _handler_for(server: FakeLlmServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                body = {}
            path = self.path.split("?", 1)[0]
            seen = Seen(path, {k.lower(): v for k, v in self.headers.items()}, body, time.time())
            gemini = GEMINI_PATH.match(path)
            if gemini is None and path != OPENAI_PATH:
                self._send(404, {"error": {"code": 404, "message": f"no route {path}"}}, {})
                return
            reply = server._next(seen)
            if not server._wait(reply.delay + server.latency):
                return
            if reply.status != 200:
                error = reply.body or _error_body(reply.status, gemini is not None)
                self._send(reply.status, error, reply.headers)
                return
            text = reply.text if reply.text is not None else json.dumps(server.answer)
            if gemini is not None:
                payload = _gemini_answer(text, gemini["model"])
            else:
                payload = _openai_answer(text, str(body.get("model", "")))
            self._send(200, payload, reply.headers)

        def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str]) -> None:
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout)
                pass

    return Handler


_REASONS = {429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE", 401: "UNAUTHENTICATED"}


def _error_body(status: int, gemini: bool) -> dict[str, Any]:
    message = {429: "Resource has been exhausted (e.g. check quota).", 500: "Internal error."}.get(
        status, f"error {status}"
    )
    if gemini:
        reason = _REASONS.get(status, "UNKNOWN")
        return {"error": {"code": status, "message": message, "status": reason}}
    return {"error": {"message": message, "type": "server_error", "code": str(status)}}


def _gemini_answer(text: str, model: str) -> dict[str, Any]:
    return {
        "candidates": [
            {
                "content": {"role": "model", "parts": [{"text": text}]},
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": {
            "promptTokenCount": 1000,
            "candidatesTokenCount": len(text) // 4,
            "totalTokenCount": 1000 + len(text) // 4,
        },
        "modelVersion": model,
    }


def _openai_answer(text: str, model: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": 1000,
            "completion_tokens": len(text) // 4,
            "total_tokens": 1000 + len(text) // 4,
        },
    }


# --- answers and backends of the tests ----------------------------------------------------------

KEYS = {"gemini": "AIzaTEST-gemini-secret-0123456789", "openai": "sk-TEST-openai-secret-0123456789"}
PATHS = {"gemini": "", "openai": "/v1"}  # what the SDK's base URL holds before the API path

# What conftest's invoice_pdf fixture prints, as a model answers it.
GOOD: dict[str, Any] = {
    "invoice_number": "INV-2024-0042",
    "issue_date": "2024-03-05",
    "currency": "EUR",
    "seller": {"name": "Acme Trading Ltd"},
    "subtotal": "100.00",
    "tax_total": "19.00",
    "total": "119.00",
    "amount_due": "119.00",
    "tax_lines": [{"rate": "19", "base": "100.00", "amount": "19.00", "category": "S"}],
    "line_items": [
        {"description": "Consulting", "quantity": "2", "unit_price": "50.00", "amount": "100.00"}
    ],
}


def answer(**changes: Any) -> dict[str, Any]:
    """``GOOD`` with ``changes`` as a complete answer in the strict schema (every property
    present, null when not printed)."""
    from invoice_extractor.extract.llm.schema import response_schema

    def empty(schema: dict[str, Any]) -> Any:
        kind = schema.get("type")
        if kind == "object":
            return {name: empty(prop) for name, prop in schema["properties"].items()}
        if kind == "array":
            return []
        return None if "anyOf" in schema else schema.get("enum", [None])[0]

    def fill(schema: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = empty(schema)
        for name, value in values.items():
            prop = schema["properties"][name]
            if isinstance(value, dict):
                out[name] = fill(prop, value)
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                out[name] = [fill(prop["items"], item) for item in value]
            else:
                out[name] = value
        return out

    return fill(response_schema(), {**GOOD, **changes})


def backend_for(provider: str, server: FakeLlmServer, pdf: bytes, **changes: Any) -> LlmExtractor:
    """The ``provider`` backend (real SDK) talking to ``server``, with the PDF's pages as images,
    short timeouts and backoffs and no rate limit unless ``changes`` say otherwise."""
    from invoice_extractor.extract.llm import GeminiExtractor, LlmConfig, OpenAIExtractor
    from invoice_extractor.ingest.pdf import render_page

    def images(document: Document, pages: list[int], dpi: int) -> list[bytes]:
        return [render_page(pdf, document.name, n, dpi) for n in pages]

    settings: dict[str, Any] = {
        "timeout": 5.0,
        "max_attempts": 4,
        "backoff_base": 0.05,
        "backoff_max": 0.2,
        "requests_per_minute": 0,
        "image_dpi": 40,
        **changes,
    }
    config = LlmConfig(
        provider=provider,
        model="test-model",
        api_key=KEYS[provider],
        base_url=server.url + PATHS[provider],
        **settings,
    )
    backend = GeminiExtractor if provider == "gemini" else OpenAIExtractor
    return backend(config, images=images, rng=random.Random(7))
