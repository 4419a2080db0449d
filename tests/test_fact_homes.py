"""Each fact's incident for a folded file (factfile.FileHomes) behaves as the dict it replaces, for the facts
in the file and for changes since, and the store's fact lookups go through it."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.facts.models import Claim
from bot.settings import SEED_FILE
from bot.store import factfile, open_store


def test_fact_homes_of_a_folded_file_act_as_a_dict(tmp_path: Path) -> None:
    path = tmp_path / "facts.json"
    open_store(path, SEED_FILE).close()  # closing folds: the file is in the fold's layout
    store = open_store(path, SEED_FILE)
    home = store._t.facts.home
    assert isinstance(home, factfile.FileHomes)
    model = dict(home.items())
    assert len(model) == len(home) > 10 and all(k.isdecimal() for k in model)
    first, second = sorted(model, key=int)[:2]
    for mapping in (home, model):
        mapping["900"] = "al-hari-2018-06"  # a new fact
        mapping[first] = "syria-war-toll"  # one moved to another incident
        del mapping[second]
    assert dict(home.items()) == model and len(home) == len(model) and home == model
    listed = list(home)  # the file's in key order, then the changes since
    assert sorted(listed, key=int) == sorted(model, key=int) and len(listed) == len(model)
    for missing in (second, "0", "007", "abc", "9" * 5000, ""):
        assert missing not in home and home.get(missing) is None
    with pytest.raises(KeyError):
        del home[second]
    home[second] = "dashisha-2018-06"  # back again
    assert home[second] == "dashisha-2018-06" and len(home) == len(model) + 1
    store.close()


def test_facts_of_a_folded_file_are_found_deleted_and_added_by_key(tmp_path: Path) -> None:
    path = tmp_path / "facts.json"
    open_store(path, SEED_FILE).close()
    store = open_store(path, SEED_FILE)
    keys = sorted(store._t.keys("claims"), key=int)
    assert store.claim(keys[0]).incident == "al-hari-2018-06"
    store.delete_claim(keys[0], actor="t")
    added = store.add_claim(Claim("", "dashisha-2018-06", "note", "a test note", claimant="tester"), actor="t")
    assert store.claim(keys[0]) is None and store.claim(added.id).incident == "dashisha-2018-06"
    store.close()
    again = open_store(path, SEED_FILE)
    assert again.claim(keys[0]) is None and again.claim(added.id).value == "a test note"
    assert sorted(again._t.keys("claims"), key=int) == sorted(keys[1:] + [added.id], key=int)
    again.close()
