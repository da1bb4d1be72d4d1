"""Numpy trainer for an ensemble of cosine-softmax heads over frozen embeddings.

Each head g has a linear projection ``W_g`` (d -> h) and class prototypes ``C_g``
(k x h). A row is projected, L2-normalised and scored by cosine against the
normalised prototypes; training minimises an additive-margin (CosFace) softmax
loss with Adam, mini-batches and a cosine learning-rate schedule. The heads are
trained together (one GEMM for all projections) from different random starts.
"""

from __future__ import annotations

import contextlib
import importlib
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["TrainConfig", "cosine_scores", "one_blas_thread", "project", "small_data_config", "train_heads"]


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of the trained heads (chosen on CLINC150 train/val)."""

    heads: int = 3
    dim: int = 128
    epochs: int = 8
    batch: int = 512
    lr: float = 5e-3
    scale: float = 20.0
    margin: float = 0.2


def _unit(x: np.ndarray, axis: int = -1) -> tuple[np.ndarray, np.ndarray]:
    norm = np.maximum(np.linalg.norm(x, axis=axis, keepdims=True), 1e-12).astype(np.float32)
    return (x / norm).astype(np.float32, copy=False), norm


def project(X: np.ndarray, W: np.ndarray, heads: int) -> np.ndarray:
    """Normalised per-head projections: X (n,d), W (d,g*h) -> (g,n,h)."""
    Z = (X @ W).reshape(len(X), heads, -1).transpose(1, 0, 2)
    return _unit(np.ascontiguousarray(Z))[0]


def cosine_scores(H: np.ndarray, C: np.ndarray) -> np.ndarray:
    """Cosine of projected rows H (g,n,h) to prototypes C (g,k,h): (g,n,k)."""
    out: np.ndarray = np.matmul(H, _unit(C)[0].transpose(0, 2, 1))
    return out


class _Adam:
    def __init__(self, params: list[np.ndarray]) -> None:
        self.params = params
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads: list[np.ndarray], lr: float) -> None:
        self.t += 1
        c1, c2 = 1 - 0.9**self.t, 1 - 0.999**self.t
        for p, g, m, v in zip(self.params, grads, self.m, self.v, strict=True):
            m *= 0.9
            m += 0.1 * g
            v *= 0.999
            v += 0.001 * g * g
            p -= np.float32(lr / c1) * m / (np.sqrt(v / np.float32(c2)) + np.float32(1e-8))


def _init(X: np.ndarray, y: np.ndarray, k: int, cfg: TrainConfig,
          rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    d = X.shape[1]
    h = min(cfg.dim, d)
    W = (rng.standard_normal((d, cfg.heads * h)) / np.sqrt(d)).astype(np.float32)
    H = project(X, W, cfg.heads)
    counts = np.bincount(y, minlength=k).astype(np.float32)
    C = np.zeros((cfg.heads, k, h), dtype=np.float32)
    for g in range(cfg.heads):
        np.add.at(C[g], y, H[g])
    C /= np.maximum(counts, 1.0)[None, :, None]
    return W, C


def _grads(xb: np.ndarray, yb: np.ndarray, W: np.ndarray, C: np.ndarray,
           cfg: TrainConfig) -> tuple[np.ndarray, np.ndarray]:
    g, _, h = C.shape
    B = len(xb)
    Z = np.ascontiguousarray((xb @ W).reshape(B, g, h).transpose(1, 0, 2))
    H, zn = _unit(Z)
    Cn, cn = _unit(C)
    logits = cfg.scale * np.matmul(H, Cn.transpose(0, 2, 1))
    rows = np.arange(B)
    logits[:, rows, yb] -= cfg.scale * cfg.margin
    logits -= logits.max(axis=2, keepdims=True)
    p = np.exp(logits)
    p /= p.sum(axis=2, keepdims=True)
    p[:, rows, yb] -= 1.0
    dcos = (np.float32(cfg.scale / B) * p).astype(np.float32)
    dH = np.matmul(dcos, Cn)
    dCn = np.matmul(dcos.transpose(0, 2, 1), H)
    dZ = (dH - H * (dH * H).sum(axis=2, keepdims=True)) / zn
    dC = (dCn - Cn * (dCn * Cn).sum(axis=2, keepdims=True)) / cn
    dW = xb.T @ dZ.transpose(1, 0, 2).reshape(B, g * h)
    return dW.astype(np.float32, copy=False), dC.astype(np.float32, copy=False)


def train_heads(X: np.ndarray, y: np.ndarray, k: int, cfg: TrainConfig,
                seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Train ``cfg.heads`` cosine heads; returns W (d,g*h) and prototypes C (g,k,h)."""
    rng = np.random.default_rng(seed)
    X = np.ascontiguousarray(X, dtype=np.float32)
    W, C = _init(X, y, k, cfg, rng)
    opt = _Adam([W, C])
    n = len(X)
    per_epoch = max(1, -(-n // cfg.batch))
    total, step = cfg.epochs * per_epoch, 0
    for _ in range(cfg.epochs):
        order = rng.permutation(n)
        for start in range(0, n, cfg.batch):
            idx = order[start:start + cfg.batch]
            dW, dC = _grads(X[idx], y[idx], W, C, cfg)
            lr = cfg.lr * 0.5 * (1.0 + np.cos(np.pi * step / total))
            opt.step([dW, dC], float(lr))
            step += 1
    return W, C


def small_data_config(cfg: TrainConfig, n: int) -> TrainConfig:
    """Give small training sets enough optimiser steps (>= 150)."""
    steps = cfg.epochs * -(-n // cfg.batch)
    if steps >= 150:
        return cfg
    epochs = -(-150 // max(1, -(-n // cfg.batch)))
    return TrainConfig(cfg.heads, cfg.dim, epochs, cfg.batch, cfg.lr, cfg.scale, cfg.margin)


_controller: Any = None


def one_blas_thread() -> contextlib.AbstractContextManager[Any]:
    """Limit BLAS to one thread (small queries: avoids latency tails on busy cores)."""
    global _controller
    try:
        if _controller is None:
            _controller = importlib.import_module("threadpoolctl").ThreadpoolController()
        cm: contextlib.AbstractContextManager[Any] = _controller.limit(limits=1, user_api="blas")
        return cm
    except Exception:               # threadpoolctl missing or unusable: no limit
        return contextlib.nullcontext()
