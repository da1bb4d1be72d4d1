"""Intent head: maps a question embedding to one of k answers, or rejects it.

Two modes, picked by :meth:`IntentHead.fit` from the amount of data:

* ``"trained"`` (enough rows per class): an ensemble of cosine-softmax heads with
  learned projections (see :mod:`erpai.learning._train`). The out-of-scope score is
  the mean of the best class cosine and the best training-row cosine, both in the
  learned space. With ``negatives`` (shipped generic out-of-domain questions and the
  model's own out-of-scope Q&As), the heads also learn a *reject* prototype from them
  and the score is lowered by a weight times the cosine to it (``REJECT_WEIGHT`` with
  >= ``REJECT_FULL_ROWS`` rows per answer, proportionally less with fewer: the prototype
  shapes the projection at any size, but its cosine is a reliable signal only with
  much data). Builds of format 4; the answer is still the best of the k answers.
* ``"raw"`` (tiny data, one class, or one row per class): 1-nearest-neighbour on the
  frozen embeddings. Confidence = a logistic model over that neighbour's cosine, the
  margin to the next answer and the gap to shipped generic negatives
  (:mod:`erpai.learning.calibration`), fitted offline on simulated small companies.

Trained mode maps the score to ``confidence`` by a logistic curve (Platt scaling fitted
on validation rows when there are enough, else stored defaults); ``accepted`` means
``confidence >= threshold``.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from erpai.learning._train import (
    TrainConfig,
    cosine_scores,
    one_blas_thread,
    project,
    small_data_config,
    train_heads,
)
from erpai.learning.calibration import (
    FEATURES,
    OTHER_LANGUAGE,
    CompanySpace,
    company_space,
    looks_english,
    small_coefficients,
    small_confidence,
    small_feature_set,
    small_features,
    small_parts,
    small_threshold,
)
from erpai.learning.thresholds import DEFAULT_TEMPERATURE, choose_threshold, platt

__all__ = ["DEFAULT_RAW_THRESHOLDS", "IntentHead", "Prediction", "TrainConfig"]

#: Score thresholds used when there is no validation set, by mode. Trained: the
#: value that rule ``oos_recall_floor=0.9`` picks on CLINC150 val (heads with a reject prototype).
DEFAULT_TRAINED_THRESHOLD = 0.51
#: Raw (nearest-neighbour cosine) thresholds per embedder: the median of the
#: thresholds maximising (in-scope accuracy + OOS recall) / 2 over 200 simulated
#: tiny companies from CLINC150 (20 intents, 1-3 questions each; OOS = oos_val and
#: 20 other intents). "" is the fallback for unknown embedders. The int8 MiniLM's combination shares its
#: float32 twin's (its vectors are within cosine 0.993 of them).
DEFAULT_RAW_THRESHOLDS: dict[str, float] = {
    "": 0.40, "minilm8-muse-char": 0.355, "minilm-muse-char": 0.355, "muse-char": 0.375, "minilm-muse": 0.405,
    "muse": 0.46, "minilm": 0.39, "e5-small": 0.87, "minilm-e5": 0.625, "char": 0.355,
}
#: Weight of the reject-prototype cosine in the trained-mode score with >= REJECT_FULL_ROWS training rows
#: per answer, scaled down linearly below (CLINC150: 150 answers x 100 rows best at 0.2-0.3; companies
#: simulated from it with 10-20 rows per answer best at 0-0.1, 50 rows at 0.1-0.2).
REJECT_WEIGHT = 0.25
REJECT_FULL_ROWS = 100
_FORMAT = 4


@dataclass
class Prediction:
    """One question's answer: best class, calibrated confidence, accept flag, neighbour row."""

    label: int
    confidence: float
    accepted: bool
    neighbour: int


@dataclass
class _Params:
    center: float
    temperature: float = DEFAULT_TEMPERATURE
    threshold: float = 0.5


