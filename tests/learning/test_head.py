"""Unit tests for erpai.learning: synthetic data plus the real default embedder on Bulgarian."""
# ruff: noqa: RUF001

from __future__ import annotations

import io
from dataclasses import replace

import numpy as np
import pytest

from erpai.learning.calibration import (
    SMALL_PARTS,
    company_space,
    looks_english,
    small_coefficients,
    small_features,
    small_threshold,
)
from erpai.learning.embedders import DEFAULT_EMBEDDER, EMBEDDER_NAMES, get_embedder
from erpai.learning.head import REJECT_FULL_ROWS, REJECT_WEIGHT, IntentHead, Prediction


def _clusters(
    k: int, per: int, d: int = 64, noise: float = 0.3, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((k, d)).astype(np.float32)
    y = np.repeat(np.arange(k), per)
    X = centres[y] + noise * rng.standard_normal((len(y), d)).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X.astype(np.float32), y, centres


def _unit(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)
    return out


def test_trained_mode_classifies_and_rejects() -> None:
    X, y, centres = _clusters(k=10, per=50)
    head = IntentHead.fit(X, y, seed=1)
    assert head.mode == "trained"
    Xq, yq, _ = _clusters(k=10, per=5, seed=2)
    rng = np.random.default_rng(3)
    Xq = _unit(centres[yq] + 0.3 * rng.standard_normal(Xq.shape).astype(np.float32))
    oos = _unit(rng.standard_normal((40, X.shape[1])).astype(np.float32))
    Xv = np.concatenate([Xq, oos])
    yv = np.concatenate([yq, -np.ones(40, dtype=np.int64)])
    params = head.calibrate(Xv, yv)
    assert 0.0 <= params["threshold"] <= 1.0
    preds = head.predict(Xv)
    labels = np.array([p.label for p in preds])
    accepted = np.array([p.accepted for p in preds])
    assert np.mean(labels[:50] == yq) > 0.95
    assert accepted[:50].mean() > 0.8
    assert (~accepted[50:]).mean() >= 0.85
    for p in preds[:50]:
        assert y[p.neighbour] == p.label
        assert 0.0 <= p.confidence <= 1.0


def test_single_class_and_single_example_per_class() -> None:
    X, y, _ = _clusters(k=1, per=1)
    head = IntentHead.fit(X, y)
    assert head.mode == "raw"
    [pred] = head.predict(X)
    assert pred == Prediction(0, pred.confidence, True, 0)
    X, y, _ = _clusters(k=5, per=1)
    head = IntentHead.fit(X, y)
    preds = head.predict(X)
    assert [p.label for p in preds] == list(range(5))
    assert [p.neighbour for p in preds] == list(range(5))
    assert all(p.accepted for p in preds)
    far = head.predict(-X)
    assert not any(p.accepted for p in far)


def test_calibrate_without_enough_rows_keeps_defaults() -> None:
    X, y, _ = _clusters(k=5, per=2)
    head = IntentHead.fit(X, y)
    before = head.threshold
    head.calibrate(X[:2], y[:2])
    assert head.threshold == before
    head.calibrate(np.zeros((0, X.shape[1]), np.float32), np.zeros(0, np.int64))
    assert head.threshold == before


def test_raw_mode_confidence_is_a_probability_only_large_validation_moves_it() -> None:
    X, y, centres = _clusters(k=5, per=3)
    rng = np.random.default_rng(5)
    negatives = _unit(rng.standard_normal((30, X.shape[1])).astype(np.float32))
    head = IntentHead.fit(X, y, negatives=negatives)
    assert head.threshold == small_threshold(None)
    oos = _unit(rng.standard_normal((5, X.shape[1])).astype(np.float32))
    near = _unit(centres[np.arange(5)] + 0.3 * rng.standard_normal((5, X.shape[1])).astype(np.float32))
    labels = np.concatenate([np.arange(5), -np.ones(5, np.int64)])
    params = head.calibrate(np.concatenate([near, oos]), labels)
    assert head.threshold == small_threshold(None)                     # 5 + 5 rows: too few to move it
    assert params["val_in_scope_accuracy"] == 1.0 and params["val_oos_recall"] == 1.0
    many = _unit(rng.standard_normal((25, X.shape[1])).astype(np.float32))
    near = _unit(centres[np.arange(25) % 5] + 0.3 * rng.standard_normal((25, X.shape[1])).astype(np.float32))
    head.calibrate(np.concatenate([near, many]), np.concatenate([np.arange(25) % 5, -np.ones(25, np.int64)]))
    assert head.threshold != small_threshold(None)
    again = IntentHead.from_bytes(head.to_bytes())
    before, after = head.predict(near), again.predict(near)
    assert np.allclose([p.confidence for p in before], [p.confidence for p in after], atol=2e-2)


@pytest.mark.parametrize("mode", ["raw", "trained"])
def test_round_trip_bytes(mode: str) -> None:
    X, y, _ = _clusters(k=4, per=30)
    head = IntentHead.fit(X, y, mode=mode)
    head.threshold = 0.42
    data = head.to_bytes()
    assert data[:2] == b"PK"  # npz archive, no pickle
    again = IntentHead.from_bytes(data)
    assert again.threshold == pytest.approx(0.42)
    a, b = head.predict(X[:20]), again.predict(X[:20])
    assert [p.label for p in a] == [p.label for p in b]
    assert [p.neighbour for p in a] == [p.neighbour for p in b]
    assert np.allclose([p.confidence for p in a], [p.confidence for p in b], atol=2e-2)


def test_fit_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        IntentHead.fit(np.zeros((3, 4), np.float32), np.array([0, 1]))
    with pytest.raises(ValueError):
        IntentHead.fit(np.ones((3, 4), np.float32), np.array([0, 1, 2]), mode="nope")


def test_get_embedder_unknown_name() -> None:
    with pytest.raises(ValueError, match="valid names"):
        get_embedder("nope")
    assert DEFAULT_EMBEDDER in EMBEDDER_NAMES


def test_bulgarian_paraphrase_with_default_embedder() -> None:
    emb = get_embedder(DEFAULT_EMBEDDER)
    assert get_embedder(DEFAULT_EMBEDDER) is emb
    questions = [
        "Колко дни отпуск имам годишно?",  # 20 работни дни
        "Как да сменя паролата си?",
        "Кога се изплаща заплатата?",
        "Къде е офисът на фирмата?",
        "Как да подам болничен лист?",
    ]
    X = emb.embed(questions)
    assert X.shape == (5, emb.dim) and X.dtype == np.float32
    assert np.allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-4)
    head = IntentHead.fit(X, np.arange(5), embedder=DEFAULT_EMBEDDER)
    [pred] = head.predict(emb.embed(["Колко дни платен отпуск ми се полагат на година?"]))
    assert pred.label == 0 and pred.accepted and pred.neighbour == 0
    [other] = head.predict(emb.embed(["What is the capital of Australia?"]))
    assert other.confidence < pred.confidence


