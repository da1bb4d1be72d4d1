"""The learning loop on CLINC150: compile on train, take the validation questions the build gets
wrong, add each as a training conversation with the right answer (as Train AI would), recompile,
and report accuracy on those corrected questions and the change in test accuracy.

    .venv/bin/python bench/learning_loop.py

Targets (issue 14): >= 0.98 of the corrected questions right; test in-scope accuracy does not fall.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from clinc_data import write_splits
from erpai import evaluation
from erpai.evaluation import LabelledQuestion


def _test_accuracy(model_id: int, test: list[LabelledQuestion]) -> float:
    got, _, _ = evaluation.ask_all(model_id, test)
    return evaluation.score(test, got, [a or "" for a in got])["in_scope_accuracy"]


def _add_corrections(model_id: int, user_id: int, misses: list[LabelledQuestion]) -> None:
    from erpai.db import session_factory
    from erpai.training.models import TrainingConversation, TrainingConversationMessage

    with session_factory()() as session:
        for miss in misses:
            conversation = TrainingConversation(model_id=model_id, origin="CHT", created_by_user_id=user_id)
            conversation.messages = [
                TrainingConversationMessage(message_no=1, participant_role="U", contents=miss.question),
                TrainingConversationMessage(message_no=2, participant_role="A", contents=miss.answer or ""),
            ]
            session.add(conversation)
        session.commit()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="learning-loop-") as tmp:
        splits = write_splits(Path(tmp) / "data")
        train, validation, test = (evaluation.read_jsonl(splits[k]) for k in ("train", "validation", "test"))
        evaluation.use_temporary_database(tmp)
        model_id, user_id = evaluation.create_eval_model(train, validation, None)
        evaluation.compile_model(model_id, user_id)
        before = _test_accuracy(model_id, test)
        in_scope_val = [v for v in validation if v.answer is not None]
        got, _, _ = evaluation.ask_all(model_id, in_scope_val)
        misses = [v for v, g in zip(in_scope_val, got, strict=True) if g != v.answer]
        _add_corrections(model_id, user_id, misses)
        evaluation.compile_model(model_id, user_id)
        fixed, _, _ = evaluation.ask_all(model_id, misses)
        after = _test_accuracy(model_id, test)
    right = sum(g == m.answer for g, m in zip(fixed, misses, strict=True))
    print(f"validation questions the first build got wrong: {len(misses)} of {len(in_scope_val)}")
    print(
        f"corrected questions answered right after recompiling: {right}/{len(misses)} = "
        f"{right / max(len(misses), 1):.4f}  (target >= 0.98)"
    )
    print(
        f"test in-scope accuracy: before {before:.4f}, after {after:.4f}, change {after - before:+.4f}  "
        "(target: does not fall)"
    )


if __name__ == "__main__":
    main()
