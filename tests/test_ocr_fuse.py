"""rapidocr's models rewritten with their scale, shift and hard-swish operations folded into the
convolutions (``onnx_fuse``; docs/ocr.md, "Speed and memory, fourth round"): the same outputs,
fewer operations, and the model as shipped whenever the rewrite fails or computes otherwise."""

from __future__ import annotations

import collections
import importlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from invoice_extractor.ingest.ocr import heap, onnx_fuse, onnx_sessions, rapid

pytestmark = pytest.mark.skipif(
    not rapid.RapidOcrEngine().available(),
    reason="rapidocr-onnxruntime (or the OpenCV libraries it needs) is not installed",
)


def _model(name: str) -> bytes:
    package = importlib.import_module("rapidocr_onnxruntime")
    return (Path(package.__file__).parent / "models" / name).read_bytes()


def _ops(model: bytes) -> collections.Counter[str]:
    proto = onnx_fuse._model_class()()
    proto.ParseFromString(model)
    return collections.Counter(node.op_type for node in proto.graph.node)


def _session(model: bytes) -> Any:
    onnxruntime: Any = importlib.import_module("onnxruntime")
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.log_severity_level = 4
    return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])


@pytest.mark.parametrize(
    ("name", "shape"),
    [
        ("ch_PP-OCRv4_rec_infer.onnx", (2, 3, 48, 160)),
        ("ch_PP-OCRv4_det_infer.onnx", (1, 3, 96, 128)),
    ],
)
def test_the_rewritten_model_computes_the_same_with_fewer_operations(
    name: str, shape: tuple[int, ...]
) -> None:
    heap.freed_blocks_returned()  # as the engine does: the copies go back to the system
    original = _model(name)
    fused, counts = onnx_fuse.fuse(original)
    before, after = _ops(original), _ops(fused)
    # Every hard-swish spelt out (add 3, clip, multiply, divide by 6) became HardSigmoid and Mul.
    assert before["Clip"] > 0 and after["Clip"] == 0 and after["Div"] < before["Div"]
    assert counts["hard-swish"] == before["Clip"]
    # Each convolution's scale and shift went into its weights: far fewer element-wise nodes.
    assert counts["conv then Mul"] > 0 and counts["Mul then conv"] > 0
    assert counts["Add then conv"] > 0
    assert after["Mul"] + after["Add"] < (before["Mul"] + before["Add"]) * 0.6
    probe = np.random.default_rng(5).uniform(-1, 1, shape).astype(np.float32)
    expected = _session(original).run(None, {"x": probe})[0]
    got = _session(fused).run(None, {"x": probe})[0]
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() < 1e-4


def _line() -> Image.Image:
    image = Image.new("L", (520, 60), 255)
    font = ImageFont.load_default(size=26)
    ImageDraw.Draw(image).text((12, 14), "TOTAL RM 45.90  12/03/2018", font=font, fill=0)
    return image


def test_the_engine_runs_the_rewritten_models_and_reads_the_same(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    plain = rapid.RapidOcrEngine()
    monkeypatch.setattr(onnx_sessions, "FUSE_MODELS", False)
    expected = plain.recognize(_line())
    monkeypatch.setattr(onnx_sessions, "FUSE_MODELS", True)
    rewritten: list[int] = []
    fuse = onnx_fuse.fuse

    def counted(model: bytes) -> tuple[bytes, dict[str, int]]:
        rewritten.append(len(model))
        return fuse(model)

    monkeypatch.setattr(onnx_fuse, "fuse", counted)
    got = rapid.RapidOcrEngine().recognize(_line())
    assert len(rewritten) == 2  # the detector and the recogniser
    assert "kept as shipped" not in caplog.text  # both rewrites passed their check
    assert [w.text for w in got] == [w.text for w in expected]
    assert "45.90" in [w.text for w in got]
    assert [(w.x0, w.x1) for w in got] == [(w.x0, w.x1) for w in expected]


def test_a_rewrite_that_fails_or_computes_otherwise_keeps_the_model_as_shipped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    onnxruntime: Any = importlib.import_module("onnxruntime")
    options = onnxruntime.SessionOptions()
    recogniser = _model("ch_PP-OCRv4_rec_infer.onnx")
    session = _session(recogniser)
    # Another model (the detector) stands for a rewrite that computes something else.
    monkeypatch.setattr(onnx_fuse, "fuse", lambda model: (_model("ch_PP-OCRv4_det_infer.onnx"), {}))
    assert onnx_sessions._fused(onnxruntime, options, recogniser, session) is session

    def broken(model: bytes) -> tuple[bytes, dict[str, int]]:
        raise ValueError("not a model")

    monkeypatch.setattr(onnx_fuse, "fuse", broken)
    assert onnx_sessions._fused(onnxruntime, options, recogniser, session) is session
    monkeypatch.undo()
    assert onnx_sessions._fused(onnxruntime, options, recogniser, session) is not session
