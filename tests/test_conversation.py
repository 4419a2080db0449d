"""Whole answers through the engine: attribution, disagreement, context, choices, unknown incidents."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SEED_FILE
from bot.engine import Engine
from bot.store import open_store


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return Engine(open_store(tmp_path / "facts.json", SEED_FILE))


def test_casualties_lead_with_the_figure_and_show_the_disagreeing_claim(engine: Engine) -> None:
    reply = engine.answer("How many died in the Al-Hari airstrike?")
    assert reply.intent == "casualties" and reply.incident == "al-hari-2018-06"
    assert reply.text.startswith("38 ")
    assert "according to the Syrian Observatory for Human Rights" in reply.text
    assert "Syrian state media" in reply.text and "several" in reply.text and "no number" in reply.text
    assert "<b>38</b>" in reply.body.html()


def test_who_carried_it_out_is_disputed_with_blame_and_denial(engine: Engine) -> None:
    text = engine.answer("who carried out the al-hari strike").text
    assert "Disputed" in text and "blamed the US-led coalition" in text and "denied" in text


def test_follow_up_uses_the_chats_last_incident(engine: Engine) -> None:
    engine.answer("What happened in Al-Hari?", chat="a")
    reply = engine.answer("who denied it?", chat="a")
    assert reply.incident == "al-hari-2018-06" and "coalition" in reply.text


def test_a_bare_new_name_keeps_the_question_and_switches_incident(engine: Engine) -> None:
    engine.answer("how many were killed at al hari", chat="a")
    reply = engine.answer("and in Deir Ezzor?", chat="a")
    assert reply.intent == "casualties" and reply.incident == "deir-ezzor-2018-02" and "100" in reply.text


def test_contexts_are_per_chat(engine: Engine) -> None:
    engine.answer("What happened in Al-Hari?", chat="a")
    reply = engine.answer("who denied it?", chat="b")
    assert reply.incident is None and reply.choices


def test_vague_question_offers_choices_and_the_next_reply_picks(engine: Engine) -> None:
    ask = engine.answer("how many died?", chat="c")
    ids = [c.id for c in ask.choices]
    assert "al-hari-2018-06" in ids and "deir-ezzor-2018-02" in ids and ask.incident is None
    assert engine.answer("the deir ezzor one", chat="c").text.startswith("At least 100")
    engine.answer("how many died?", chat="d")
    number = ids.index("gov-positions-2018-05") + 1
    assert "dozen" in engine.answer(str(number), chat="d").text.lower()


def test_choice_button_answers_the_pending_question_and_forged_ones_are_refused(engine: Engine) -> None:
    ask = engine.answer("who was blamed?", chat="e")
    pick = next(b for b in ask.buttons if b.action == "pick:al-hari-2018-06")
    assert "coalition" in engine.act(pick.action, chat="e").text
    assert "out of date" in engine.act(pick.action, chat="e").text  # already answered
    assert "out of date" in engine.act("pick:../../etc/passwd", chat="e").text


def test_unknown_incident_never_gets_another_incidents_facts(engine: Engine) -> None:
    engine.answer("how many died at al hari", chat="f")  # context must not leak into the unknown one
    reply = engine.answer("How many were killed in the Ghouta chemical attack?", chat="f")
    assert "no record" in reply.text and reply.incident is None
    for figure in ("38", "100", "dozen", "350"):
        assert figure not in reply.text


def test_out_of_scope_and_small_talk(engine: Engine) -> None:
    assert engine.answer("What's the price of bitcoin?").intent == "out_of_scope"
    assert engine.answer("hey").intent == "greeting"
    assert "Al-Hari" in engine.answer("what incidents do you know").text


def test_follow_up_buttons_lead_to_answers_about_the_same_incident(engine: Engine) -> None:
    reply = engine.answer("how many died in al hari")
    labels = {b.label: b.action for b in reply.buttons}
    assert "Who denied it?" in labels
    assert "coalition" in engine.act(labels["Who denied it?"]).text


def test_an_edit_is_answered_as_soon_as_it_is_stored(engine: Engine) -> None:
    from bot.facts.models import Incident, Place
    engine.answer("hi")  # build the index first
    engine.store.add_incident(Incident("qana-1996", "Qana shelling", place=Place(name="Qana")), actor="t")
    assert engine.answer("what happened in qana").incident == "qana-1996"


def test_a_question_about_the_wounded_says_when_no_separate_figure_exists(engine: Engine) -> None:
    text = engine.answer("how many were injured in al hari").text
    assert text.startswith("The reports I have give no separate figure for the wounded")
    assert "several people were killed and wounded" in text and "38" in text


def test_a_name_shared_by_many_incidents_lists_some_and_asks_for_a_date(engine: Engine) -> None:
    from bot.facts.models import Incident, IncidentDate, Place
    for n in range(12):
        engine.store.add_incident(Incident(f"kafr-{n}", f"Kafrnabl shelling {n}", place=Place(name="Kafrnabl"),
                                           date=IncidentDate(f"2019-{n + 1:02d}", "month")), actor="t")
    reply = engine.answer("what happened in kafrnabl")
    assert len(reply.choices) == 8 and "4 more incidents also fit" in reply.text and "date" in reply.text
    assert engine.answer("what happened in kafrnabl in november 2019").incident == "kafr-10"


def test_a_question_about_the_wounded_keeps_its_focus_through_a_choice_and_a_follow_up(engine: Engine) -> None:
    engine.answer("how many were wounded?", chat="w")
    assert engine.answer("1", chat="w").text.startswith("The reports I have give no separate figure for the wounded")
    assert "no separate figure for the wounded" in engine.answer("and in deir ezzor?", chat="w").text


def test_digits_int_cannot_read_never_crash(engine: Engine) -> None:
    assert engine.answer("how many died in \U00010a40 strike", chat="d").text
    engine.answer("how many died?", chat="d")
    assert engine.answer("\u1369", chat="d").text  # Ethiopic digit one: isdigit() but not int()


def test_a_choice_whose_incident_was_deleted_meanwhile_is_not_picked(engine: Engine) -> None:
    from bot.facts.models import Claim, Incident
    engine.store.add_incident(Incident("x-1", "Test strike"), actor="a")
    engine.store.add_claim(Claim("", "x-1", "casualties", {"measure": "killed", "killed": 5, "qualifier": "exact",
                                                           "text": "5"}), actor="a")
    ask = engine.answer("how many died?", chat="g")
    number = [c.id for c in ask.choices].index("x-1") + 1
    engine.store.undo("a")
    engine.store.undo("a")
    assert engine.answer(str(number), chat="g").incident != "x-1"


def test_what_one_source_said_lists_only_its_claims(engine: Engine) -> None:
    text = engine.answer("What did Syrian state media say about Al-Hari?").text
    assert text.startswith("What Syrian state media said about the Al-Hari airstrike")
    assert "several" in text and "blamed the US-led coalition" in text and "Observatory" not in text


def test_naming_a_source_without_asking_what_it_said_answers_the_question(engine: Engine) -> None:
    text = engine.answer("who did syrian state media blame for al-hari").text
    assert text.startswith("Syrian state media") and "denied" in text
