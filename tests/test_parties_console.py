"""Questions about people and organisations, and their admin commands, through the console contract
(`main.py console --json` as a subprocess on a fresh database seeded from data/incidents.yaml)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60


def console(db: Path, lines: list[str], admin: bool = False, seed: str = "0") -> list[dict]:
    p = subprocess.run([sys.executable, "main.py", "console", "--json", "--db", str(db), *(["--admin"] if admin else [])],
                       cwd=ROOT, input="\n".join(lines).encode("utf-8") + b"\n", capture_output=True, timeout=TIMEOUT,
                       env={**os.environ, "PYTHONHASHSEED": seed})
    assert p.returncode == 0, p.stderr.decode()
    out = [json.loads(line) for line in p.stdout.decode("utf-8").splitlines()]
    assert len(out) == len(lines)
    return out


# (question, every group must match one alternative, none of these may appear). Each shape, asked as people do.
SHAPES = [
    # who or what X is
    ("Who is Rami Abdel Rahman?", [["head of the Syrian Observatory"], ["according to AFP (19 June 2018)"]], []),
    ("who's mcgurk", [["special envoy for the war against the IS"], ["AFP"]], []),
    ("what is the SOHR", [["a Britain-based monitor of the conflict"], ["Rami Abdel Rahman"]], []),
    ("who is rami abdel rahmn", [["head of the Syrian Observatory"]], []),  # a typo
    ("who is rami", [["Rami Abdel Rahman is the head"]], []),  # one word of a person's name
    ("tell me about the obsevatory", [["Britain-based monitor"]], []),
    ("who is IS?", [["jihadist group"]], []),
    ("what does AFP stand for", [["also called Agence France-Presse"]], []),
    ("who is the coalition", [["AFP (19 June 2018) describes the US-led coalition as"]], []),
    # X's role or job
    ("What is Brett McGurk's job?", [["envoy"]], ["victims"]),
    ("what does the SOHR do", [["monitor of the conflict"]], []),
    # where X is based
    ("Where is the Syrian Observatory for Human Rights based?", [["based in Britain"], ["AFP"]], []),
    ("is the observatory british?", [["Britain"]], []),
    ("where is the coalition based", [["do not say where"]], ["Britain"]),
    # who heads or speaks for an organisation
    ("who is the observatory's head?", [["Rami Abdel Rahman is the head of the Syrian Observatory"]], []),
    ("who runs the observatory", [["Rami Abdel Rahman"]], []),
    ("who speaks for the coalition", [["The coalition's press office is the press office of the US-led coalition"]], []),
    # what X said, across incidents
    ("What did Rami Abdel Rahman say?", [["38"], ["Thirty-eight", "highest death toll"]], ["May 2018"]),
    ("What did the coalition's press office tell reporters?", [["There have been no strikes by US or coalition forces"]],
     []),
    ("what did the observatory say", [["Al-Hari"], ["38"], ["May 2018"], ["blamed the US-led coalition"]], []),
    ("what did mcgurk say", [["no longer controlled by ISIS"]], []),
    ("what did the observatory's head say?", [["What Rami Abdel Rahman said"], ["38"]], []),
    # which incidents X reported on, denied, blamed on Y
    ("Which incidents did the US-led coalition deny?", [["Al-Hari"], ["May 2018"], ["Department of Defense denied"]], []),
    ("what has syrian state media blamed on the coalition?", [["Al-Hari"], ["May 2018"]], ["Deir Ezzor", "Dashisha"]),
    ("Which incidents did the Observatory report on?", [["Al-Hari"], ["May 2018"]], ["Dashisha"]),
    ("What did the Pentagon deny?", [["May 2018"]], ["Al-Hari airstrike ("]),
    ("Which incidents were blamed on the coalition?", [["Al-Hari"], ["May 2018"]], []),
    ("which strikes did the coalition carry out", [["attributed to the US-led coalition"], ["Deir Ezzor"],
                                                   ["Blamed on the US-led coalition, not admitted"], ["Al-Hari"]], []),
    # which outlet published an incident's report
    ("Which outlet published the report on Al-Hari?", [["published by AFP"]], []),
]


def test_every_shape_of_party_question(tmp_path: Path) -> None:
    # One chat, in this order: none of these depends on an earlier answer.
    out = console(tmp_path / "facts.json", [q for q, _, _ in SHAPES])
    for (question, groups, banned), got in zip(SHAPES, out):
        text = got["text"]
        for group in groups:
            assert any(alt.lower() in text.lower() for alt in group), (question, group, text)
        for bad in banned:
            assert bad.lower() not in text.lower(), (question, bad, text)


@pytest.mark.parametrize("question, intent, banned", [
    ("Is Assad a good president?", None, ["38", "350,000", "envoy"]),
    ("who is the president of france", "out_of_scope", ["38", "coalition"]),
    ("tell me about the SDF operation in Hasakeh", "summary", []),
    ("How many died in the strike the Pentagon denied?", None, ["Incidents the US Department of Defense denied"]),
])
def test_questions_that_only_mention_a_party_are_left_to_the_incident_answers(tmp_path: Path, question: str,
                                                                               intent: str | None,
                                                                               banned: list[str]) -> None:
    [got] = console(tmp_path / "facts.json", [question])
    if intent:
        assert got["intent"] == intent, got
    for bad in banned:
        assert bad not in got["text"], got


def test_one_incident_named_or_in_context_keeps_to_that_incident(tmp_path: Path) -> None:
    named, _, followed = console(tmp_path / "facts.json", [
        "what did the observatory say about al-hari", "how many died in al hari",
        "what did the observatory say about it?"])
    for got in (named, followed):
        assert got["incident"] == "al-hari-2018-06" and "38" in got["text"] and "May 2018" not in got["text"], got


def test_answers_do_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    questions = [q for q, _, _ in SHAPES[::3]]
    runs = [console(tmp_path / f"facts{seed}.json", questions, seed=seed) for seed in ("1", "2")]
    assert [o["text"] for o in runs[0]] == [o["text"] for o in runs[1]]


def test_admin_edits_to_parties_are_answered_at_once_and_undone(tmp_path: Path) -> None:
    out = console(tmp_path / "facts.json", [
        '/newparty white-helmets name="the White Helmets" type=organisation aliases="White Helmets; Syria Civil '
        'Defence" about="a rescue group working in rebel-held areas" source=Reuters',
        "who are the white helmets?",
        '/setparty brett-mcgurk based_in=Washington about="the US envoy to the coalition" source=afp-2018-06-19',
        "where is mcgurk based?",
        "/party brett-mcgurk",
        "/undo",
        "where is mcgurk based?",
        "/undo",
        "who are the white helmets?",
        "/setparty rami-abdel-rahmen role=spokesman",
    ], admin=True)
    added, helmets, updated, based, shown, undone, based_again, undone2, helmets_gone, typo = (o["text"] for o in out)
    assert added.startswith("Added party white-helmets")
    assert "a rescue group working in rebel-held areas, according to Reuters" in helmets
    assert updated.startswith("Updated party brett-mcgurk") and "based in Washington" in based
    assert "the US envoy to the coalition — source afp-2018-06-19 (AFP)" in shown
    assert undone.startswith("Undone: your /setparty brett-mcgurk") and "do not say where" in based_again
    assert undone2.startswith("Undone: your /newparty white-helmets") and "rescue group" not in helmets_gone
    assert "did you mean rami-abdel-rahman" in typo and typo.endswith("nothing was changed.")


def test_a_long_list_shows_the_latest_and_counts_the_rest(tmp_path: Path) -> None:
    lines = []
    for n in range(1, 10):
        lines += [f'/newincident town{n}-2019 title="Town{n} shelling" date=2019-0{n}-01 place="Town{n}"',
                  f'/addfact town{n}-2019 killed {n} by="the Syrian Observatory for Human Rights"']
    *_, said = console(tmp_path / "facts.json", [*lines, "what did the observatory say"], admin=True)
    text = said["text"]
    assert "about 11 incidents, the latest 8:" in text and "… and 3 more incidents." in text, text
    assert "Town9 shelling" in text and text.index("Town9") < text.index("Town8")  # latest first
    assert "Town1 shelling" not in text


def test_he_and_his_follow_the_person_last_asked_about(tmp_path: Path) -> None:
    who, said, job, died = console(tmp_path / "facts.json", [
        "who is brett mcgurk?", "what did he say?", "what is his job?", "how many died in al hari"])
    assert "special envoy" in who["text"]
    assert "no longer controlled by ISIS" in said["text"] and said["incident"] == "dashisha-2018-06"
    assert "special envoy" in job["text"]
    assert died["intent"] == "casualties" and "38" in died["text"]
