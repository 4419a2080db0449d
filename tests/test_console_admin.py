"""Admin commands through the real console subprocess (`main.py console --json`), on real database files.

An admin adds an incident the seed does not have and a new process answers about it; a user's every write
is refused with the file untouched; each malformed command changes nothing; /undo restores the exact
previous state; export then import into an empty database answers every question the same way.
"""
from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60


def main_py(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    p = subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, input=stdin.encode("utf-8"),
                       capture_output=True, timeout=TIMEOUT, env={**os.environ, "INCIDENT_BOT_DB": "/nonexistent"})
    assert p.returncode == 0, p.stderr.decode()
    return p


def console(db: Path, lines: list[str], admin: bool = False) -> list[dict]:
    """One console process, many lines: one JSON object per line."""
    p = main_py("console", "--json", "--db", str(db), *(["--admin"] if admin else []),
                stdin="\n".join(lines) + "\n")
    out = [json.loads(line) for line in p.stdout.decode("utf-8").splitlines()]
    assert len(out) == len(lines), p.stdout.decode()
    return out


class LiveConsole:
    """A running console, driven line by line so the database file can be checked between commands."""

    def __init__(self, db: Path, admin: bool) -> None:
        self.proc = subprocess.Popen([sys.executable, "main.py", "console", "--json", "--db", str(db),
                                      *(["--admin"] if admin else [])], cwd=ROOT, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def say(self, line: str) -> dict:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(line.encode("utf-8") + b"\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], TIMEOUT)
        assert ready, f"no reply to {line!r}"
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        assert self.proc.stdin
        self.proc.stdin.close()
        assert self.proc.wait(TIMEOUT) == 0, self.proc.stderr.read().decode() if self.proc.stderr else ""


NEW_INCIDENT = [
    '/newincident mayadin-2018-07 title=“Al-Mayadin airstrike” date=2018-07-05 place="Al-Mayadin" '
    'region="Deir Ezzor Province" country=Syria aliases="Mayadin strike; Al Mayadin raid" type=airstrike',
    '/addfact mayadin-2018-07 killed “at least 23” who="civilians" by="the Syrian Observatory for Human Rights" '
    'via="its head, Rami Abdel Rahman" source=afp-2018-06-19',
    "/addfact mayadin-2018-07 killed ‘a dozen’ who=people by=‘Syrian state media’ source=SANA",
    '/addfact mayadin-2018-07 blamed "the Russian air force" by="the Syrian Observatory for Human Rights"',
    "/addfact mayadin-2018-07 denied 'the Russian defence ministry' by='the Russian defence ministry' "
    "quote=“Russian aircraft did not fly over Al-Mayadin that night.”",
    "/addfact mayadin-2018-07 wounded 40 by=SANA source=sana",
    "/facts mayadin-2018-07",
]
MAYADIN_QUESTIONS = [
    "how many were killed in the al-mayadin airstrike?",
    "who was blamed for the mayadin strike",
    "who denied the al mayadin raid?",
    "where did the al-mayadin airstrike happen",
    "when was the mayadin strike",
    "what are the sources for al-mayadin",
]


@pytest.fixture(scope="module")
def curated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A seeded database to which an admin console added an incident the seed does not have."""
    db = tmp_path_factory.mktemp("curated") / "facts.json"
    out = console(db, ["/whoami", *NEW_INCIDENT], admin=True)
    assert out[0]["text"] == "Your user id is console; you are an admin."
    assert out[1]["text"].startswith("Added incident mayadin-2018-07: “Al-Mayadin airstrike”")
    for reply in out[2:7]:
        assert reply["text"].startswith("Added fact #"), reply["text"]
    assert "Recorded a new source sana (publisher SANA)" in out[3]["text"]
    assert "new source" not in out[6]["text"]  # source=sana reuses the record
    facts = out[7]["text"].splitlines()
    assert facts[0] == "Al-Mayadin airstrike (mayadin-2018-07): 5 facts:"
    assert sum(line.startswith("#") for line in facts) == 5
    return db


def test_a_new_process_answers_about_the_new_incident(curated_db: Path) -> None:
    casualties, blamed, denied, where, when, sources = console(curated_db, MAYADIN_QUESTIONS)
    assert casualties["intent"] == "casualties" and casualties["incident"] == "mayadin-2018-07"
    text = casualties["text"]
    assert "at least 23 civilians" in text.lower() and "Syrian Observatory for Human Rights" in text
    assert "a dozen" in text.lower() and "Syrian state media" in text and "SANA" in text
    assert "38" not in text  # never another incident's figure
    assert blamed["intent"] == "blame" and "the Russian air force" in blamed["text"]
    assert "Syrian Observatory for Human Rights" in blamed["text"]
    assert denied["intent"] == "denial" and "Russian defence ministry" in denied["text"]
    assert "did not fly over Al-Mayadin" in denied["text"]
    assert where["incident"] == "mayadin-2018-07" and "Al-Mayadin" in where["text"] and "Deir Ezzor" in where["text"]
    assert when["incident"] == "mayadin-2018-07" and "5 July 2018" in when["text"]
    assert sources["incident"] == "mayadin-2018-07" and "SANA" in sources["text"]


WRITES = [
    '/newincident x-2018 title="X"',
    "/addfact al-hari-2018-06 killed 3",
    "/setincident al-hari-2018-06 title=X",
    "/delfact 1",
    "/undo",
    "/facts al-hari-2018-06",
    "/export",
]


def test_a_users_every_write_is_refused_and_the_file_is_untouched(curated_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "facts.json"
    shutil.copy(curated_db, db)
    before = db.read_bytes()
    lines = ["/whoami", *WRITES, "/asadmin", "/whoami", "/asuser", "/whoami", *WRITES]
    out = console(db, lines)
    assert out[0]["text"] == "Your user id is console; you are a user (no admin rights)."
    refusals = out[1:len(WRITES) + 1] + out[len(WRITES) + 5:]
    assert len(refusals) == 2 * len(WRITES)
    for line, reply in zip(WRITES + WRITES, refusals):
        command = line.split()[0]
        assert reply["text"].startswith(f"{command} needs admin rights; nothing was changed."), reply["text"]
    assert "you are an admin" in out[len(WRITES) + 2]["text"]
    assert "no admin rights" in out[len(WRITES) + 4]["text"]
    assert db.read_bytes() == before


MALFORMED = [
    ("/newincident", "missing the new incident's id"),
    ('/newincident al-hari-2018-06 title="Again"', "duplicate id"),
    ('/newincident fresh-1 title="X" date=2018-02-30', "bad date"),
    ('/newincident fresh-1 title=“X', "never closed"),
    ("/addfact al-hari-2018-06", "missing the kind and value"),
    ("/addfact al-hary-2018-06 killed 3", "did you mean al-hari-2018-06"),
    ("/addfact al-hari-2018-06 kiled 3", "did you mean killed"),
    ('/addfact al-hari-2018-06 killed "loads"', "bad number"),
    ("/setincident al-hari-2018-06 colour=red", "unknown key colour="),
    ("/setincident al-hari-2018-06 lat=123", "bad lat"),
    ("/delfact 999", "no fact #999"),
    ("/facts nowhere-at-all", "no incident 'nowhere-at-all'"),
]


def test_malformed_commands_change_nothing_and_undo_restores_exactly(tmp_path: Path) -> None:
    db = tmp_path / "facts.json"
    live = LiveConsole(db, admin=True)
    try:
        start = live.say("/export")["text"]
        seeded = db.read_bytes()
        for line, words in MALFORMED:
            reply = live.say(line)["text"]
            assert words in reply and reply.endswith("nothing was changed.") and "\n" not in reply, reply
            assert db.read_bytes() == seeded, line
        assert live.say("/undo")["text"] == "You have no change left to undo; nothing was changed."
        assert db.read_bytes() == seeded

        changes = [*NEW_INCIDENT[:4], '/setincident al-hari-2018-06 title="Renamed" lat=34.45 lon=40.91',
                   "/delfact 5", "/addfact al-hari-2018-06 note ‘the coalition’s statement came by e-mail’"]
        for line in changes:
            assert not live.say(line)["text"].endswith("nothing was changed."), line
        assert "Renamed" in live.say("/export")["text"]
        answer = live.say("who denied the al-hari strike?")["text"]
        assert "no record of anyone denying" in answer  # fact #5 is gone until undone
        undone = [live.say("/undo")["text"] for _ in changes]
        assert all(u.startswith("Undone: your /") for u in undone), undone
        assert undone[1].startswith("Undone: your /delfact; fact #5 is back on al-hari-2018-06")
        assert live.say("/export")["text"] == start  # exactly the previous state
        assert "coalition" in live.say("who denied the al-hari strike?")["text"]
    finally:
        live.close()


def test_export_then_import_into_an_empty_database_answers_the_same(curated_db: Path, tmp_path: Path) -> None:
    exported = tmp_path / "incidents.yaml"
    main_py("export", str(exported), "--db", str(curated_db))
    via_console = console(curated_db, ["/export"], admin=True)[0]["text"]
    assert via_console == exported.read_text(encoding="utf-8")

    empty = tmp_path / "empty.json"
    empty.write_text("{}", encoding="utf-8")  # an existing, empty database (not seeded)
    assert "I have no incidents on record yet." in console(empty, ["list incidents"])[0]["text"]
    done = main_py("import", str(exported), "--replace", "--db", str(empty))
    assert "imported 6 incidents and 26 facts" in done.stdout.decode()

    cases = yaml.safe_load((ROOT / "tests" / "questions.yaml").read_text(encoding="utf-8"))["cases"]
    questions = [t["say"] for case in cases for t in case.get("turns", [case])] + MAYADIN_QUESTIONS
    original, imported = console(curated_db, questions), console(empty, questions)
    assert len(original) == len(questions) > 150
    for q, a, b in zip(questions, original, imported):
        assert a == b, q
    assert "at least 23 civilians" in imported[-len(MAYADIN_QUESTIONS)]["text"].lower()
