"""ONNX Runtime sessions of rapidocr's models: built with a memory arena and the models rewritten
(``onnx_fuse``), and the arena given back to the system while the models are not used."""

from __future__ import annotations

import importlib
import logging
from typing import Any

import numpy as np

from . import heap, onnx_fuse

log = logging.getLogger(__name__)

SHRINK_SIDE = 32
"""The side of the blank input a session runs to shrink its arena (the detector takes multiples
of 32)."""


def with_arena(model: Any) -> None:
    """A model's session (rapidocr's wrapper) rebuilt with ONNX Runtime's memory arena, which
    rapidocr turns off: the detector's strips and the recogniser's lines then reuse one block
    instead of fragmenting the heap (6 receipts: peak RSS 382 -> 352 MB, the same text). The
    model is first rewritten with its scale, shift and hard-swish operations folded into its
    convolutions (``onnx_fuse``: the recogniser 1.5 times as fast, the same text).

    Without memory patterns (``MEMORY_PATTERNS``), blocks planned per input shape: each line has
    its own, and the arena kept blocks of many sizes (8 receipts and 4 pages with ``auto``: peak
    RSS 407 -> 354 MB, the same words, the same CPU time)."""
    onnxruntime: Any = importlib.import_module("onnxruntime")
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    options.log_severity_level = 4  # rapidocr's setting: errors only
    options.enable_mem_pattern = MEMORY_PATTERNS
    with open(model.session._model_path, "rb") as file:
        original = file.read()
    session = onnxruntime.InferenceSession(original, options, providers=["CPUExecutionProvider"])
    if FUSE_MODELS:
        session = _fused(onnxruntime, options, original, session)
    model.session = session


MEMORY_PATTERNS = False
"""Whether ONNX Runtime plans each run's memory as one block per input shape (its default)."""
FUSE_MODELS = True
"""Whether rapidocr's models run rewritten by ``onnx_fuse`` (off: as they ship)."""
FUSE_TOLERANCE = 1e-4
"""The rewritten model is used only when its outputs on a test input stay this close to the
original's (the rewrite reorders floating-point sums; 2e-6 measured)."""


def _fused(onnxruntime: Any, options: Any, original: bytes, session: Any) -> Any:
    """``session``'s model rewritten by ``onnx_fuse``, or ``session`` itself when the rewrite
    fails or changes what the model computes."""
    # Large blocks mapped on their own, so that the rewrite's copies of the model go back to the
    # system; its small blocks (protobuf, arrays) are trimmed from glibc's heap after (45 MB).
    heap.freed_blocks_returned()
    try:
        rewritten = onnx_fuse.fuse(original)[0]
        fused = onnxruntime.InferenceSession(rewritten, options, providers=["CPUExecutionProvider"])
        del rewritten
        probe = np.random.default_rng(0).uniform(-1, 1, (1, 3, 64, 96)).astype(np.float32)
        name = session.get_inputs()[0].name
        expected, got = session.run(None, {name: probe}), fused.run(None, {name: probe})
    except Exception:  # protobuf and onnxruntime raise their own types
        log.warning("rapidocr's model kept as shipped: the rewrite failed", exc_info=True)
        return session
    if len(expected) != len(got) or not all(
        a.shape == b.shape and np.allclose(a, b, rtol=0, atol=FUSE_TOLERANCE)
        for a, b in zip(expected, got, strict=False)
    ):
        log.warning("rapidocr's model kept as shipped: the rewrite changed its output")
        return session
    heap.trim()
    return fused


def shrink(session: Any) -> None:
    """``session``'s memory arena given back to the system: a run on a small blank input with
    ONNX Runtime's arena shrinkage asked for, which frees the arena's regions no tensor uses
    (after a receipt the two models' arenas hold about 75 MB; 4 ms). The models' weights stay
    loaded; the next receipt maps its arenas again (about 30 ms of its CPU, docs/ocr.md)."""
    onnxruntime: Any = importlib.import_module("onnxruntime")
    run = onnxruntime.RunOptions()
    run.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
    blank = np.zeros((1, 3, SHRINK_SIDE, SHRINK_SIDE), dtype=np.float32)
    session.run(None, {session.get_inputs()[0].name: blank}, run)
    heap.trim()
