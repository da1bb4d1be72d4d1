from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from erpai.providers.finetune_data import (
    PreferencePair,
    Turn,
    check_examples,
    check_jsonl,
    count_tokens,
    is_terminal,
    map_job_status,
    participant_name,
    preference_examples,
    to_jsonl,
    tokenizer_is_exact,
    training_examples,
)

QAS = [(f"Question {i}?", f"Answer {i}.") for i in range(10)]


def test_training_examples_in_chat_format() -> None:
    conversation = [
        Turn("user", "Can I return a chair?", name="Jane Doe"),
        Turn("assistant", "Yes, within 30 days."),
        Turn("user", "  "),  # blank turns are dropped
        Turn("user", "Without the receipt?", name="Jane Doe"),
        Turn("assistant", "Then we need the order number."),
    ]
    examples = training_examples(system_message=" Be brief. ", qas=QAS[:2], conversations=[conversation])

    system = {"role": "system", "content": "Be brief."}
    assert examples[0] == {
        "messages": [
            system,
            {"role": "user", "content": "Question 0?"},
            {"role": "assistant", "content": "Answer 0."},
        ]
    }
    assert examples[2]["messages"][0] == system
    assert examples[2]["messages"][1] == {
        "role": "user",
        "content": "Can I return a chair?",
        "name": "Jane_Doe",
    }
    assert len(examples[2]["messages"]) == 5
    assert len(examples) == 3


def test_out_of_scope_qas_teach_the_refusal_or_are_left_out() -> None:
    qas = [("What's the weather?", "")]
    assert training_examples(system_message=None, qas=qas) == []
    taught = training_examples(system_message=None, qas=qas, refusal="I don't know.")
    assert taught[0]["messages"][-1] == {"role": "assistant", "content": "I don't know."}


def test_participant_names_follow_openai_rules() -> None:
    assert participant_name("Jane Doe") == "Jane_Doe"
    assert participant_name("Zoë O'Neil") == "Zo_O_Neil"
    assert participant_name("x" * 100) == "x" * 64
    assert participant_name("...") is None
    assert participant_name(None) is None


def test_preference_examples_in_dpo_format() -> None:
    pairs = [
        PreferencePair("How long is delivery?", rejected="A week.", corrected="Two working days."),
        PreferencePair(
            [Turn("user", "Hi", name="Bob"), Turn("assistant", "Hello"), Turn("user", "VAT?")], "No", "20%"
        ),
    ]
    examples = preference_examples(system_message="Be exact.", pairs=pairs)
    assert examples[0] == {
        "input": {
            "messages": [
                {"role": "system", "content": "Be exact."},
                {"role": "user", "content": "How long is delivery?"},
            ]
        },
        "preferred_output": [{"role": "assistant", "content": "Two working days."}],
        "non_preferred_output": [{"role": "assistant", "content": "A week."}],
    }
    assert len(examples[1]["input"]["messages"]) == 4
    assert check_examples(examples * 5, kind="dpo").ok


def test_a_valid_file_passes_and_reports_tokens_and_cost() -> None:
    data = to_jsonl(training_examples(system_message="Be brief.", qas=QAS))
    report = check_jsonl(data, price_per_million_tokens=3.0, epochs=3)

    assert report.ok and report.examples == 10
    assert all(n > 10 for n in report.tokens_per_example)
    assert report.training_tokens == 3 * sum(report.tokens_per_example)
    assert report.estimated_cost == round(report.training_tokens * 3.0 / 1_000_000, 4)
    assert report.lines()[-1] == "data check passed"
    assert "10 examples" in report.lines()[0]


@pytest.mark.parametrize(
    ("bad", "category"),
    [
        ("not a dict", "data_type"),
        ({"prompt": "x"}, "missing_messages_list"),
        ({"messages": [{"role": "user"}]}, "message_missing_key"),
        (
            {
                "messages": [
                    {"role": "user", "content": "q", "mood": "x"},
                    {"role": "assistant", "content": "a"},
                ]
            },
            "message_unrecognized_key",
        ),
        (
            {"messages": [{"role": "customer", "content": "q"}, {"role": "assistant", "content": "a"}]},
            "unrecognized_role",
        ),
        (
            {"messages": [{"role": "user", "content": ""}, {"role": "assistant", "content": "a"}]},
            "missing_content",
        ),
        ({"messages": [{"role": "user", "content": "q"}]}, "example_missing_assistant_message"),
    ],
)
def test_each_error_category_is_found(bad: object, category: str) -> None:
    good = training_examples(system_message=None, qas=QAS)
    report = check_examples([*good, bad])
    assert not report.ok
    assert report.errors == {category: [10]}
    assert any(line.startswith(f"error {category}: 1 (examples 11)") for line in report.lines())
    assert report.lines()[-1].startswith("data check FAILED")


def test_too_long_and_too_few() -> None:
    examples = training_examples(system_message=None, qas=[("q " * 200, "a")])
    report = check_examples(examples, token_limit=100)
    assert set(report.errors) == {"too_long", "too_few_examples"}
    assert report.billed_tokens_per_epoch == 100  # billing counts at most the limit


def test_a_line_that_is_not_json_is_a_data_type_error() -> None:
    data = to_jsonl(training_examples(system_message=None, qas=QAS)) + b"{broken\n"
    assert check_jsonl(data).errors == {"data_type": [10]}


def test_the_tokenizer_is_exact_and_works_offline() -> None:
    assert tokenizer_is_exact()
    assert count_tokens("hello world") == 2
    # A fresh process with no network route and an empty tiktoken cache still counts tokens.
    code = (
        "from erpai.providers.finetune_data import count_tokens, tokenizer_is_exact as e;"
        "print(e(), count_tokens('hi there'))"
    )
    env = {
        **os.environ,
        "TIKTOKEN_CACHE_DIR": os.path.join(os.environ.get("ERPAI_DATA_DIR", "/tmp"), "tk-empty"),
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.split() == ["True", "2"]


@pytest.mark.parametrize(
    ("status", "expected", "terminal"),
    [
        ("validating_files", ("running", None), False),
        ("queued", ("running", None), False),
        ("running", ("running", None), False),
        ("succeeded", ("completed", True), True),
        ("failed", ("completed", False), True),
        ("cancelled", ("completed", False), True),
        ("something_new", ("running", None), False),
    ],
)
def test_job_status_mapping(status: str, expected: tuple[str, bool | None], terminal: bool) -> None:
    assert map_job_status(status) == expected
    assert is_terminal(status) is terminal


def test_jsonl_is_one_json_object_per_line() -> None:
    lines = to_jsonl(training_examples(system_message="S", qas=QAS[:3])).decode().splitlines()
    assert [json.loads(line)["messages"][1]["content"] for line in lines] == [
        "Question 0?",
        "Question 1?",
        "Question 2?",
    ]