def _stored_as(head: IntentHead, version: int, *, meta_size: int | None = None,
               without: tuple[str, ...] = ()) -> IntentHead:
    """``head`` saved, rewritten as an older format stored it (meta cut to ``meta_size`` values, the arrays
    ``without`` left out), and loaded again."""
    with np.load(io.BytesIO(head.to_bytes())) as z:
        arrays = {name: z[name] for name in z.files if name not in without}
    arrays["meta"] = np.concatenate([[float(version)], arrays["meta"][1:meta_size]])
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return IntentHead.from_bytes(buf.getvalue())


def test_builds_stored_before_feature_set_2_answer_as_before() -> None:
    """A format-2 head (feature set 1: closest cosine, margin, gap) loads with its own features."""
    X, y, centres = _clusters(k=5, per=2)
    rng = np.random.default_rng(7)
    negatives = _unit(rng.standard_normal((20, X.shape[1])).astype(np.float32))
    head = IntentHead.fit(X, y, negatives=negatives)
    head.features, head.coef = 1, np.array([-4.446, 7.060, 10.356, 2.842], np.float32)
    old = _stored_as(head, 2, meta_size=5)                               # the format-2 layout
    assert old.features == 1 and IntentHead.from_bytes(IntentHead.fit(X, y).to_bytes()).features == 2
    queries = _unit(centres + 0.3 * rng.standard_normal(centres.shape).astype(np.float32))
    expected = [(p.label, round(p.confidence, 2)) for p in head.predict(queries)]
    assert [(p.label, round(p.confidence, 2)) for p in old.predict(queries)] == expected
    assert [p.confidence for p in old.predict(queries)] != [p.confidence for p in IntentHead.fit(
        X, y, negatives=negatives).predict(queries)]


