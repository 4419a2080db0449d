"""Admin commands in-process, on a real TinyDB file: parsing, counts, every command and every refusal."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.admin import Admin, AdminError
from bot.admin.lexer import parse_args
from bot.commands import Caller, Commands
from bot.settings import SEED_FILE
from bot.facts.counts import CountError, parse_count, parse_number
from bot.facts.dates import DateError, parse_date
from bot.facts.dataset import parse_dataset_text
from bot.facts.models import Claim
from bot.engine import Engine
from bot.store import Store, open_store

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "incidents.yaml"

NEW = ('mayadin-2018-07 title="Al-Mayadin airstrike" date=2018-07-05 place=“Al-Mayadin” '
       'region="Deir Ezzor Province" country=Syria aliases="Mayadin strike; Al Mayadin raid" type=airstrike')


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "facts.json", SEED)
    yield s
    s.close()


@pytest.fixture
def admin(store: Store) -> Admin:
    return Admin(store)


def run(admin: Admin, line: str, actor: str = "alice") -> str:
    command, _, args = line.lstrip("/").partition(" ")
    return admin.run(command, args, actor).text


def fact_id(reply: str) -> str:
    assert reply.startswith("Added fact #"), reply
    return reply.split("#", 1)[1].split(" ", 1)[0]


# -- argument parsing -------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, positional, options", [
    ('x killed 38', ["x", "killed", "38"], {}),
    ('x killed "at least 100" by="the Observatory"', ["x", "killed", "at least 100"], {"by": "the Observatory"}),
    ('x killed “nearly 40” by=“Syrian state media”', ["x", "killed", "nearly 40"], {"by": "Syrian state media"}),
    ("x killed ‘a dozen’ by=‘the coalition’s press office’", ["x", "killed", "a dozen"],
     {"by": "the coalition’s press office"}),
    ("x denied 'the coalition' by='the coalition's press office'", ["x", "denied", "the coalition"],
     {"by": "the coalition's press office"}),
    ("x blamed the coalition's allies by=Damascus", ["x", "blamed", "the", "coalition's", "allies"], {"by": "Damascus"}),
    ('x  title=""  region=', ["x"], {"title": "", "region": ""}),
    ('x TITLE="Upper"', ["x"], {"title": "Upper"}),
    ('x note "a=b is text"', ["x", "note", "a=b is text"], {}),
    ('x quote="he said \"no\" twice"', ["x"], {"quote": 'he said "no" twice'}),
    ('x quote=“he said "no" twice” by=X', ["x"], {"quote": 'he said "no" twice', "by": "X"}),
    ('x by=“Syrian state media" source=“SANA”', ["x"], {"by": "Syrian state media", "source": "SANA"}),
    ('x blamed "the coalition" in Syria', ["x", "blamed", "the coalition", "in", "Syria"], {}),
    ('x by=„Der Spiegel“', ["x"], {"by": "Der Spiegel"}),
    ('', [], {}),
])
def test_parse_args(text: str, positional: list[str], options: dict[str, str]) -> None:
    args = parse_args(text)
    assert args.positional == positional
    assert args.options == options


@pytest.mark.parametrize("text, why", [
    ('x killed "at least 100', "never closed"),
    ('x title=“Al-Mayadin airstrike', "never closed"),
    ("x by='the coalition", "never closed"),
    ('x by=a by=b', "given twice"),
])
def test_parse_args_errors(text: str, why: str) -> None:
    with pytest.raises(AdminError, match=why):
        parse_args(text)


# -- counts -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, killed, low, high, qualifier", [
    ("38", 38, 38, 38, "exact"),
    ("thirty-eight", 38, 38, 38, "exact"),
    ("twelve", 12, 12, 12, "exact"),
    ("a hundred", 100, 100, 100, "exact"),
    ("two hundred and fifty", 250, 250, 250, "exact"),
    ("1,200", 1200, 1200, 1200, "exact"),
    ("at least 100", None, 100, None, "at_least"),
    ("At least 100", None, 100, None, "at_least"),
    ("nearly 40", None, None, 40, "nearly"),
    ("almost forty", None, None, 40, "nearly"),
    ("about 12", 12, None, None, "about"),
    ("a dozen", 12, None, None, "about"),
    ("two dozen", 24, None, None, "about"),
    ("more than 350,000", None, 350000, None, "more_than"),
    ("over 1.5 million", None, 1500000, None, "more_than"),
    ("several", None, None, None, "unspecified"),
    ("dozens", None, None, None, "unspecified"),
    ("many", None, None, None, "unspecified"),
    ("none", 0, 0, 0, "exact"),
])
def test_parse_count(text: str, killed: int | None, low: int | None, high: int | None, qualifier: str) -> None:
    v = parse_count(text, "killed", who="civilians")
    assert (v["killed"], v["low"], v["high"], v["qualifier"]) == (killed, low, high, qualifier)
    assert v["measure"] == "killed" and v["wounded"] is None and v["who"] == "civilians"
    assert v["text"] == " ".join(text.split())


def test_parse_count_wounded_goes_in_wounded() -> None:
    v = parse_count("about 20", "wounded")
    assert (v["measure"], v["killed"], v["wounded"], v["qualifier"]) == ("wounded", None, 20, "about")


@pytest.mark.parametrize("text", ["lots", "", "12.5", "-3", "twenty thirty", "hundred", "a", "38 people by x",
                                  "1000000000"])
def test_parse_count_errors(text: str) -> None:
    with pytest.raises(CountError):
        parse_count(text)


def test_parse_number() -> None:
    assert parse_number("ninety-nine") == 99
    assert parse_number("one thousand two hundred") == 1200
    assert parse_number("half a dozen") == 6
    assert parse_number("eight thirty") is None


# -- dates ------------------------------------------------------------------------------------------------
def test_parse_date() -> None:
    assert parse_date("2018-06-18") == ("2018-06-18", "day")
    assert parse_date("2018-06") == ("2018-06", "month")
    assert parse_date("2018") == ("2018", "year")
    assert parse_date("unknown") == (None, "unknown")
    for bad in ("2018-02-30", "2018-13", "18-06-2018", "June 2018", "2018/06/18", "1066"):
        with pytest.raises(DateError, match="bad date"):
            parse_date(bad)
    with pytest.raises(DateError, match="future"):
        parse_date("2031-01-01", today=date(2030, 1, 1))


# -- /newincident -----------------------------------------------------------------------------------------
def test_newincident_is_stored_and_answerable(admin: Admin, store: Store) -> None:
    engine = Engine(store)
    assert engine.answer("how many died in the al-mayadin airstrike?").incident is None
    reply = run(admin, "/newincident " + NEW)
    assert reply.startswith("Added incident mayadin-2018-07: “Al-Mayadin airstrike”; type airstrike; "
                            "date 2018-07-05 (day); place Al-Mayadin, Deir Ezzor Province, Syria")
    i = store.incident("mayadin-2018-07")
    assert i is not None and i.title == "Al-Mayadin airstrike" and i.type == "airstrike"
    assert (i.date.value, i.date.precision) == ("2018-07-05", "day")
    assert (i.place.name, i.place.region, i.place.country) == ("Al-Mayadin", "Deir Ezzor Province", "Syria")
    assert i.aliases == ["Mayadin strike", "Al Mayadin raid"]
    entry = store.audit("alice")[-1]
    assert entry["action"] == "add_incident" and entry["before"] is None and entry["after"]["id"] == "mayadin-2018-07"

    fid = fact_id(run(admin, '/addfact mayadin-2018-07 killed "at least 23" who=civilians '
                             'by="the Syrian Observatory for Human Rights" source=afp-2018-06-19'))
    run(admin, '/addfact mayadin-2018-07 blamed "the Russian air force" by="the Observatory"')
    run(admin, "/addfact mayadin-2018-07 denied 'the Russian defence ministry' by='the Russian defence ministry'")
    # The same Engine sees the change at once: its index follows store.version.
    answer = engine.answer("how many died in the al-mayadin airstrike?", "u1")
    assert answer.incident == "mayadin-2018-07" and answer.intent == "casualties"
    assert "at least 23" in answer.text.lower() and "Syrian Observatory for Human Rights" in answer.text
    assert "civilians" in answer.text
    assert "Russian air force" in engine.answer("who was blamed for the mayadin strike?", "u2").text
    assert "Russian defence ministry" in engine.answer("who denied the al mayadin raid?", "u3").text
    assert store.claim(fid).value["low"] == 23


@pytest.mark.parametrize("date_arg, value, precision", [
    ("date=2018-07", "2018-07", "month"), ("date=2018", "2018", "year"), ("", None, "unknown"),
])
def test_newincident_date_precision(admin: Admin, store: Store, date_arg: str, value: str | None,
                                    precision: str) -> None:
    assert run(admin, f'/newincident x-1 title="X" {date_arg}').startswith("Added incident x-1")
    i = store.incident("x-1")
    assert (i.date.value, i.date.precision) == (value, precision)


# -- every refusal: one line, what was wrong and what was expected, and the file is untouched -------------
MALFORMED = [
    # (command line, words the error must contain)
    ("/newincident", ["missing", "id", "/newincident <id>"]),
    ('/newincident al-hari-2018-06 title="Again"', ["duplicate id", "al-hari-2018-06", "Al-Hari airstrike"]),
    ('/newincident Al Mayadin title="X"', ["unexpected", "quotes"]),
    ('/newincident "Al Mayadin" title="X"', ["bad id", "al-mayadin"]),
    ("/newincident mayadin-2018-07", ["missing title="]),
    ('/newincident mayadin-2018-07 title="X" date=2018-02-30', ["bad date", "2018-02-30", "YYYY-MM-DD"]),
    ('/newincident mayadin-2018-07 title="X" date=5/7/2018', ["bad date", "YYYY-MM-DD"]),
    ('/newincident mayadin-2018-07 title="X" date=2999-01-01', ["bad date", "future"]),
    ('/newincident mayadin-2018-07 title="X" colour=red', ["unknown key colour=", "title="]),
    ('/newincident mayadin-2018-07 title="X', ["never closed"]),
    ('/newincident mayadin-2018-07 title="X" lat=100', ["bad lat", "-90 to 90"]),
    ("/addfact", ["missing the incident id, kind and value", "/addfact <incident-id>"]),
    ("/addfact al-hari-2018-06", ["missing the kind and value"]),
    ("/addfact al-hari-2018-06 killed", ["missing the value"]),
    ("/addfact al-hary-2018-06 killed 3", ["no incident 'al-hary-2018-06'", "did you mean al-hari-2018-06"]),
    ("/addfact al-hari killed 3", ["no incident 'al-hari'", "did you mean al-hari-2018-06"]),
    ("/addfact AL-HARI-2018-06 killed 3", ["ids are lower-case", "al-hari-2018-06"]),
    ("/addfact zzzzqqq killed 3", ["no incident 'zzzzqqq'", "expected an incident id"]),
    ("/addfact al-hari-2018-06 kiled 3", ["unknown kind 'kiled'", "did you mean killed", "wounded, blamed"]),
    ("/addfact al-hari-2018-06 casualty 3", ["unknown kind 'casualty'", "expected one of killed"]),
    ('/addfact al-hari-2018-06 killed "lots of"', ["bad number", "lots of", "at least 100"]),
    ("/addfact al-hari-2018-06 killed 12.5", ["bad number", "12.5"]),
    ("/addfact al-hari-2018-06 wounded -4", ["bad number", "-4"]),
    ('/addfact al-hari-2018-06 killed 3 bye="x"', ["unknown key bye=", "did you mean by="]),
    ('/addfact al-hari-2018-06 blamed x who="y"', ["who= only goes with killed or wounded"]),
    ('/addfact al-hari-2018-06 killed 3 source=afp-2018-06-91', ["unknown source id", "did you mean afp-2018-06-19"]),
    ('/addfact al-hari-2018-06 killed 3 source="https://exa mple.com"', ["bad source URL"]),
    ('/addfact al-hari-2018-06 killed “at least 3', ["never closed"]),
    ("/setincident", ["missing the incident id", "/setincident <id> key=value"]),
    ("/setincident al-hari-2018-06", ["nothing to change", "key=value"]),
    ("/setincident al-hary-2018-06 title=X", ["no incident", "did you mean al-hari-2018-06"]),
    ("/setincident al-hari-2018-06 colour=red", ["unknown key colour=", "did you mean country="]),
    ("/setincident al-hari-2018-06 date=2018-6-18", ["bad date", "YYYY-MM-DD"]),
    ("/setincident al-hari-2018-06 lat=91", ["bad lat", "-90 to 90"]),
    ("/setincident al-hari-2018-06 lon=east", ["bad lon", "-180 to 180"]),
    ('/setincident al-hari-2018-06 title=""', ["title cannot be empty"]),
    ('/setincident al-hari-2018-06 title="A" "B"', ["unexpected 'B'"]),
    ("/facts", ["missing the incident id", "al-hari-2018-06"]),
    ("/facts al-harri", ["no incident 'al-harri'", "did you mean al-hari-2018-06"]),
    ("/delfact", ["missing the fact id", "/delfact <fact-id>"]),
    ("/delfact 999", ["no fact #999", "/facts"]),
    ("/delfact 1 2", ["unexpected '2'"]),
    ("/undo everything", ["takes no arguments"]),
    ("/export now", ["takes no arguments"]),
]


@pytest.mark.parametrize("line, words", MALFORMED, ids=[m[0][:50] for m in MALFORMED])
def test_malformed_changes_nothing(admin: Admin, store: Store, line: str, words: list[str]) -> None:
    before = store.path.read_bytes()
    reply = run(admin, line)
    assert "\n" not in reply, reply
    command = line.split()[0]
    assert reply.startswith(f"{command}: ") and reply.endswith("nothing was changed."), reply
    for w in words:
        assert w.lower() in reply.lower(), (w, reply)
    assert store.path.read_bytes() == before


def test_undo_with_nothing_to_undo_changes_nothing(admin: Admin, store: Store) -> None:
    before = store.path.read_bytes()
    assert "no change left to undo" in run(admin, "/undo")
    assert store.path.read_bytes() == before


# -- /addfact ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind, value, stored_kind, stored_value", [
    ("blamed", "the US-led coalition", "blame", "the US-led coalition"),
    ("blame", "the US-led coalition", "blame", "the US-led coalition"),
    ("denied", "the coalition", "denial", "the coalition"),
    ("perpetrator", "the US-led coalition", "perpetrator", "the US-led coalition"),
    ("claimed", "IS claimed the attack", "claim_responsibility", "IS claimed the attack"),
    ("victims", "pro-regime fighters", "victims", "pro-regime fighters"),
    ("note", "the strike hit at night", "note", "the strike hit at night"),
])
def test_addfact_text_kinds(admin: Admin, store: Store, kind: str, value: str, stored_kind: str,
                            stored_value: str) -> None:
    reply = run(admin, f'/addfact dashisha-2018-06 {kind} "{value}" by="Syrian state media" via="citing a source" '
                       f'quote=“We said so.” source=afp-2018-06-19')
    claim = store.claim(fact_id(reply))
    assert (claim.incident, claim.kind, claim.value) == ("dashisha-2018-06", stored_kind, stored_value)
    assert (claim.claimant, claim.via, claim.quote, claim.source) == (
        "Syrian state media", "citing a source", "We said so.", "afp-2018-06-19")
    assert claim.created_by == "alice"
    assert f"{stored_value} — by Syrian state media; via citing a source; source afp-2018-06-19 (AFP)" in reply
    entry = store.audit("alice")[-1]
    assert entry["action"] == "add_claim" and entry["after"]["value"] == stored_value


def test_addfact_casualties(admin: Admin, store: Store) -> None:
    reply = run(admin, '/addfact dashisha-2018-06 wounded “nearly 40” who="SDF fighters" by="the SDF"')
    claim = store.claim(fact_id(reply))
    assert claim.kind == "casualties"
    assert claim.value == {"measure": "wounded", "killed": None, "wounded": None, "low": None, "high": 40,
                           "qualifier": "nearly", "text": "nearly 40", "who": "SDF fighters"}
    assert "wounded: nearly 40 SDF fighters (high 40; qualifier nearly) — by the SDF" in reply
    unquoted = store.claim(fact_id(run(admin, "/addfact dashisha-2018-06 killed at least 100 by=AFP")))
    assert unquoted.value["low"] == 100 and unquoted.value["text"] == "at least 100"


def test_addfact_sources(admin: Admin, store: Store) -> None:
    # An unknown publisher becomes a bare source record, in the same write, and is reused afterwards.
    first = run(admin, '/addfact dashisha-2018-06 killed 3 by="SANA" source="SANA"')
    assert "Recorded a new source sana (publisher SANA)" in first
    assert store.source("sana").publisher == "SANA" and store.claim(fact_id(first)).source == "sana"
    second = run(admin, "/addfact dashisha-2018-06 killed 4 by=SANA source=sana")
    assert "new source" not in second and store.claim(fact_id(second)).source == "sana"
    again = run(admin, "/addfact dashisha-2018-06 killed 5 by=SANA source=Sana")
    assert "new source" not in again and store.claim(fact_id(again)).source == "sana"
    url = "https://www.reuters.com/article/syria-strike"
    third = run(admin, f"/addfact dashisha-2018-06 killed 6 by=Reuters source={url}")
    assert "new source reuters-com (publisher reuters.com, https://www.reuters.com/article/syria-strike)" in third
    assert store.source("reuters-com").url == url
    assert len(store.audit("alice")) == 4  # one entry per change, the sources ride along


def test_undo_of_addfact_removes_the_source_it_created(admin: Admin, store: Store) -> None:
    before = store.dataset().to_yaml()
    run(admin, '/addfact dashisha-2018-06 killed 3 by="SANA" source="SANA"')
    assert store.source("sana")
    reply = run(admin, "/undo")
    assert reply.startswith("Undone: your /addfact") and "and the source sana it added" in reply
    assert store.source("sana") is None
    assert store.dataset().to_yaml() == before


# -- /setincident -----------------------------------------------------------------------------------------
def test_setincident(admin: Admin, store: Store) -> None:
    reply = run(admin, '/setincident al-hari-2018-06 title="Al-Hari air raid" lat=34.45 lon=40.91 '
                       'aliases="Hari raid; Al Hari" summary="A raid." region="" type=raid')
    assert reply.startswith("Updated incident al-hari-2018-06: title “Al-Hari airstrike” → “Al-Hari air raid”")
    assert "lat (none) → 34.45" in reply and "region “eastern Syria” → (none)" in reply
    i = store.incident("al-hari-2018-06")
    assert (i.title, i.place.lat, i.place.lon, i.aliases, i.summary, i.place.region, i.type) == (
        "Al-Hari air raid", 34.45, 40.91, ["Hari raid", "Al Hari"], "A raid.", None, "raid")
    entry = store.audit("alice")[-1]
    assert entry["action"] == "set_incident" and entry["before"]["title"] == "Al-Hari airstrike"


def test_setincident_date_drops_old_wording_unless_given(admin: Admin, store: Store) -> None:
    run(admin, "/setincident al-hari-2018-06 date=2018-06")
    d = store.incident("al-hari-2018-06").date
    assert (d.value, d.precision, d.text, d.reported) == ("2018-06", "month", None, "2018-06-19")
    run(admin, '/setincident al-hari-2018-06 date=2018-06-17 date_text="at dawn"')
    d = store.incident("al-hari-2018-06").date
    assert (d.value, d.precision, d.text) == ("2018-06-17", "day", "at dawn")


def test_setincident_same_values_writes_nothing(admin: Admin, store: Store) -> None:
    before = store.path.read_bytes()
    reply = run(admin, "/setincident al-hari-2018-06 title=“Al-Hari airstrike” country=Syria")
    assert "already has those values" in reply
    assert store.path.read_bytes() == before


# -- /facts, /delfact, /undo, /export ---------------------------------------------------------------------
def test_facts_lists_claims_with_ids(admin: Admin, store: Store) -> None:
    reply = run(admin, "/facts al-hari-2018-06")
    lines = reply.splitlines()
    assert lines[0] == "Al-Hari airstrike (al-hari-2018-06): 8 facts:"
    facts = [ln for ln in lines if ln.startswith("#")]
    assert len(facts) == 8
    assert facts[0].startswith("#1 killed: 38 non-Syrian fighters") and "by the Syrian Observatory" in facts[0]
    assert any(ln.startswith("#5 denied: the US-led coalition — by the coalition's press office") for ln in facts)
    run(admin, '/newincident empty-1 title="Empty"')
    assert "Empty (empty-1): 0 facts." in run(admin, "/facts empty-1")


def test_delfact_and_undo_restore_exactly(admin: Admin, store: Store) -> None:
    before = store.dataset().to_yaml()
    reply = run(admin, "/delfact #5")
    assert reply.startswith("Deleted fact #5 from al-hari-2018-06: denied: the US-led coalition")
    assert store.claim("5") is None
    assert "I have no record of anyone denying" in Engine(store).answer("who denied the al-hari strike?").text
    assert "fact #5 is back on al-hari-2018-06" in run(admin, "/undo")
    assert store.dataset().to_yaml() == before
    assert store.claim("5").value == "the US-led coalition"


def test_undo_walks_back_this_admins_changes_only(admin: Admin, store: Store) -> None:
    start = store.dataset().to_yaml()
    run(admin, "/newincident " + NEW)
    run(admin, "/addfact mayadin-2018-07 killed 5 by=X")
    run(admin, "/setincident mayadin-2018-07 title=Changed lat=35")
    run(admin, "/delfact 3")
    run(admin, "/addfact al-hari-2018-06 note “bob's note”", actor="bob")
    after_bob = store.dataset().to_yaml()

    assert "your /delfact" in run(admin, "/undo")
    assert "your /setincident mayadin-2018-07; back to title “Changed” → “Al-Mayadin airstrike”" in run(admin, "/undo")
    assert "your /addfact; fact #" in run(admin, "/undo")
    assert "your /newincident mayadin-2018-07 (Al-Mayadin airstrike); the incident is removed" in run(admin, "/undo")
    assert "no change left to undo" in run(admin, "/undo")
    assert store.incident("mayadin-2018-07") is None
    assert "bob's note" in store.dataset().to_yaml()  # bob's change stays
    assert "your /addfact" in run(admin, "/undo", actor="bob")
    assert store.dataset().to_yaml() == start
    assert after_bob != start


def test_undo_newincident_refused_while_it_has_facts_of_others(admin: Admin, store: Store) -> None:
    run(admin, "/newincident " + NEW)
    run(admin, "/addfact mayadin-2018-07 killed 5", actor="bob")
    before = store.path.read_bytes()
    reply = run(admin, "/undo")
    assert "has facts now" in reply and reply.endswith("nothing was changed.")
    assert store.path.read_bytes() == before


def test_export_document_round_trips(admin: Admin, store: Store) -> None:
    run(admin, "/newincident " + NEW)
    run(admin, '/addfact mayadin-2018-07 killed “a dozen” source="SANA"')
    reply = admin.run("export", "", "alice")
    assert reply.document is not None and reply.document[0] == "incidents.yaml"
    assert "6 incidents, 22 facts, 2 sources" in reply.text
    data = parse_dataset_text(reply.document[1].decode("utf-8"))
    assert data.to_yaml() == store.dataset().to_yaml()
    assert [i.id for i in data.incidents][-1] == "mayadin-2018-07"


def test_unknown_admin_command(admin: Admin) -> None:
    assert "unknown admin command" in admin.run("dropall", "", "alice").text


def test_concurrent_addfact_from_many_admins_all_land(admin: Admin, store: Store) -> None:
    from concurrent.futures import ThreadPoolExecutor
    lines = [(f"/addfact dashisha-2018-06 killed {n} by=“admin {n % 10}” source=“Outlet {n % 3}”", f"admin{n % 10}")
             for n in range(50)]
    with ThreadPoolExecutor(10) as pool:
        replies = list(pool.map(lambda la: run(admin, *la), lines))
    assert all(r.startswith("Added fact #") for r in replies), replies
    counts = sorted(c.value["killed"] for c in store.claims("dashisha-2018-06") if c.kind == "casualties")
    assert counts == list(range(50))
    assert len({fact_id(r) for r in replies}) == 50
    assert {s.id for s in store.sources()} == {"afp-2018-06-19", "outlet-0", "outlet-1", "outlet-2"}
    reopened = Store(store.path)
    assert len(reopened.claims("dashisha-2018-06")) == 53


@pytest.mark.parametrize("command", [
    "/addfact al-hari-2018-06 killed {big}",
    "/addfact al-hari-2018-06 killx {big}",
    "/facts {big}",
    "/delfact {big}",
    "/newincident {big} title=x",
])
def test_a_pasted_novel_gets_a_short_one_line_error(tmp_path: Path, command: str) -> None:
    store = open_store(tmp_path / "f.json", SEED_FILE)
    before = store.path.read_bytes()
    reply = Commands.for_store(store).handle(command.format(big="9" * 5000),
                                                         Caller("1", "1", is_admin=True))
    assert len(reply.text) < 400 and "\n" not in reply.text and "nothing was changed" in reply.text
    assert store.path.read_bytes() == before


def test_undo_of_a_batch_says_what_it_removed(admin: Admin, store: Store) -> None:
    batch = parse_dataset_text("""\
sources: [{id: reuters-2018-07-06, publisher: Reuters}]
incidents:
  - id: mayadin-2018-07
    title: Al-Mayadin airstrike
    claims: [{kind: note, value: a market was hit, source: reuters-2018-07-06}]
""")
    batch.claims.append(Claim("new", "al-hari-2018-06", "note", "more", source="reuters-2018-07-06"))
    store.add_batch(batch, actor="alice")
    reply = run(admin, "/undo")
    assert reply == ("Undone: your batch of 1 incident (mayadin-2018-07), 2 facts and 1 new source "
                     "(reuters-2018-07-06); all of it is removed.")
    assert store.incident("mayadin-2018-07") is None and "no change left" in run(admin, "/undo")