def _sigmoid(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = (1.0 / (1.0 + np.exp(-np.clip(x, -50.0, 50.0)))).astype(np.float32)
    return out


def _unit_rows(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    out: np.ndarray = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    return out


@dataclass
class IntentHead:
    """Fitted head. Build with :meth:`fit` or :meth:`from_bytes`."""

    mode: str
    labels: np.ndarray                      # (n,) int class of each training row
    feats: np.ndarray                       # (n, f) float32 unit rows used for neighbours
    k: int
    W: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    C: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 0), np.float32))
    params: _Params = field(default_factory=lambda: _Params(DEFAULT_RAW_THRESHOLDS[""]))
    coef: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))   # raw mode: logistic
    negs: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))  # synthetic negatives
    parts: tuple[int, ...] = ()             # raw mode: part widths of a concatenated embedder
    features: int = FEATURES                # raw mode: confidence feature set (1: builds before format 3)
    # raw mode: coefficients for questions not in English, scored without the English-only part 0
    other_coef: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    # raw mode: the answers' own texts as further rows of their answer (``knowledge_labels``): what an answer
    # says answers questions too; never a neighbour (those are training rows)
    knowledge: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    knowledge_labels: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    _spaces: dict[tuple[int, ...], CompanySpace] = field(default_factory=dict, repr=False, compare=False)
    # trained mode: weight of the reject prototype (row k of C) in the score; 0 = no reject prototype
    reject_weight: float = 0.0

    # ------------------------------------------------------------------ fitting
    @classmethod
    def fit(cls, X: np.ndarray, y: np.ndarray, *, seed: int = 0, mode: str = "auto",
            config: TrainConfig | None = None, embedder: str | None = None,
            negatives: np.ndarray | None = None, knowledge: np.ndarray | None = None,
            knowledge_labels: np.ndarray | None = None) -> IntentHead:
        """Fit on unit rows ``X`` (n,d) with labels ``y`` in 0..k-1.

        ``mode``: "auto" (trained when there are >= 400 rows and >= 4 per class on
        average, else raw), "trained" or "raw". ``embedder`` picks the raw-mode
        confidence coefficients; ``negatives``: embedded generic out-of-domain
        questions (see :func:`erpai.learning.calibration.negative_questions`). Raw mode: ``knowledge``, the
        embedded texts of answers (labels ``knowledge_labels``), count as further questions of their answer.
        Trained mode: the negatives teach the reject prototype.
        """
        X = _unit_rows(X)
        y = np.asarray(y, dtype=np.int64)
        if X.ndim != 2 or len(X) != len(y) or len(y) == 0 or y.min() < 0:
            raise ValueError("X must be (n,d) and y n labels in 0..k-1, n >= 1")
        k = int(y.max()) + 1
        if mode == "auto":
            mode = "trained" if k >= 2 and len(y) >= max(400, 4 * k) else "raw"
        if mode == "raw" or k < 2:
            thr = DEFAULT_RAW_THRESHOLDS.get(embedder or "", DEFAULT_RAW_THRESHOLDS[""])
            negs = _unit_rows(negatives) if negatives is not None and len(negatives) else np.zeros(
                (0, X.shape[1]), np.float32)
            features = small_feature_set(embedder, k)
            head = cls("raw", y, X, k, params=_Params(thr, threshold=small_threshold(embedder, features)),
                       coef=small_coefficients(embedder, features), negs=negs, parts=small_parts(embedder),
                       features=features,
                       other_coef=small_coefficients(OTHER_LANGUAGE[embedder], features)
                       if embedder in OTHER_LANGUAGE else np.zeros(0, np.float32))
            if knowledge is not None and knowledge_labels is not None and len(knowledge):
                head.knowledge = _unit_rows(knowledge)
                head.knowledge_labels = np.asarray(knowledge_labels, dtype=np.int64)
            return head
        if mode != "trained":
            raise ValueError(f"unknown mode {mode!r}; use 'auto', 'trained' or 'raw'")
        rows, targets, classes = X, y, k
        if negatives is not None and len(negatives):          # the reject prototype: class k
            rows = np.concatenate([X, _unit_rows(negatives)])
            targets = np.concatenate([y, np.full(len(negatives), k, np.int64)])
            classes = k + 1
        cfg = config or TrainConfig()
        cfg = small_data_config(cfg, len(targets))
        # One BLAS thread: the many small GEMMs of training lose far more to thread hand-offs than they
        # gain (8x slower with 2 OpenBLAS threads on a busy 2-core machine); the encoders run meanwhile.
        with one_blas_thread():
            W, C = train_heads(rows, targets, classes, cfg, seed=seed)
        head = cls("trained", y, np.zeros((0, 0), np.float32), k, W=W, C=C,
                   params=_Params(DEFAULT_TRAINED_THRESHOLD),
                   reject_weight=_reject_weight(len(y), k) if classes > k else 0.0)
        head.feats = head._features(X)
        return head

    @property
    def heads(self) -> int:
        return int(self.C.shape[0]) if self.mode == "trained" else 1

    @property
    def threshold(self) -> float:
        return self.params.threshold

    @threshold.setter
    def threshold(self, value: float) -> None:
        self.params.threshold = float(value)

    # ----------------------------------------------------------------- scoring
    def _features(self, X: np.ndarray) -> np.ndarray:
        """Rows in the space used for neighbours (unit norm)."""
        if self.mode != "trained":
            return _unit_rows(X)
        H = project(_unit_rows(X), self.W, self.heads)          # (g,n,h)
        flat = H.transpose(1, 0, 2).reshape(H.shape[1], -1)
        return (flat / np.float32(np.sqrt(self.heads))).astype(np.float32)

    def similarities(self, X: np.ndarray) -> np.ndarray:
        """Cosine of each row of X to every training row in the neighbour space, (m, n): computed once, it
        serves both :meth:`predict` and :meth:`nearest` of the same questions."""
        with one_blas_thread() if len(np.atleast_2d(X)) <= 8 else contextlib.nullcontext():
            sims: np.ndarray = self._features(_unit_rows(np.atleast_2d(X))) @ self.feats.T
        return sims

    def _scores(self, X: np.ndarray, sims: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(label, raw score, neighbour row) for each row of X (``sims``: their :meth:`similarities`)."""
        X = _unit_rows(np.atleast_2d(X))
        if sims is None:
            sims = self._features(X) @ self.feats.T               # (m, n)
        if self.mode == "trained":
            H = project(X, self.W, self.heads)
            S = cosine_scores(H, self.C).mean(axis=0)             # (m, k), (m, k + 1) with a reject prototype
            reject = S[:, self.k] if S.shape[1] > self.k else np.zeros(len(S), np.float32)
            S = S[:, : self.k]
            label = S.argmax(axis=1)
            score = 0.5 * (S.max(axis=1) + sims.max(axis=1)) - self.reject_weight * reject
        else:
            best = sims.argmax(axis=1)
            label = self.labels[best]
            score = sims.max(axis=1)
        same = self.labels[None, :] == label[:, None]
        neighbour = np.where(same, sims, -np.inf).argmax(axis=1)
        return label.astype(np.int64), score.astype(np.float32), neighbour.astype(np.int64)

    def nearest(self, x: np.ndarray, k: int, sims: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The ``k`` training rows closest to one question, best first: (row, cosine in neighbour space);
        ``sims``: its :meth:`similarities`, when already computed."""
        sims = (self.similarities(np.atleast_2d(x)[:1]) if sims is None else np.atleast_2d(sims))[0]
        k = max(0, min(k, len(sims)))
        top = np.argpartition(-sims, k - 1)[:k] if 0 < k < len(sims) else np.arange(len(sims))[:k]
        top = top[np.argsort(-sims[top], kind="stable")]
        return [(int(i), float(sims[i])) for i in top]

    def _small(self) -> bool:
        return self.mode == "raw" and len(self.coef) > 0

    def _confidences(self, X: np.ndarray, texts: Sequence[str] | None = None, sims: np.ndarray | None = None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(label, calibrated confidence, neighbour row) for each row of X; ``texts``: the questions, so that
        those not in English are scored without the English-only first part (when the embedder has one);
        ``sims``: their :meth:`similarities`, when already computed."""
        if not self._small():
            label, score, neighbour = self._scores(X, sims)
            return label, self.confidence(score), neighbour
        X = _unit_rows(np.atleast_2d(X))
        rows = np.concatenate([self.feats, self.knowledge]) if len(self.knowledge) else self.feats
        labels = np.concatenate([self.labels, self.knowledge_labels])
        label, neighbour, feats = small_features(
            X, rows, labels, self.negs, self.parts, self.features, *self._spaces_of(rows, labels, 0))
        conf = small_confidence(feats, self.coef)
        other = ~looks_english(texts) if texts is not None and len(self.other_coef) else np.zeros(0, bool)
        if other.any():
            cut = self.parts[0]
            label[other], neighbour[other], feats = small_features(
                X[other, cut:], rows[:, cut:], labels, self.negs[:, cut:], self.parts[1:], self.features,
                *self._spaces_of(rows, labels, cut))
            conf[other] = small_confidence(feats, self.other_coef)
        return label, conf, self._training_row(X, label, neighbour)

    def _spaces_of(self, rows: np.ndarray, labels: np.ndarray, cut: int
                   ) -> tuple[CompanySpace, CompanySpace | None]:
        """The company spaces of the feature set: its own, and for set 4 that of set 2 (not centred)."""
        plain = self._space(rows, labels, cut, 2) if self.features >= 4 else None
        return self._space(rows, labels, cut, self.features), plain

    def _space(self, rows: np.ndarray, labels: np.ndarray, cut: int, features: int) -> CompanySpace:
        """The prepared company space without the first ``cut`` columns (built on first use, then kept while
        the rows, negatives and feature set stay those it was built from)."""
        key = (cut, features, id(self.feats), id(self.knowledge), id(self.negs))
        space = self._spaces.get(key)
        if space is None:
            parts = self.parts[1:] if cut else self.parts
            space = company_space(rows[:, cut:], labels, self.negs[:, cut:], parts, features)
            if len(self._spaces) > 8:
                self._spaces.clear()
            self._spaces[key] = space
        return space

    def _training_row(self, X: np.ndarray, label: np.ndarray, row: np.ndarray) -> np.ndarray:
        """``row``, or where it is an answer's text, the closest training row of the same answer."""
        text = row >= len(self.labels)
        if text.any():
            sims = X[text] @ self.feats.T
            row[text] = np.where(self.labels[None, :] == label[text, None], sims, -np.inf).argmax(axis=1)
        return row

    def confidence(self, score: np.ndarray) -> np.ndarray:
        """Map raw scores to calibrated confidences in [0,1]."""
        p = self.params
        return _sigmoid((np.asarray(score, dtype=np.float32) - p.center) / p.temperature)

    def predict(self, X: np.ndarray, texts: Sequence[str] | None = None, sims: np.ndarray | None = None
                ) -> list[Prediction]:
        """Predictions for embedded questions ``X``; pass their ``texts`` to score other languages right, and
        their :meth:`similarities` when already computed."""
        if len(X) == 0:
            return []
        with one_blas_thread() if len(X) <= 8 else contextlib.nullcontext():
            label, conf, neighbour = self._confidences(X, texts, sims)
        thr = self.params.threshold
        return [Prediction(int(lab), float(c), bool(c >= thr), int(nb))
                for lab, c, nb in zip(label, conf, neighbour, strict=True)]

    # ------------------------------------------------------------- calibration
    def calibrate(self, X: np.ndarray, y: np.ndarray, *,
                  oos_recall_floor: float = 0.9) -> dict[str, float]:
        """Set threshold (and the logistic centre/temperature) from validation rows.

        ``y``: class index, or -1 for out-of-scope. With >= 20 in-scope and >= 20
        out-of-scope rows: the threshold keeps ``oos_recall_floor`` of the OOS rows
        out (maximum in-scope accuracy subject to that recall). With fewer (>= 3 of
        each): it maximises the mean of in-scope accuracy and OOS recall. With
        in-scope rows only, the default is lowered so that <= 10 % of correctly
        answered rows are rejected. Otherwise the defaults stay.
        """
        y = np.asarray(y, dtype=np.int64)
        if len(y) == 0:
            return self._report(float("nan"), 0)
        if self._small():
            return self._calibrate_small(X, y, oos_recall_floor)
        label, score, _ = self._scores(X)
        good = (y >= 0) & (label == y)
        n_in, n_out = int((y >= 0).sum()), int((y < 0).sum())
        raw = choose_threshold(score, good, y >= 0, oos_recall_floor)
        if raw is not None and n_out == 0:
            raw = min(raw, self.params.center)
        if raw is None:
            return self._report(float("nan"), len(y))
        if n_in >= 20 and n_out >= 5:
            self.params.center, self.params.temperature = platt(score, good, raw)
        else:
            self.params.center = raw
        self.params.threshold = float(self.confidence(np.array([raw]))[0])
        return self._report(raw, len(y), score, good, y)

    def _calibrate_small(self, X: np.ndarray, y: np.ndarray, floor: float) -> dict[str, float]:
        """Raw mode: the confidence is already a probability; only a large enough validation set
        (>= 20 in-scope and >= 20 out-of-scope rows) moves the threshold."""
        label, conf, _ = self._confidences(X)
        good = (y >= 0) & (label == y)
        if int((y >= 0).sum()) >= 20 and int((y < 0).sum()) >= 20:
            chosen = choose_threshold(conf, good, y >= 0, floor)
            if chosen is not None:
                self.params.threshold = chosen
        return self._report(self.params.threshold, len(y), conf, good, y)

    def _report(self, raw: float, n: int, score: np.ndarray | None = None,
                good: np.ndarray | None = None, y: np.ndarray | None = None) -> dict[str, float]:
        out = {"threshold": self.params.threshold, "center": self.params.center,
               "temperature": self.params.temperature, "raw_threshold": raw, "n_val": float(n)}
        if score is not None and good is not None and y is not None:
            acc = good & (score >= raw)
            out["val_in_scope_accuracy"] = float(acc[y >= 0].mean()) if (y >= 0).any() else float("nan")
            out["val_oos_recall"] = float((score[y < 0] < raw).mean()) if (y < 0).any() else float("nan")
        return out

    # ----------------------------------------------------------- serialisation
    def to_bytes(self) -> bytes:
        """np.savez (no pickle); training features stored as float16."""
        buf = io.BytesIO()
        p = self.params
        meta = np.array([_FORMAT, self.k, p.center, p.temperature, p.threshold, self.features,
                         self.reject_weight], dtype=np.float64)
        np.savez_compressed(buf, mode=np.array(self.mode), meta=meta, labels=self.labels.astype(np.int32),
                            feats=self.feats.astype(np.float16), W=self.W, C=self.C,
                            coef=self.coef.astype(np.float32), negs=self.negs.astype(np.float16),
                            other_coef=self.other_coef.astype(np.float32),
                            parts=np.array(self.parts, dtype=np.int64),
                            knowledge=self.knowledge.astype(np.float16),
                            knowledge_labels=self.knowledge_labels.astype(np.int32))
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> IntentHead:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            meta = z["meta"]
            if int(meta[0]) not in (1, 2, 3, _FORMAT):
                raise ValueError(f"unsupported IntentHead format {int(meta[0])}")
            params = _Params(float(meta[2]), float(meta[3]), float(meta[4]))
            feats = _unit_rows(z["feats"].astype(np.float32))
            head = cls(str(z["mode"]), z["labels"].astype(np.int64), feats, int(meta[1]),
                       W=z["W"].astype(np.float32), C=z["C"].astype(np.float32), params=params)
            if int(meta[0]) >= 2:
                head.coef = z["coef"].astype(np.float32)
                negs = z["negs"].astype(np.float32)
                head.negs = _unit_rows(negs) if len(negs) else negs
                head.parts = tuple(int(v) for v in z["parts"])
            head.features = int(meta[5]) if int(meta[0]) >= 3 else 1
            if int(meta[0]) >= 3:
                head.other_coef = z["other_coef"].astype(np.float32)
            if int(meta[0]) >= 4 and len(z["knowledge_labels"]):
                head.knowledge = _unit_rows(z["knowledge"].astype(np.float32))
                head.knowledge_labels = z["knowledge_labels"].astype(np.int64)
            if int(meta[0]) >= 4:
                head.reject_weight = float(meta[6])
            return head


def _reject_weight(rows: int, answers: int) -> float:
    return REJECT_WEIGHT * min(1.0, rows / (answers * REJECT_FULL_ROWS))