def test_looks_english() -> None:
    texts = ["What colour is our logo?", "transfer $100 from savings to checking", "Wann öffnet das Büro?",
             "Gibt es einen Mengenrabatt?", "Колко дни отпуск имам?", "¿Cuánto tarda la entrega?"]
    assert looks_english(texts).tolist() == [True, True, False, False, False, False]


def test_other_languages_are_scored_without_the_english_only_part() -> None:
    """With the texts, a question not in English is scored on the parts after the first (MiniLM) only."""
    rng = np.random.default_rng(3)
    parts = SMALL_PARTS["minilm-muse-char"]
    X = _unit(rng.standard_normal((6, sum(parts))).astype(np.float32))
    y = np.arange(6) % 3
    head = IntentHead.fit(X, y, embedder="minilm-muse-char", negatives=X[:0])
    stored = IntentHead.from_bytes(head.to_bytes()).other_coef
    assert len(head.other_coef) and stored.tolist() == pytest.approx(head.other_coef.tolist())
    query = X[:1].copy()
    # MiniLM (part 0) lost the meaning, as it does for German
    query[:, : parts[0]] = _unit(rng.standard_normal((1, parts[0])).astype(np.float32))
    [english] = head.predict(query, ["Which colour is it?"])
    [german] = head.predict(query, ["Welche Farbe hat es?"])
    assert german.label == 0 and german.confidence > english.confidence
    assert head.predict(query)[0] == english


def test_builds_stored_with_feature_set_2_answer_as_before() -> None:
    """A format-3 head of the default embedder (feature set 2, no knowledge rows) keeps its own features."""
    rng = np.random.default_rng(5)
    parts = SMALL_PARTS["minilm-muse-char"]
    X = _unit(rng.standard_normal((24, sum(parts))).astype(np.float32))
    y = np.arange(24) % 12
    head = IntentHead.fit(X, y, embedder="minilm-muse-char", negatives=X[:3] * -1)
    assert head.features == 4           # centred and not: >= CENTRED_MIN_ANSWERS answers
    tiny = IntentHead.fit(X[:9], y[:9], embedder="minilm-muse-char")
    assert tiny.features == 2
    assert head.threshold == small_threshold("minilm-muse-char", 4) < tiny.threshold == small_threshold(
        "minilm-muse-char")
    head.features, head.coef = 2, small_coefficients("minilm-muse-char", 2)
    old = _stored_as(head, 3, without=("knowledge", "knowledge_labels"))  # the format-3 layout
    assert old.features == 2 and len(old.knowledge) == 0
    queries = _unit(X + 0.5 * rng.standard_normal(X.shape).astype(np.float32))
    expected = [(p.label, round(p.confidence, 2)) for p in head.predict(queries)]
    assert [(p.label, round(p.confidence, 2)) for p in old.predict(queries)] == expected
    head.features, head.coef = 3, small_coefficients("minilm-muse-char", 3)
    assert [p.confidence for p in head.predict(queries)] != [p.confidence for p in old.predict(queries)]


