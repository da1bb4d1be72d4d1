"""The int8 MiniLM: made once, cached whole, close to the float32 encoder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest

from erpai.learning import quantize
from erpai.learning.embedders import MiniLMEmbedder, QuantizedMiniLMEmbedder

QUESTIONS = [
    "How do I reset my password?",
    "I forgot my login, what now?",
    "What are your opening hours on Saturday?",
    "When is the shop open at the weekend?",
    "Can I pay the invoice by bank transfer?",
]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ERPAI_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _calls(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    made: list[Path] = []
    real = quantize._quantize

    def counting(source: Path) -> bytes:
        made.append(source)
        return real(source)

    monkeypatch.setattr(quantize, "_quantize", counting)
    return made


def test_made_once_then_read_from_the_cache(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made = _calls(monkeypatch)
    first = quantize.quantized_minilm()
    second = quantize.quantized_minilm()
    assert first == second and len(made) == 1
    (stored,) = cache.glob("minilm-q8-*.bin")
    assert stored.read_bytes()[:-32] == first
    assert not list(cache.glob("*.tmp"))


def test_a_damaged_cache_file_is_made_again(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = quantize.quantized_minilm()
    (stored,) = cache.glob("minilm-q8-*.bin")
    stored.write_bytes(stored.read_bytes()[: len(good) // 2])  # a copy cut short
    made = _calls(monkeypatch)
    assert quantize.quantized_minilm() == good and len(made) == 1
    assert stored.read_bytes()[:-32] == good


def test_an_unwritable_cache_is_not_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("ERPAI_CACHE_DIR", str(blocker / "cache"))
    assert quantize.quantized_minilm()[:4]  # made in memory


def test_vectors_close_to_the_float32_encoder_and_integer_products() -> None:
    exact, fast = MiniLMEmbedder(), QuantizedMiniLMEmbedder()
    a, b = exact.embed(QUESTIONS), fast.embed(QUESTIONS)
    assert np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-5)
    assert float((a * b).sum(axis=1).min()) > 0.97
    # the same neighbours: each paraphrase pair is closest to its own partner
    sims = b @ b.T - 2 * np.eye(len(QUESTIONS))
    assert sims[0].argmax() == 1 and sims[2].argmax() == 3
    ops = {node.op_type for node in onnx.load_from_string(quantize.quantized_minilm()).graph.node}
    assert "DynamicQuantizeLinear" in ops and "MatMulInteger" in ops
