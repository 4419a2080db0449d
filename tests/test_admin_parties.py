"""Party admin commands in-process, on a real TinyDB file: /newparty, /setparty, /party, their refusals and /undo."""
from __future__ import annotations

import pytest

from bot.admin import Admin
from bot.commands import Caller, Commands
from bot.store import Store
from test_admin import admin, run, store  # noqa: F401 (the same real-file fixtures as the other admin tests)

# Not in the article: a party an admin adds from another source.
HELMETS = ('white-helmets name="the White Helmets" type=organisation aliases="White Helmets; Syria Civil Defence" '
           'about="a rescue group working in rebel-held areas" source=Reuters based_in="Syria"')


def test_newparty_is_stored_with_its_attributed_description(admin: Admin, store: Store) -> None:
    reply = run(admin, "/newparty " + HELMETS)
    assert reply.startswith("Added party white-helmets:"), reply
    party = store.party("white-helmets")
    assert party and party.name == "the White Helmets" and party.type == "organisation"
    assert party.aliases == ["White Helmets", "Syria Civil Defence"] and party.based_in == "Syria"
    [d] = party.descriptions
    assert d.text == "a rescue group working in rebel-held areas" and store.source(d.source).publisher == "Reuters"
    assert store.audit("alice")[-1]["action"] == "add_party"


def test_party_lists_and_shows_with_sources(admin: Admin) -> None:
    listing = run(admin, "/party")
    assert "12 parties" in listing and "rami-abdel-rahman — Rami Abdel Rahman (person)" in listing
    shown = run(admin, "/party syrian-observatory")
    assert "a Britain-based monitor of the conflict — source afp-2018-06-19 (AFP)" in shown
    assert "based in Britain" in shown and "Members: rami-abdel-rahman." in shown


def test_setparty_changes_fields_and_about_adds_a_description(admin: Admin, store: Store) -> None:
    reply = run(admin, '/setparty brett-mcgurk based_in="Washington" about="the US envoy to the coalition" '
                       'source=afp-2018-06-19')
    assert reply.startswith("Updated party brett-mcgurk:") and "based_in (none) → “Washington”" in reply, reply
    assert "description “the US envoy to the coalition” (afp-2018-06-19) added" in reply
    party = store.party("brett-mcgurk")
    assert party.based_in == "Washington" and len(party.descriptions) == 2
    same = run(admin, '/setparty brett-mcgurk based_in=Washington')
    assert "already has those values; nothing was changed" in same


@pytest.mark.parametrize("line, words", [
    ("/newparty", ["missing the new party's id", "/newparty <id>"]),
    ('/newparty Bad_Id name="X" type=person', ["bad id 'Bad_Id'", "e.g. bad-id"]),
    ('/newparty rami-abdel-rahman name="X" type=person', ["duplicate id", "Rami Abdel Rahman", "/setparty"]),
    ('/newparty x type=person', ["missing name="]),
    ('/newparty x name="X"', ["missing type="]),
    ('/newparty x name="X" type=persn', ["bad type 'persn'", "person, organisation"]),
    ('/newparty x name="X" type=person member_of=syrian-observatori', ["no party 'syrian-observatori'",
                                                                       "did you mean syrian-observatory"]),
    ('/newparty x name="X" type=person about="a monitor"', ["about= needs source="]),
    ('/newparty x name="X" type=person source=afp-2018-06-19', ["give it with about="]),
    ('/newparty x name="X" type=person rol=head', ["unknown key rol=", "did you mean role=?"]),
    ('/newparty x name="X" type=person about="y" source=afp-2018-06-91', ["did you mean afp-2018-06-19?"]),
    ('/setparty rami-abdel-rahmen role=head', ["no party 'rami-abdel-rahmen'", "did you mean rami-abdel-rahman"]),
    ('/setparty Brett-McGurk role=envoy', ["ids are lower-case", "brett-mcgurk"]),
    ('/setparty brett-mcgurk', ["nothing to change"]),
    ('/setparty brett-mcgurk name=""', ["name cannot be empty"]),
    ('/setparty brett-mcgurk member_of=brett-mcgurk', ["cannot be a member of itself"]),
    ('/setparty brett-mcgurk role="x" extra words', ["unexpected 'extra words'"]),
    ('/party nobody-at-all', ["no party 'nobody-at-all'"]),
])
def test_malformed_changes_nothing(admin: Admin, store: Store, line: str, words: list[str]) -> None:
    before = store.path.read_bytes()
    reply = run(admin, line)
    assert reply.startswith(f"/{line.split()[0][1:]}: ") and reply.endswith("nothing was changed."), reply
    assert "\n" not in reply
    for w in words:
        assert w in reply, (w, reply)
    assert store.path.read_bytes() == before


def test_undo_reverts_party_changes_exactly_and_only_ones_own(admin: Admin, store: Store) -> None:
    pristine = store.party("brett-mcgurk")
    run(admin, "/newparty " + HELMETS)
    run(admin, '/setparty brett-mcgurk role="envoy" aliases="McGurk; Brett"')
    run(admin, '/setparty afp based_in="Paris"', actor="bob")
    undone = run(admin, "/undo")
    assert undone.startswith("Undone: your /setparty brett-mcgurk; back to") and "role" in undone, undone
    assert store.party("brett-mcgurk").to_dict() == pristine.to_dict()
    undone = run(admin, "/undo")
    assert undone == "Undone: your /newparty white-helmets (the White Helmets); the party is removed."
    assert store.party("white-helmets") is None and store.source("reuters") is None  # the source it brought is gone too
    assert store.party("afp").based_in == "Paris"  # bob's change stays


def test_party_commands_are_admin_only_and_in_the_admin_menu(store: Store) -> None:
    commands = Commands.for_store(store)
    before = store.path.read_bytes()
    refused = commands.handle("/newparty " + HELMETS, Caller("7", "7", is_admin=False)).text
    assert "needs admin rights" in refused and store.path.read_bytes() == before
    menu = dict(Commands.menu(is_admin=True))
    assert {"/newparty", "/setparty", "/party"} <= set(menu)
    assert "/newparty" not in dict(Commands.menu(is_admin=False))


def test_a_new_party_is_answerable_at_once(store: Store) -> None:
    commands = Commands.for_store(store)
    admin = Caller("1", "1", is_admin=True)
    commands.handle("/newparty " + HELMETS, admin)
    reply = commands.handle("/ask who are the white helmets?", admin).text
    assert "a rescue group working in rebel-held areas" in reply and "Reuters" in reply, reply
