"""Intent matching and incident resolution on paraphrases and typos that are not in the intent files."""
from __future__ import annotations


import pytest
import yaml

from bot.settings import SEED_FILE
from bot.engine import Engine
from bot.understanding.resolver import IncidentIndex
from bot.store import open_store
from bot.text import fold
from bot import answers
from bot.understanding.matcher import INTENT_DIR, IntentMatcher


@pytest.fixture(scope="module")
def matcher() -> IntentMatcher:
    return IntentMatcher.from_dir()


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    store = open_store(tmp_path_factory.mktemp("db") / "facts.json", SEED_FILE)
    return Engine(store)


def test_every_canonical_intent_has_a_file_and_a_handler() -> None:
    names = {yaml.safe_load(p.read_text())["intent"] for p in INTENT_DIR.glob("*.yaml") if p.name != "signals.yaml"}
    assert names <= set(answers.HANDLERS)
    assert names == {"casualties", "blame", "denial", "perpetrator", "location", "date", "victims", "sources",
                     "summary", "list_incidents", "help", "greeting", "thanks", "out_of_scope"}


PARAPHRASES = [
    ("how many ppl got killed", "casualties"),
    ("what's the body count", "casualties"),
    ("how many were hurt", "casualties"),
    ("who did damascus point the finger at", "blame"),
    ("who got the blame", "blame"),
    ("did the americans deny it", "denial"),
    ("who says it wasn't them", "denial"),
    ("who's behind the attack", "perpetrator"),
    ("who conducted it", "perpetrator"),
    ("where exactly did this happen", "location"),
    ("what day did it happen", "date"),
    ("what nationality were the fighters", "victims"),
    ("where does that number come from", "sources"),
    ("tell me what happened", "summary"),
    ("which incidents do you cover", "list_incidents"),
    ("what can I ask you", "help"),
    ("hello there", "greeting"),
    ("thanks a bunch", "thanks"),
    ("what's the weather in paris", "out_of_scope"),
]


@pytest.mark.parametrize(("question", "intent"), PARAPHRASES)
def test_paraphrases_not_in_the_examples_match(matcher: IntentMatcher, question: str, intent: str) -> None:
    examples = {fold(e) for s in matcher.specs.values() for e in s.examples}
    assert fold(question) not in examples
    assert matcher.match(question).intent == intent


@pytest.mark.parametrize(("question", "intent"), [
    ("how mnay peopel were kiled", "casualties"),
    ("who was blaimed", "blame"),
    ("who denyed it", "denial"),
])
def test_typos_still_match(matcher: IntentMatcher, question: str, intent: str) -> None:
    assert matcher.match(question).intent == intent


def test_gibberish_is_below_the_threshold(matcher: IntentMatcher) -> None:
    result = matcher.match("qwxz vbnm plokij")
    assert result.intent is None and result.confidence < matcher.threshold


@pytest.mark.parametrize(("question", "incident"), [
    ("how many died in al hari", "al-hari-2018-06"),
    ("alhari death toll", "al-hari-2018-06"),
    ("el-hari strike", "al-hari-2018-06"),
    ("casualties at Al Hary", "al-hari-2018-06"),
    ("the May 2018 strike", "gov-positions-2018-05"),
    ("Deir el-Zour in Feb 2018", "deir-ezzor-2018-02"),
    ("dier ezzor", "deir-ezzor-2018-02"),
    ("Dayr az-Zawr", "deir-ezzor-2018-02"),
    ("killed in Syria since 2011", "syria-war-toll"),
    ("dashishah", "dashisha-2018-06"),
    ("where does the 38 figure come from", "al-hari-2018-06"),
])
def test_resolves_names_transliterations_and_dates(engine: Engine, question: str, incident: str) -> None:
    res = engine.index.resolve(question, engine.matcher.vocabulary)
    assert res.candidates and res.candidates[0].incident_id == incident
    assert not res.ambiguous


def test_unknown_named_incident_is_reported_as_unknown(engine: Engine) -> None:
    res = engine.index.resolve("How many died in the Srebrenica massacre?", engine.matcher.vocabulary)
    assert res.candidates == [] and res.unknown_name == "srebrenica massacre"


def test_index_scores_only_a_few_candidates_among_many(engine: Engine) -> None:
    from bot.facts.models import Incident, IncidentDate, Place
    many = [Incident(f"town-{n}", f"Strike on Town{n}", place=Place(name=f"Town{n}"),
                     date=IncidentDate(f"2019-{n % 12 + 1:02d}", "month")) for n in range(2000)]
    index = IncidentIndex([*engine.store.incidents(), *many])
    res = index.resolve("how many died in town1234")
    assert res.candidates[0].incident_id == "town-1234"
    assert len(res.candidates) <= 8


@pytest.mark.parametrize("question", ["who was blamed for the Saria", "how many died in Qana"])
def test_a_typo_or_unknown_place_never_borrows_an_incident_through_its_description(engine: Engine,
                                                                                   question: str) -> None:
    reply = engine.answer(question, chat=question)
    assert reply.incident is None and ("no record" in reply.text or reply.choices)  # asks, never assumes


@pytest.mark.parametrize(("question", "place"), [("How many people died in the war in Ukraine?", "ukraine"),
                                               ("death toll of the war in yemen last year", "yemen")])
def test_a_place_we_have_no_record_of_is_said_so_though_other_words_name_an_incident(
        engine: Engine, question: str, place: str) -> None:
    reply = engine.answer(question, chat=question)
    assert reply.incident is None and f"no record of “{place}”" in reply.text and "350,000" not in reply.text


@pytest.mark.parametrize("question", ["hw mny ppl got kiled in teh al harri strke??",
                                      "how many died in tha al hari strike"])
def test_a_misspelt_word_after_in_that_leads_into_a_known_name_is_not_a_place(engine: Engine, question: str) -> None:
    reply = engine.answer(question, chat=question)
    assert reply.incident == "al-hari-2018-06" and "38" in reply.text


@pytest.mark.parametrize(("question", "intent", "incident"), [
    ("wen was the al hari strike", "date", "al-hari-2018-06"),
    ("who denyed the may strik", "denial", "gov-positions-2018-05"),
    ("wher was the febuary strike", "location", "deir-ezzor-2018-02"),
])
def test_misspelt_question_words_and_months_are_read_as_meant(engine: Engine, question: str, intent: str,
                                                               incident: str) -> None:
    reply = engine.answer(question, chat=question)
    assert (reply.intent, reply.incident) == (intent, incident)


def test_after_an_unknown_incident_a_bare_name_keeps_the_question(engine: Engine) -> None:
    engine.answer("How many were killed in the Mosul airstrike of March 2017?", chat="m")
    reply = engine.answer("what about al-hari then?", chat="m")
    assert reply.intent == "casualties" and "38" in reply.text
