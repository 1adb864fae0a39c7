"""LLM backends: ``gemini`` (google-genai) and ``openai`` (any OpenAI-compatible server), and the
``auto`` backend that asks one only where the offline engine falls short.

Every request is rate limited (``limiter``), retried (``retry``), answered in a JSON schema derived
from the invoice model (``schema``) and grounded on the page's words (``grounding``); API keys are
masked everywhere (``redact``).
"""

from .auto import AutoExtractor
from .backend import LlmExtractor
from .config import LlmConfig
from .gemini import GeminiExtractor
from .openai_compat import OpenAIExtractor

__all__ = ["AutoExtractor", "GeminiExtractor", "LlmConfig", "LlmExtractor", "OpenAIExtractor"]
