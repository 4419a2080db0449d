"""`main.py eval` and the example questions the product brief ships (copied to tests/dev_questions.yaml)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.settings import SEED_FILE
from bot.evaluate import load_cases, run_cases

HERE = Path(__file__).resolve().parent


def test_every_example_question_gets_a_right_answer() -> None:
    outcomes = run_cases(load_cases(HERE / "dev_questions.yaml"), SEED_FILE)
    wrong = [(o.say, o.why or f"intent {o.got} != {o.expected}") for o in outcomes
             if not o.text_ok or (o.expected and o.expected != o.got)]
    assert len(outcomes) == 34 and wrong == []


def test_eval_prints_precision_recall_confusion_and_misses_and_exits_0() -> None:
    p = subprocess.run([sys.executable, "main.py", "eval", str(HERE / "questions_blind.yaml")], cwd=HERE.parent,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0
    assert p.stdout.startswith("intent           precision  recall")
    assert "\nconfusion (expected -> got: count)" in p.stdout and "\nmisses (" in p.stdout
    assert "intents OK: " in p.stdout.splitlines()[-1]


# The answer counts the breadth sets reached after their first runs (README, "Measuring understanding"):
# a change that loses any of them shows here.
REACHED = {"questions_breadth_blind.yaml": 79, "questions_breadth_blind3.yaml": 101,
           "questions_breadth_blind4.yaml": 96, "questions_breadth_blind5.yaml": 98,
           "questions_breadth_dev6.yaml": 97, "questions_breadth_dev7.yaml": 97, "questions.yaml": 170,
           "questions_blind.yaml": 140, "questions_blind2.yaml": 145, "questions_breadth_blind8.yaml": 90}


def test_the_question_sets_score_at_least_what_they_reached() -> None:
    for name, reached in REACHED.items():
        outcomes = run_cases(load_cases(HERE / name), SEED_FILE)
        right = sum(o.text_ok for o in outcomes)
        assert right >= reached, (name, right, [(o.say, o.why) for o in outcomes if not o.text_ok])
