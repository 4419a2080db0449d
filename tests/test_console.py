"""The console contract through a real subprocess: JSON lines, hostile input, exit codes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str], stdin: bytes = b"", env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, input=stdin, capture_output=True,
                          timeout=60, env={**os.environ, **(env or {})})


def json_lines(stdout: bytes) -> list[dict]:
    return [json.loads(line) for line in stdout.decode("utf-8").splitlines()]


def test_json_mode_gives_exactly_one_object_per_line_with_the_contract_fields(tmp_path: Path) -> None:
    lines = ["How many died in the Al-Hari strike?", "who denied it?", "how many died?", "hey"]
    p = run(["console", "--json", "--db", str(tmp_path / "f.json")], "\n".join(lines).encode() + b"\n")
    assert p.returncode == 0, p.stderr
    out = json_lines(p.stdout)
    assert len(out) == len(lines)
    for obj in out:
        assert {"text", "intent", "incident", "confidence", "choices"} <= obj.keys()
        assert 0.0 <= obj["confidence"] <= 1.0
    assert out[0]["intent"] == "casualties" and out[0]["incident"] == "al-hari-2018-06" and "38" in out[0]["text"]
    assert out[1]["intent"] == "denial" and "coalition" in out[1]["text"]
    assert out[2]["incident"] == "al-hari-2018-06"  # context carries over within one console
    assert out[3]["intent"] == "greeting"


def test_choices_are_listed_in_json_and_numbered_in_the_text(tmp_path: Path) -> None:
    p = run(["console", "--json", "--db", str(tmp_path / "f.json")], b"how many died?\n1\n")
    ask, picked = json_lines(p.stdout)
    assert [c["id"] for c in ask["choices"]][0] and all({"id", "title"} == c.keys() for c in ask["choices"])
    assert "1. " in ask["text"]
    assert picked["incident"] == ask["choices"][0]["id"]


def test_hostile_input_gets_an_answer_per_line_and_never_a_traceback(tmp_path: Path) -> None:
    lines = [b"", b"   ", b"x" * 10_000, "💥🔥 how many died in al hari? 🙏".encode(), b"\x00\x07\x1b[31mred\x1b[0m",
             b"\xff\xfe\xfa invalid utf-8 \xc3\x28", "<b>bold</b> &amp; \u202eRTL".encode(), b"/", b"/nonsense"]
    p = run(["console", "--json", "--db", str(tmp_path / "f.json")], b"\n".join(lines) + b"\n")
    assert p.returncode == 0 and b"Traceback" not in p.stderr
    out = json_lines(p.stdout)
    assert len(out) == len(lines)
    assert all(o["text"].strip() for o in out)
    assert "38" in out[3]["text"]


def test_friendly_mode_shows_a_banner_and_exits_zero_at_eof(tmp_path: Path) -> None:
    p = run(["console", "--db", str(tmp_path / "f.json")], b"where was the al-hari strike\n")
    assert p.returncode == 0
    text = p.stdout.decode()
    assert "Ctrl-D" in text and "Syrian-Iraqi border" in text


def test_ask_answers_one_question(tmp_path: Path) -> None:
    p = run(["ask", "--json", "--db", str(tmp_path / "f.json"), "who", "was", "blamed", "for", "al-hari"])
    assert p.returncode == 0 and json.loads(p.stdout)["intent"] == "blame"


def test_database_comes_from_the_environment_when_no_flag(tmp_path: Path) -> None:
    db = tmp_path / "env.json"
    p = run(["ask", "hello"], env={"INCIDENT_BOT_DB": str(db)})
    assert p.returncode == 0 and db.exists()


def test_corrupt_database_is_one_line_and_exit_2(tmp_path: Path) -> None:
    db = tmp_path / "f.json"
    db.write_text("{broken")
    p = run(["ask", "--db", str(db), "hello"])
    assert p.returncode == 2
    assert p.stderr.decode().count("\n") == 1 and str(db) in p.stderr.decode()
    assert db.read_text() == "{broken"


def test_an_unusable_database_path_is_one_line_and_exit_2() -> None:
    for path in ("/proc/facts.json", "/proc/no-such-dir/facts.json"):  # no file, no folder can be made there
        p = run(["ask", "--db", path, "hello"])
        assert p.returncode == 2 and b"Traceback" not in p.stderr
        assert p.stderr.decode().startswith("incident-bot: cannot") and p.stderr.count(b"\n") == 1


def test_a_failure_answering_one_line_is_apologised_for_logged_and_the_session_goes_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    import io

    from bot.answers import APOLOGY
    from bot.commands import Commands
    from bot.console import Console
    from bot.engine import Engine
    from bot.settings import SEED_FILE
    from bot.store import open_store

    real = Engine.answer

    def failing(self: Engine, text: str, chat: str = "console"):  # noqa: ANN202 - the real one, but for one line
        if text == "break":
            raise RuntimeError("a bug")
        return real(self, text, chat)

    monkeypatch.setattr(Engine, "answer", failing)  # a fault injected into the real engine, for one line
    out = io.StringIO()
    store = open_store(tmp_path / "f.json", SEED_FILE)
    try:
        Console(Commands.for_store(store), json_mode=True, out=out).run(io.BytesIO(b"break\nhow many died at al hari\n"))
    finally:
        store.close()
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["text"] == APOLOGY and "38" in second["text"]
    assert "answering 'break' failed" in caplog.text and "RuntimeError: a bug" in caplog.text