def test_builds_stored_with_feature_set_3_answer_as_before() -> None:
    """A format-4 head made before feature set 4 (centred features only) keeps its features and coefficients;
    set 4 adds the same answer's features not centred."""
    rng = np.random.default_rng(6)
    parts = SMALL_PARTS["minilm-muse-char"]
    X = _unit(rng.standard_normal((30, sum(parts))).astype(np.float32))
    y = np.arange(30) % 15
    negatives = _unit(rng.standard_normal((8, X.shape[1])).astype(np.float32))
    head = IntentHead.fit(X, y, embedder="minilm-muse-char", negatives=negatives)
    queries = _unit(X + 0.6 * rng.standard_normal(X.shape).astype(np.float32))
    label, _, both = small_features(queries, X, y, negatives, parts, 4)
    centred_label, _, centred = small_features(queries, X, y, negatives, parts, 3)
    plain_label, _, plain = small_features(queries, X, y, negatives, parts, 2)
    assert np.array_equal(label, centred_label)
    assert both.shape[1] == len(head.coef) - 1 == 13 + 11
    assert np.allclose(both[:, :13], centred) and not np.allclose(both[:, 13:], centred[:, :11])
    same = label == plain_label        # where set 2 picks the same answer, its features are set 4's tail
    assert same.any() and np.allclose(both[same, 13:], plain[same, :11])
    head.features, head.coef = 3, small_coefficients("minilm-muse-char", 3)
    head.other_coef = small_coefficients("muse-char", 3)
    old = IntentHead.from_bytes(head.to_bytes())
    assert old.features == 3 and len(old.coef) == 14 and len(old.other_coef) == 11
    german = ["Wann?"] * len(queries)    # scored without MiniLM, with the other coefficients
    expected = [(p.label, round(p.confidence, 3)) for p in head.predict(queries, german)]
    assert [(p.label, round(p.confidence, 3)) for p in old.predict(queries, german)] == expected
    new = IntentHead.fit(X, y, embedder="minilm-muse-char", negatives=negatives)
    assert [p.confidence for p in new.predict(queries)] != [p.confidence for p in old.predict(queries)]


def test_best_per_answer_is_each_answers_highest_row() -> None:
    rng = np.random.default_rng(9)
    labels = np.array([2, 0, 1, 0, 2, 2, 1])
    sims = rng.standard_normal((4, len(labels))).astype(np.float32)
    space = company_space(_unit(rng.standard_normal((7, 6)).astype(np.float32)), labels, np.zeros((0, 6)))
    expected = np.stack([sims[:, labels == c].max(axis=1) for c in range(3)], axis=1)
    assert np.array_equal(space.best_per_answer(sims), expected)
    # an answer without rows (not made by a build) is never the best
    gap = replace(space, labels=np.array([2, 0, 0, 2]), order=np.array([1, 2, 0, 3]),
                  starts=np.array([0, 2, 2]))
    found = gap.best_per_answer(sims[:, :4])
    assert np.isneginf(found[:, 1]).all() and np.array_equal(found[:, 2], sims[:, [0, 3]].max(axis=1))


def test_answer_texts_are_knowledge_rows() -> None:
    """A question close to an answer's own text only gets that answer; its neighbour is a training row."""
    X, y, _ = _clusters(k=5, per=2, seed=4)
    rng = np.random.default_rng(8)
    texts = _unit(rng.standard_normal((2, X.shape[1])).astype(np.float32))   # what answers 1 and 3 say
    head = IntentHead.fit(X, y, negatives=X[:0], knowledge=texts, knowledge_labels=np.array([1, 3]))
    query = _unit(texts + 0.2 * rng.standard_normal(texts.shape).astype(np.float32))
    without = IntentHead.fit(X, y, negatives=X[:0])
    assert [p.label for p in without.predict(query)] != [1, 3]
    for again in (head, IntentHead.from_bytes(head.to_bytes())):
        got = again.predict(query)
        assert [p.label for p in got] == [1, 3]
        assert [int(y[p.neighbour]) for p in got] == [1, 3]
    assert IntentHead.from_bytes(without.to_bytes()).knowledge.shape[0] == 0


