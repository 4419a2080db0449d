"""The console plays any user in any room, through the real console subprocess (`main.py console`):
per-user /undo, per-chat context, the group addressing rule, buttons as numbered options, and the closest
command for a mistyped one.
"""
from __future__ import annotations

from pathlib import Path

from test_console import run
from test_console_admin import console

AL_HARI = "how many died in the al-hari strike?"


def test_each_admin_undoes_only_their_own_change(tmp_path: Path) -> None:
    db = tmp_path / "facts.json"
    out = console(db, ["/asadmin alice", "/addfact al-hari-2018-06 note 'alice was here'",
                       "/asadmin bob", "/addfact al-hari-2018-06 note 'bob was here'", "/whoami",
                       "/asuser carol", "/undo",
                       "/asadmin alice", "/undo", "/undo",
                       "/asadmin bob", "/facts al-hari-2018-06"])
    assert out[0]["text"].startswith("You are now alice, an admin")
    assert out[4]["text"] == "Your user id is bob; you are an admin."
    assert out[5]["text"].startswith("You are now carol, a user (no admin rights)")
    assert out[6]["text"].startswith("/undo needs admin rights; nothing was changed.")
    assert out[8]["text"].startswith("Undone: your /addfact") and "alice was here" in out[8]["text"]
    assert out[9]["text"] == "You have no change left to undo; nothing was changed."  # bob's is not alice's
    assert "bob was here" in out[11]["text"] and "alice was here" not in out[11]["text"]


def test_each_private_chat_and_each_group_keeps_its_own_context(tmp_path: Path) -> None:
    out = console(tmp_path / "facts.json", [
        "/asuser alice", "how many died in deir ezzor in february 2018?",
        "/asuser bob", "who denied it?",  # bob's own chat: no incident yet, so the bot asks which
        "/asuser alice", "who denied it?",  # alice's chat still talks about Deir Ezzor
        "/ingroup", "@incident_bot " + AL_HARI,
        "/asuser bob", "@incident_bot who denied it?",  # the group's context, whoever asks
        "/inprivate", "/whoami"])
    assert out[1]["incident"] == "deir-ezzor-2018-02"
    assert out[3]["incident"] is None and len(out[3]["choices"]) > 1
    assert out[5]["intent"] == "denial" and out[5]["incident"] == "deir-ezzor-2018-02"
    assert out[6]["text"].startswith("You are now alice, a user (no admin rights), in the group #room")
    assert out[7]["incident"] == "al-hari-2018-06"
    assert out[9]["intent"] == "denial" and out[9]["incident"] == "al-hari-2018-06"
    assert out[10]["text"] == "You are now bob, a user (no admin rights), in a private chat with me."
    assert out[11]["text"] == "Your user id is bob; you are a user (no admin rights)."


def test_in_a_group_the_bot_answers_only_when_addressed_as_in_telegram(tmp_path: Path) -> None:
    lines = ["/ingroup lounge",
             AL_HARI,  # not addressed: silence
             "/ask@some_other_bot " + AL_HARI,  # another bot's command
             "@incident_bot " + AL_HARI,
             "/ask " + AL_HARI,  # our command, naming no bot
             "/roll 2d6",  # a command for some other bot
             "/whoami@Incident_Bot",  # case-insensitive
             "/asuser dana",  # the console's own commands work anywhere
             "/inprivate", AL_HARI]
    out = console(tmp_path / "facts.json", lines)
    silent = [n for n, o in enumerate(out) if not o["text"]]
    assert silent == [1, 2, 5]
    assert all(out[n] == {"text": "", "intent": None, "incident": None, "confidence": 0.0, "choices": [],
                          "buttons": []} for n in silent)
    assert out[0]["text"].startswith("You are now console, a user (no admin rights), in the group #lounge")
    for n in (3, 4, 9):
        assert out[n]["intent"] == "casualties" and "38" in out[n]["text"], out[n]
    assert out[6]["text"] == "Your user id is console; you are a user (no admin rights)."

    friendly = run(["console", "--db", str(tmp_path / "facts.json")], b"/ingroup\nhello there\n").stdout.decode()
    assert "(no reply: in a group I answer only when mentioned as @incident_bot" in friendly


def test_buttons_are_numbered_options_and_a_number_presses_one(tmp_path: Path) -> None:
    db = tmp_path / "facts.json"
    out = console(db, ["how many died?", "3", AL_HARI, "2", "/ingroup", "@incident_bot " + AL_HARI, "1"])
    assert len(out[0]["choices"]) > 3 and out[0]["buttons"] == [c["title"] for c in out[0]["choices"]]
    assert out[1]["incident"] == out[0]["choices"][2]["id"] and out[1]["intent"] == "casualties"
    assert out[2]["buttons"][:2] == ["Who was blamed?", "Who denied it?"]
    assert out[3]["intent"] == "denial" and out[3]["incident"] == "al-hari-2018-06"
    # In a group anyone may press a button, without addressing the bot, as in Telegram.
    assert out[6]["intent"] == "blame" and out[6]["incident"] == "al-hari-2018-06"

    friendly = run(["console", "--db", str(db)], (AL_HARI + "\n2\n").encode()).stdout.decode()
    assert "[1] Who was blamed?  [2] Who denied it?" in friendly
    assert "The US-led coalition denied" in friendly.split("[2] Who denied it?", 1)[1]


def test_an_unknown_command_suggests_the_closest_known_one(tmp_path: Path) -> None:
    out = console(tmp_path / "facts.json", ["/halp", "/asusr bob", "/nonsense", "/fact al-hari-2018-06",
                                            "/asadmin", "/fact al-hari-2018-06"])
    assert out[0]["text"].startswith("Unknown command /halp. Did you mean /help?")
    assert out[1]["text"].startswith("Unknown command /asusr. Did you mean /asuser?")
    assert out[2]["text"] == "Unknown command /nonsense. Type /help to see what you can do."
    assert "Did you mean" not in out[3]["text"]  # a user is not pointed at an admin command
    assert out[5]["text"].startswith("Unknown command /fact. Did you mean /facts?")
