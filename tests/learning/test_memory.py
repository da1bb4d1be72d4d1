"""A build's memory (erpai.learning.memory): a taught question is answered as taught, in both heads; the
newest teaching of a question wins; builds stored without a memory answer as before."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np

from erpai.compilations.artifact import BuildArtifact, RowSource
from erpai.learning.head import IntentHead
from erpai.learning.memory import REFUSE, Memory, normalise


def _unit(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)
    return out


def _artifact(head: IntentHead, questions: list[str], taught: list[tuple[str, bool]]) -> BuildArtifact:
    return BuildArtifact(
        embedder="",
        answers=[f"answer {i}" for i in range(head.k)],
        rows=[RowSource("qa", i + 1, q) for i, q in enumerate(questions)],
        system_messages=[],
        head=head,
        memory=Memory.learn(taught),
    )


def _without_memory(artifact: BuildArtifact) -> bytes:
    """The artifact as a format-1 build stored it: no memory in meta.json."""
    with zipfile.ZipFile(io.BytesIO(artifact.to_bytes())) as archive:
        meta = json.loads(archive.read("meta.json"))
        head = archive.read("head.bin")
    assert meta.pop("memory") is not None
    meta["format"] = 1
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("meta.json", json.dumps(meta))
        archive.writestr("head.bin", head)
    return buffer.getvalue()


def test_normalise_folds_case_spacing_and_punctuation_not_accents() -> None:
    assert normalise("  Opening HOURS?! ") == normalise("opening hours") == "opening hours"
    assert normalise("What's the Wi-Fi password?") == "what s the wi fi password"
    assert normalise("\uff37\uff49-\uff26\uff49") == "wi fi"        # full-width letters: compatibility forms
    assert normalise("Résumé?") != normalise("resume")


def test_the_newest_remembered_teaching_of_a_question_wins() -> None:
    taught = [("Opening hours?", True, True), ("Where are you?", True, True), ("opening  hours", True, True),
              ("Do you sell cars?", True, True), ("do you sell cars", False, True), ("Parking?", False, True),
              ("Opening hours!", True, False), ("Prices?", True, False), ("Delivery?", False, False)]
    memory = Memory.learn(taught)
    # rows count the answered examples only: "opening  hours" is row 2; the later refusal of the cars wins;
    # examples not to be remembered neither count as newer nor are remembered
    assert memory.recall(["OPENING HOURS", "where are you", "Do you sell cars?", "parking", "prices",
                          "delivery", "Hello"]) == [2, 1, REFUSE, REFUSE, None, None, None]
    stored = json.loads(json.dumps(memory.to_json()))
    assert stored == {"rows": [1, 2], "refused": ["do you sell cars", "parking"]}
    questions = ["Opening hours?", "Where are you?", "opening  hours", "Do you sell cars?"]
    assert Memory.from_json(stored, questions) == memory


def test_a_small_head_answers_its_outlier_question_as_taught() -> None:
    """Closest question plus prototype: a question taught for answer 0 but worded like answer 1's questions
    goes to answer 1 in the head; the memory answers it as taught, at confidence 1, also after a reload."""
    rng = np.random.default_rng(0)
    centres = _unit(rng.standard_normal((2, 32)).astype(np.float32))
    X = _unit(np.concatenate([
        centres[[0, 0, 0]] + 0.05 * rng.standard_normal((3, 32)),
        centres[[1]] + 0.08 * rng.standard_normal((1, 32)),       # the outlier, taught as answer 0
        centres[[1, 1, 1]] + 0.05 * rng.standard_normal((3, 32)),
    ]).astype(np.float32))
    y = np.array([0, 0, 0, 0, 1, 1, 1])
    head = IntentHead.fit(X, y, mode="raw")
    questions = [f"question {i}" for i in range(7)]
    artifact = _artifact(head, questions, [(q, True, True) for q in questions])
    assert head.predict(X[3:4])[0].label == 1
    [[recalled], [remembered]] = artifact.predict(X[3:4], ["QUESTION 3?"])
    assert (recalled.label, recalled.confidence, recalled.accepted, recalled.neighbour) == (0, 1.0, True, 3)
    assert remembered
    loaded = BuildArtifact.from_bytes(artifact.to_bytes())
    assert loaded.predict(X[3:4], ["question 3"])[0][0].label == 0
    [[other], [fresh]] = loaded.predict(X[3:4], ["a question never taught"])
    assert other.label == 1 and not fresh

    old = BuildArtifact.from_bytes(_without_memory(artifact))
    [[before], [none]] = old.predict(X[3:4], ["question 3"])
    assert before.label == 1 and not none and old.memory == Memory()


def test_a_trained_head_answers_its_own_training_questions_as_taught() -> None:
    """Rows embedded like another row of their cluster but taught another answer: the trained head gives both
    twins one answer; the memory answers each as taught; a question taught out of scope is refused."""
    rng = np.random.default_rng(1)
    k, per, d = 10, 50, 64
    centres = rng.standard_normal((k, d)).astype(np.float32)
    y = np.repeat(np.arange(k), per)
    X = _unit(centres[y] + 0.3 * rng.standard_normal((len(y), d)).astype(np.float32))
    noisy = np.arange(0, len(y), 25)
    X[noisy] = X[noisy + 1]                   # worded like the next row (its twin in the embedding space) ...
    y[noisy] = (y[noisy] + 1) % k             # ... but taught another answer
    head = IntentHead.fit(X, y, seed=0)
    assert head.mode == "trained"
    questions = [f"training question {i}" for i in range(len(y))]
    taught = [(q, True, True) for q in questions] + [("training question 7", False, True)]
    artifact = _artifact(head, questions, taught)
    texts = [questions[i] for i in noisy]
    assert sum(p.label == y[i] for p, i in zip(head.predict(X[noisy]), noisy, strict=True)) < len(noisy) // 2
    predictions, remembered = artifact.predict(X[noisy], texts)
    assert [p.label for p in predictions] == y[noisy].tolist() and all(remembered)
    twins, _ = artifact.predict(X[noisy + 1], [questions[i + 1] for i in noisy])
    assert [p.label for p in twins] == y[noisy + 1].tolist()
    [[refused], _] = artifact.predict(X[7:8], ["Training question 7."])
    assert not refused.accepted and refused.confidence == 0.0