def _trained_with_negatives(seed: int = 0, per: int = REJECT_FULL_ROWS
                            ) -> tuple[IntentHead, np.ndarray, np.ndarray]:
    X, y, centres = _clusters(k=10, per=per, seed=seed)
    rng = np.random.default_rng(seed + 11)
    # negatives: a region of the space no answer lives in
    away = _unit(rng.standard_normal((1, X.shape[1])).astype(np.float32))
    negatives = _unit(away + 0.4 * rng.standard_normal((60, X.shape[1])).astype(np.float32))
    return IntentHead.fit(X, y, seed=seed, negatives=negatives), centres, away


def test_trained_mode_learns_a_reject_prototype_from_negatives() -> None:
    """The reject prototype widens the score gap between in-scope questions and ones like the negatives."""
    head, centres, away = _trained_with_negatives()
    assert head.mode == "trained" and head.C.shape[1] == head.k + 1 and head.reject_weight == REJECT_WEIGHT
    fewer, _, _ = _trained_with_negatives(per=REJECT_FULL_ROWS // 2)       # less data: the cosine counts less
    assert fewer.C.shape[1] == fewer.k + 1 and fewer.reject_weight == pytest.approx(REJECT_WEIGHT / 2)
    rng = np.random.default_rng(4)
    near_negatives = _unit(away + 0.4 * rng.standard_normal((20, away.shape[1])).astype(np.float32))
    in_scope = _unit(centres[np.arange(50) % 10] + 0.3 * rng.standard_normal((50, centres.shape[1])).astype(
        np.float32))
    plain = IntentHead(head.mode, head.labels, head.feats, head.k, W=head.W, C=head.C, params=head.params)
    assert plain.reject_weight == 0.0

    def gap(h: IntentHead) -> float:
        return float(h._scores(in_scope)[1].mean() - h._scores(near_negatives)[1].mean())

    assert gap(head) > gap(plain) + 0.1
    queries = _unit(centres + 0.3 * rng.standard_normal(centres.shape).astype(np.float32))
    assert [p.label for p in head.predict(queries)] == list(range(10))   # never the reject class
    again = IntentHead.from_bytes(head.to_bytes())
    assert again.reject_weight == pytest.approx(head.reject_weight)
    assert [p.confidence for p in again.predict(queries)] == pytest.approx(
        [p.confidence for p in head.predict(queries)], abs=2e-2)


def test_trained_builds_of_format_3_answer_as_before() -> None:
    """A format-3 trained head (k prototypes, no reject weight in meta) loads and scores as it did."""
    X, y, centres = _clusters(k=6, per=80)
    head = IntentHead.fit(X, y, seed=2)
    assert head.reject_weight == 0.0 and head.C.shape[1] == 6
    old = _stored_as(head, 3, meta_size=6)                               # the format-3 layout
    assert old.reject_weight == 0.0
    noise = np.random.default_rng(1).standard_normal(centres.shape).astype(np.float32)
    queries = _unit(centres + 0.3 * noise)
    before, after = head.predict(queries), old.predict(queries)
    assert [p.label for p in after] == [p.label for p in before] == list(range(6))
    assert [p.confidence for p in after] == pytest.approx([p.confidence for p in before], abs=2e-2)


def test_platt_scaling_stays_finite_on_well_separated_scores() -> None:
    """Calibration on many validation rows gives a usable logistic curve (it once diverged to threshold 1)."""
    head, centres, _ = _trained_with_negatives(seed=3)
    rng = np.random.default_rng(8)
    yq = np.arange(200) % 10
    near = _unit(centres[yq] + 0.3 * rng.standard_normal((200, centres.shape[1])).astype(np.float32))
    oos = _unit(rng.standard_normal((40, centres.shape[1])).astype(np.float32))
    params = head.calibrate(np.concatenate([near, oos]), np.concatenate([yq, -np.ones(40, np.int64)]))
    assert 0.0 < params["temperature"] < 1.0 and abs(params["center"]) < 2.0
    assert 0.0 < params["threshold"] < 1.0
    accepted = np.array([p.accepted for p in head.predict(near)])
    assert accepted.mean() > 0.9
