"""Questions beyond one question about one incident, through the console contract (`main.py console --json`):
across incidents, two in one, comparisons, yes/no, premises, opinions, dates that rule an incident out."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bot.evaluate import load_cases, run_cases
from bot.settings import SEED_FILE
from bot.store import open_store
from bot.facts.models import Claim, Incident, IncidentDate, Place
from bot.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
BREADTH_SCORE = 38  # of 38, with the parties module (bot/parties.py) answering who parties are


def chat(tmp_path: Path, *lines: str) -> list[dict]:
    p = subprocess.run([sys.executable, "main.py", "console", "--json", "--db", str(tmp_path / "f.json")], cwd=ROOT,
                       input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return [json.loads(line) for line in p.stdout.splitlines()]


def test_the_breadth_questions_score_at_least_what_we_reached() -> None:
    outcomes = run_cases(load_cases(ROOT / "tests" / "dev_questions_breadth.yaml"), SEED_FILE)
    right = sum(o.text_ok and (not o.expected or o.expected == o.got) for o in outcomes)
    assert len(outcomes) == 38 and right >= BREADTH_SCORE, [(o.say, o.why) for o in outcomes if not o.text_ok]


def test_a_filter_lists_every_matching_incident_most_recent_first_then_a_follow_up_applies_to_them(
        tmp_path: Path) -> None:
    listed, denied = chat(tmp_path, "Which strikes were blamed on the coalition?", "and who denied them?")
    text = listed["text"]
    assert "which incident do you mean" not in text.lower() and listed["choices"] == []
    assert text.index("Al-Hari airstrike (18 June 2018)") < text.index("May 2018 airstrike")  # most recent first
    assert "Deir Ezzor" not in text  # its claims blame no one
    assert "US-led coalition denied" in denied["text"] and "US Department of Defense denied" in denied["text"]


def test_filters_by_claimant_figure_date_and_type_and_counts(tmp_path: Path) -> None:
    by_source, over_30, month, count, deadliest = chat(
        tmp_path, "which incidents did the observatory report on?", "which strikes killed more than 30 people?",
        "what happened in february 2018?", "how many airstrikes do you know about?", "what was the deadliest strike?")
    assert "Al-Hari" in by_source["text"] and "May 2018" in by_source["text"] and "Dashisha" not in by_source["text"]
    assert "Al-Hari" in over_30["text"] and "Deir Ezzor" in over_30["text"] and "May 2018 air" not in over_30["text"]
    assert month["incident"] == "deir-ezzor-2018-02" and "100" in month["text"]
    assert "I know of 3 airstrikes" in count["text"] and "Dashisha" not in count["text"]
    assert deadliest["text"].index("Deir Ezzor") < deadliest["text"].index("Al-Hari")
    assert "350,000" not in deadliest["text"]  # the war toll is not a strike


def test_two_questions_in_one_are_both_answered_in_order(tmp_path: Path) -> None:
    (both,) = chat(tmp_path, "Who was blamed for the May 2018 strike and who denied it?")
    text = both["text"]
    assert "blamed the US-led coalition" in text and text.rindex("US Department of Defense") > text.index("blamed")
    (where_when,) = chat(tmp_path, "where and when did the al-hari strike happen")
    assert where_when["text"].index("Syrian-Iraqi border") < where_when["text"].index("18 June 2018")


def test_comparisons_put_figures_side_by_side_and_never_pick_a_source(tmp_path: Path) -> None:
    incidents, claimants = chat(tmp_path, "Which was deadlier: Al-Hari or the May 2018 strike?",
                                "do the coalition and state media agree about al-hari?")
    assert "38" in incidents["text"] and "a dozen" in incidents["text"] and "was deadlier" in incidents["text"]
    assert "don't say which source is right" in incidents["text"]
    assert "They disagree" in claimants["text"] and "denied" in claimants["text"]
    (vague,) = chat(tmp_path, "Is the Observatory's figure for Al-Hari higher than state media's?")
    assert "38" in vague["text"] and "gave no number" in vague["text"]


def test_yes_no_leads_with_a_grounded_answer(tmp_path: Path) -> None:
    admit, over_50, place, said = chat(tmp_path, "Did the Pentagon admit the May strike?",
                                       "Were more than 50 killed at Al-Hari?", "Is Dashisha in Hasakeh province?",
                                       "Did state media say how many died at Al-Hari?")
    assert admit["text"].startswith("No: nobody has admitted") and "US Department of Defense denied" in admit["text"]
    assert over_50["text"].startswith("No: 38 killed")
    assert place["text"].startswith("Yes: ")
    assert said["text"].startswith("No: several killed and wounded, no number given")


def test_false_premises_are_corrected_first_and_opinions_get_a_neutral_line(tmp_path: Path) -> None:
    why, figure, lying, assad, sums = chat(
        tmp_path, "Why did the coalition admit the Al-Hari strike?", "The Observatory said 80 died at Al-Hari, right?",
        "Which side is lying about Al-Hari?", "Is Assad a good president?", "what is 12 plus 38")
    assert why["text"].startswith("That is not what the reports say: nobody has admitted")
    assert figure["text"].startswith("No: 38 killed (the Syrian Observatory for Human Rights), not 80.")
    assert lying["text"].startswith("I take no side") and "blamed the US-led coalition" in lying["text"]
    assert assad["intent"] == "out_of_scope" and "38" not in assad["text"]
    assert sums["intent"] == "out_of_scope" and "which incident" not in sums["text"].lower()


def test_a_date_that_does_not_fit_rules_the_incident_out(tmp_path: Path) -> None:
    (strike,) = chat(tmp_path, "How many were killed in the airstrike on Al-Hari in 2016?")
    assert strike["text"] == ("I have no record of an Al-Hari strike in 2016; "
                              "I know of the Al-Hari airstrike of 18 June 2018.")
    assert strike["incident"] is None


def test_real_english_words_are_not_corrected_into_intent_words(tmp_path: Path) -> None:
    than, think = chat(tmp_path, "more dead in deir ezzor than in al-hari?", "I think the Observatory is wrong")
    assert "welcome" not in than["text"] and "100" in than["text"] and "38" in than["text"]
    assert "welcome" not in think["text"] and think["intent"] == "out_of_scope"


def test_filter_indexes_follow_a_change_to_one_incident(tmp_path: Path) -> None:
    store = open_store(tmp_path / "f.json", SEED_FILE)
    engine = Engine(store)
    assert "Mayadin" not in engine.answer("which incidents were blamed on the coalition?").text
    store.add_incident(Incident("mayadin-2018-07", "Al-Mayadin airstrike", "airstrike",
                                IncidentDate("2018-07-05", "day"), Place("Al-Mayadin", country="Syria")), "t")
    store.add_claim(Claim("", "mayadin-2018-07", "blame", "the US-led coalition", claimant="SANA"), "t")
    engine.refresh_index()
    text = engine.answer("which incidents were blamed on the coalition?", chat="2").text
    assert text.index("Al-Mayadin airstrike (5 July 2018): SANA blamed the US-led coalition") < text.index("Al-Hari")


def test_counts_and_dates_across_incidents_ask_what_was_asked(tmp_path: Path) -> None:
    blamed, june, year = chat(tmp_path, "how many strikes got blamed on the coalition",
                              "what happened in june 2018?", "how many incidents were there in 2018")
    assert "I know of 2 strikes" in blamed["text"] and "blamed the US-led coalition" in blamed["text"]
    assert blamed["intent"] == "blame"  # the count is of blamed strikes, not of the dead
    assert "Al-Hari" in june["text"] and "Dashisha" in june["text"] and june["choices"] == []
    assert year["intent"] != "location"  # "were there" is not a misspelt "where"
    assert "I know of 4 incidents" in year["text"]


def test_questions_about_something_else_that_name_a_known_place_are_declined(tmp_path: Path) -> None:
    capital, weather, opinion = chat(tmp_path, "whats the capital of syria", "how's the weather in deir ezzor today?",
                                     "should the US pull out of Syria?")
    for reply in (capital, weather):
        assert reply["intent"] == "out_of_scope" and reply["incident"] is None
    assert "350,000" not in capital["text"] and "100" not in weather["text"]
    assert "no opinions" in opinion["text"] and "350,000" not in opinion["text"]  # a country names no incident


def test_two_questions_typed_as_one_and_they_pointing_at_the_party_just_answered(tmp_path: Path) -> None:
    plus, figure = chat(tmp_path, "how many fighters died in the may strike + who denied responsibility",
                        "who reported the figure of 38 and where are they based?")
    assert "dozen" in plus["text"] and "US Department of Defense denied" in plus["text"]
    assert "38 killed: the Syrian Observatory" in figure["text"] and "Nearly 40" not in figure["text"]
    assert "based in Britain" in figure["text"]
    said, runs, based, where = chat(tmp_path, "what did the observatory say about al hari", "who runs it",
                                    "where are they based?", "where is it?")
    assert "Rami Abdel Rahman is the head" in runs["text"] and "based in Britain" in based["text"]
    assert "took place in" in where["text"]  # "where is it?" in a chat about Al-Hari is still its place


def test_where_the_facts_come_from(tmp_path: Path) -> None:
    agency, dateline, via = chat(tmp_path, "which news agency is all this from", "what's the dateline of the afp report",
                                 "where did syrian state media get its info on al-hari")
    assert "AFP (dateline Beirut, 19 June 2018)" in agency["text"]
    assert "dateline Beirut" in dateline["text"] and dateline["incident"] is None
    assert "citing a military source" in via["text"]
    for asked in ("Where are you getting all this information from?", "where did you get this?"):
        (reply,) = chat(tmp_path, asked)  # a fresh chat: "this" is everything, not an incident to ask about
        assert reply["text"].startswith("My records come from 1 report: AFP"), reply["text"]


def test_comparisons_of_named_or_recent_incidents_and_of_sources_that_agree(tmp_path: Path) -> None:
    agree, fewest = chat(tmp_path, "Do the Observatory and state media agree on who was behind the May strike?",
                         "al-hari, the may one or deir ezzor: which killed the fewest")
    assert "They agree: both blamed the US-led coalition" in agree["text"] and "Al-Hari" not in agree["text"]
    lines = [line for line in fewest["text"].splitlines() if line[:2] in ("1.", "2.", "3.")]
    assert len(lines) == 3 and "May 2018" in lines[0] and "Deir Ezzor" in lines[2]
    *_, worse = chat(tmp_path, "how many died in deir ezzor in feb 2018", "and at al-hari?", "which was worse")
    assert "Deir Ezzor was deadlier" in worse["text"].replace("\n", " ")


def test_yes_no_checks_places_and_what_someone_is_said_to_have_said(tmp_path: Path) -> None:
    place, mcgurk, media = chat(tmp_path, "is dashisha in deir ezzor", "mcgurk said the coalition hit al-hari didnt he",
                                "state media said the coalition hit al-hari, didn't they?")
    assert place["text"].startswith("No: ") and "Hasakeh" in place["text"] and place["choices"] == []
    assert mcgurk["text"].startswith("No: I have no record of Brett McGurk saying anything about the Al-Hari")
    assert media["text"].startswith("Yes: Syrian state media blamed the US-led coalition")
    assert "denied responsibility" in media["text"]  # and the denial beside it


def test_who_died_and_which_type_filter_across_incidents(tmp_path: Path) -> None:
    russians, civilians, strikes, hasakeh = chat(tmp_path, "how many russians died", "were any civilians killed",
                                                 "which strikes do you know about", "any strikes in hasakeh?")
    assert "Deir Ezzor" in russians["text"] and "Al-Hari" not in russians["text"] and russians["choices"] == []
    assert "no record of incidents with civilians" in civilians["text"]
    assert strikes["intent"] == "list_incidents" and "Dashisha" not in strikes["text"]
    assert "350,000" not in strikes["text"] and "Al-Hari" in strikes["text"]
    assert "no record of strikes in Hasakeh" in hasakeh["text"]  # as the user wrote it, not an index key


def test_yes_no_on_words_no_report_uses_and_on_figures_written_as_comparisons(tmp_path: Path) -> None:
    arrested, higher, figure = chat(tmp_path, "was anyone arrested for the al-hari strike",
                                    "is the war toll higher than 300000", "is the 38 figure from the observatory")
    assert arrested["text"].startswith("The reports I have do not say") and "arrested" in arrested["text"]
    assert higher["text"].startswith("Yes: more than 350,000 killed")
    assert figure["text"].startswith("Yes: 38 killed (the Syrian Observatory")


def test_a_trailing_wh_word_and_two_sources_compared_without_naming_the_incident(tmp_path: Path) -> None:
    who_when, differ = chat(tmp_path, "who carried out the dashisha operation and when",
                            "what's the difference between the observatory's and afp's numbers")
    assert "Syrian Democratic Forces" in who_when["text"] and "June 2018" in who_when["text"]
    assert "Their figures differ: 38" in differ["text"] and differ["incident"] == "al-hari-2018-06"


def test_unknown_places_and_unreported_facts_about_a_person_are_said_to_be_unknown(tmp_path: Path) -> None:
    aleppo, age = chat(tmp_path, "was there an airstrike in aleppo in 2016", "how old is bashar al-assad")
    assert "I have no record of" in aleppo["text"] and "aleppo" in aleppo["text"].lower()
    assert age["text"].startswith("The reports I have do not say that about Bashar al-Assad")
    assert "Syrian President" in age["text"]


def test_tolls_added_up_and_opinions_on_parties_show_what_they_dispute(tmp_path: Path) -> None:
    named, deadliest, least, both, lying = chat(
        tmp_path, "add up the deaths from al-hari, the may strike and the feb deir ezzor strikes",
        "deadliest airstrike?", "and the least deadly one?", "how many is that for both together",
        "ok real talk who's lying here, the coalition or syria")
    assert "comes to 152" in named["text"] and "I only add them up" in named["text"]
    assert "comes to 112" in both["text"]  # the two incidents just answered: 100 and a dozen
    assert lying["text"].startswith("I take no side") and "denied responsibility" in lying["text"]
    *_, single = chat(tmp_path, "how many died at al-hari in total")
    assert "Added up" not in single["text"] and single["incident"] == "al-hari-2018-06"
    *_, corrected = chat(tmp_path, "what happened in the al hari strike in 2016", "oh my bad, i meant 2018")
    assert corrected["incident"] == "al-hari-2018-06"


def test_latest_unknown_names_and_out_of_scope_with_a_known_name(tmp_path: Path) -> None:
    latest, raqqa, restaurant, pentagon = chat(
        tmp_path, "how many died in the latest strike", "anything on the raqqa airstrikes from october 2017?",
        "can u recommend a decent restaurant in beirut", "What did the Pentagon say about the May airstrike?")
    assert latest["text"].startswith("The most recent I know of is the Al-Hari airstrike") and "38" in latest["text"]
    assert "no record" in raqqa["text"] and "raqqa" in raqqa["text"].lower()
    assert restaurant["intent"] == "out_of_scope"
    assert "US Department of Defense denied" in pentagon["text"]  # a party's name is no unknown incident
    (actually,) = chat(tmp_path, "What did the US Department of Defense actually say about the May strike?")
    assert "US Department of Defense denied" in actually["text"]  # "actually" is no question of who did it


def test_follow_ups_on_one_listed_incident_a_month_and_a_bare_source(tmp_path: Path) -> None:
    *_, that_one = chat(tmp_path, "list the airstrikes you know about", "which of those did the pentagon deny?",
                        "how many died in that one")
    assert "dozen" in that_one["text"] and that_one["choices"] == []
    *_, june = chat(tmp_path, "how many died in deir ezzor in feb 2018?", "sorry i meant the june one")
    assert june["incident"] == "al-hari-2018-06"  # the June incident with figures, not the capture
    *_, observatory = chat(tmp_path, "did state media put a number on the al-hari dead?", "what about the observatory?")
    assert "38" in observatory["text"] and observatory["incident"] == "al-hari-2018-06"


def test_which_of_two_incidents_came_first_says_so_only_when_the_dates_tell(tmp_path: Path) -> None:
    same_month, apart = chat(tmp_path, "dashisha and al-hari, which came first?", "which came first, deir ezzor or al-hari")
    assert same_month["text"].startswith("The dates the reports give do not tell") and "a day before" in same_month["text"]
    assert apart["text"].startswith("By the dates the reports give, the February 2018 coalition airstrikes")
    # no intent's key word in it, and the matcher's best guess is "out of scope": two incidents weighed still win
    for asked in ("Which came first: the SDF taking Dashisha or the Al-Hari strike?",
                  "which came first, Dashisha or the Al-Hari strike?"):
        (reply,) = chat(tmp_path, asked)
        assert reply["text"].startswith("The dates the reports give do not tell") and "a day before" in reply["text"]


def test_a_claim_about_who_a_party_is_is_met_with_what_the_reports_say_of_them(tmp_path: Path) -> None:
    mouthpiece, president, based = chat(
        tmp_path, "the observatory is just an assad mouthpiece sitting in damascus isnt it",
        "rami abdel rahman is the president of syria correct?", "Is the Observatory based inside Syria?")
    assert mouthpiece["text"].startswith("The reports I have do not say that about the Syrian Observatory")
    assert "Britain-based monitor" in mouthpiece["text"] and "Assad" not in mouthpiece["text"]
    assert "head of the Syrian Observatory" in president["text"] and "outside what I cover" not in president["text"]
    assert "based in Britain" in based["text"]


def test_what_a_person_said_about_an_incident_includes_what_they_said_for_their_organisation(
        tmp_path: Path) -> None:
    rami, mcgurk, tv = chat(tmp_path, "what did rami abdel rahman say about al-hari",
                            "what did mcgurk say regarding dashisha?", "wot did syrian state tv claim")
    assert rami["incident"] == "al-hari-2018-06" and "Rami Abdel Rahman" in rami["text"]
    assert "38" in rami["text"] and "highest death toll" in rami["text"]
    assert "four years" in mcgurk["text"]
    assert "Syrian state media" in tv["text"] and "blamed the US-led coalition" in tv["text"]


def test_an_incident_named_by_who_died_in_it_or_by_who_denied_it(tmp_path: Path) -> None:
    first, corrected = chat(tmp_path, "how many died in al-hari", "no wait, I mean the one where russians died")
    assert first["incident"] == "al-hari-2018-06"
    assert corrected["incident"] == "deir-ezzor-2018-02" and "at least 100" in corrected["text"].lower()
    denied, pentagon, blamed = chat(tmp_path, "How many died in the strike the coalition denied?",
                                    "who blamed the coalition for the strike the pentagon denied?",
                                    "when was the bombing that killed iraqis")
    assert denied["incident"] == "al-hari-2018-06" and "38" in denied["text"]
    assert pentagon["incident"] == "gov-positions-2018-05" and "blamed the US-led coalition" in pentagon["text"]
    assert blamed["incident"] == "al-hari-2018-06" and "18 June 2018" in blamed["text"]


def test_dates_relative_to_an_incident_and_dates_with_no_incident(tmp_path: Path) -> None:
    deadlier, before = chat(tmp_path, "which was deadlier - al-hari or the strike the month before?",
                            "what happened the month before the al-hari strike?")
    (empty,) = chat(tmp_path, "anything in march 2018?")
    assert "May 2018 airstrike" in deadlier["text"] and "Al-Hari airstrike was deadlier" in deadlier["text"]
    assert before["incident"] == "gov-positions-2018-05"
    assert empty["text"] == "I have no record of incidents in March 2018."


def test_who_said_the_words_a_question_quotes_and_how_many_more_died(tmp_path: Path) -> None:
    press, observatory, mcgurk, more = chat(
        tmp_path, "who said there were no strikes in that area?", "who said al-hari was the deadliest since february?",
        "who called dashisha a notorious transit town?", "how many more died at deir ezzor than al-hari?")
    assert press["text"].startswith("On the Al-Hari airstrike, the coalition's press office said so:")
    assert observatory["text"].startswith("On the Al-Hari airstrike, the Syrian Observatory for Human Rights said")
    assert mcgurk["incident"] == "dashisha-2018-06" and "Brett McGurk" in mcgurk["text"]
    assert "100 against 40 for the Al-Hari airstrike, a difference of 60" in more["text"]


def test_two_questions_after_a_question_mark_prefaces_and_incidents_compared_on_one_kind_of_claim(
        tmp_path: Path) -> None:
    (two,) = chat(tmp_path, "what did mcgurk say? and whats his job")
    assert "four years" in two["text"] and "special envoy" in two["text"]
    (prefaced,) = chat(tmp_path, "Two things: where exactly was the Al Hari raid, and who were the people killed there?")
    assert "Syrian-Iraqi border" in prefaced["text"] and "Non-Syrian fighters" in prefaced["text"]
    denials, order = chat(tmp_path, "how are the denials for al-hari and the may strike different",
                          "did the feb strikes happen before or after the may one?")
    assert "• Al-Hari airstrike (18 June 2018): the US-led coalition denied responsibility" in denials["text"]
    assert "the US Department of Defense denied responsibility" in denials["text"] and "killed" not in denials["text"]
    assert order["text"].startswith("By the dates the reports give, the February 2018 coalition airstrikes")


def test_filters_on_a_place_no_incident_has_a_singular_any_and_who_died(tmp_path: Path) -> None:
    aleppo, fewer, russians, person = chat(
        tmp_path, "was there any strike in aleppo?", "I'm looking for any strike where fewer than 20 people were killed.",
        "any russians among the dead?", "who is hassan nasrallah")
    assert aleppo["text"] == "I have no record of strikes in Aleppo."
    assert "May 2018 airstrike" in fewer["text"] and "Al-Hari" not in fewer["text"]
    assert "including Russians" in russians["text"] and "Al-Hari" not in russians["text"]
    assert person["text"].startswith("I have no record of anyone called Hassan Nasrallah")
    assert person["incident"] is None


def test_who_a_party_blamed_when_it_blamed_no_one_and_damascus_as_the_syrian_government(tmp_path: Path) -> None:
    observatory, damascus, place = chat(tmp_path, "who did the observatory blame for al-hari?",
                                        "what did damascus accuse the coalition of?", "any strikes in aleppo?")
    assert observatory["text"].startswith("The reports I have do not say: I have no claim that")
    assert "blamed anyone for the Al-Hari airstrike" in observatory["text"]
    assert "Syrian state media blamed the US-led coalition" in observatory["text"]
    assert damascus["text"].startswith("Incidents blamed on the US-led coalition according to the Syrian government")
    assert "Al-Hari" in damascus["text"] and "May 2018" in damascus["text"]
    assert place["text"] == "I have no record of strikes in Aleppo."


def test_same_question_for_another_incident_then_in_total_tell_me_more_and_why(tmp_path: Path) -> None:
    _, same, total, more, why = chat(tmp_path, "how many died at al hari", "same question for deir ezzor",
                                     "how many in total?", "tell me more", "why?")
    assert same["incident"] == "deir-ezzor-2018-02" and "At least 100" in same["text"]
    assert "of 2 incidents comes to 140" in total["text"] and "350,000" not in total["text"]
    assert more["intent"] == "summary"
    assert why["text"].startswith("The reports I have do not say why")


def test_someone_no_report_names_as_the_one_who_did_it_and_victims_no_report_names(tmp_path: Path) -> None:
    turkey, russia, civilians = chat(tmp_path, "Did Turkey deny the May strike?", "why did russia bomb deir ezzor?",
                                     "how many civilians died at al-hari?")
    assert "I have no claim that Turkey denied the May 2018 airstrike" in turkey["text"]
    assert not turkey["text"].startswith("Yes")
    assert russia["text"].startswith("That is not what the reports say: I have no claim that Russia carried out")
    assert "the US-led coalition carried it out (AFP)" in russia["text"]
    assert civilians["text"].startswith("The reports I have do not say that any civilians were among the dead")
    assert "38" in civilians["text"]


def test_comparisons_asked_yes_or_no_the_earliest_and_places_no_incident_has_in_a_list(tmp_path: Path) -> None:
    earlier, deadlier, earliest, shown = chat(
        tmp_path, "the february strike was earlier than the may one, right?", "was the may strike deadlier than al-hari?",
        "earliest airstrike you know of", "Show me the strikes where more than 30 people were reported killed.")
    assert earlier["text"].startswith("Yes, by what the reports say:")
    assert deadlier["text"].startswith("No, by what the reports say:") and "40 against 12" in deadlier["text"]
    assert earliest["text"].startswith("The earliest I know of is the February 2018 coalition airstrikes")
    assert "Al-Hari" in shown["text"] and "Deir Ezzor" in shown["text"] and "May 2018 air" not in shown["text"]
    north, julani, both = chat(tmp_path, "is dashisha north or south of al hari", "who is abu mohammad al-julani",
                               "I want both sides on Al-Hari: what does Damascus say, and what does the coalition say?")
    assert "to the north of Al-Hari" in north["text"] and not north["text"].startswith("No")
    assert julani["text"].startswith("I have no record of anyone called Abu Mohammad Al Julani")
    assert both["text"].index("What Syrian state media said") < both["text"].index("What the US-led coalition said")


def test_the_other_one_two_parties_in_one_filter_and_a_date_that_moves_to_another_incident(tmp_path: Path) -> None:
    listed, may, other = chat(tmp_path, "Which strikes did the coalition or the Pentagon deny?",
                              "who blamed the may one?", "and the other one?")
    assert "Al-Hari" in listed["text"] and "May 2018" in listed["text"]
    assert may["incident"] == "gov-positions-2018-05" and other["incident"] == "al-hari-2018-06"
    assert "Syrian state media" in other["text"]
    _, february = chat(tmp_path, "al-hari death toll pls", "no, I meant the one in february")
    assert february["text"].startswith("On the February 2018 coalition airstrikes in Deir Ezzor:")
    _, _, based = chat(tmp_path, "who is rami abdel rahman?", "what did he say about al hari", "where is his group based")
    assert "based in Britain" in based["text"]


def test_what_someone_no_report_quotes_said(tmp_path: Path) -> None:
    russian, iranian = chat(tmp_path, "what did the russian defense ministry say about al hari?",
                            "what did the iranian government say about the may strike")
    assert russian["text"].startswith("The reports I have do not say: I have no record of the Russian Defense "
                                      "Ministry saying anything about the Al-Hari airstrike")
    assert "the reports quote the Syrian Observatory for Human Rights" in russian["text"]
    assert "Iranian Government saying anything about the May 2018 airstrike" in iranian["text"]


def test_what_breadth_set_5_missed_on_its_first_run(tmp_path: Path) -> None:
    blamed, same, fewer, assad, russians, may = chat(
        tmp_path, "which attacks has the coalition been blamed for?",
        "Was it the same side denying the Al-Hari strike and the May strike?",
        "may strike or the deir ezzor ones: which killed fewer ppl", "who's bashar al-assad according to your source",
        "were russians killed in deir ezzor", "Did the coalition carry out the May strike?")
    assert "Al-Hari" in blamed["text"] and "May 2018" in blamed["text"] and "no record" not in blamed["text"]
    assert "US Department of Defense denied" in same["text"] and "blamed" not in same["text"]
    assert "the May 2018 airstrike on Syrian government positions was less deadly" in fewer["text"]
    assert "Syrian President" in assad["text"]
    assert russians["text"].startswith("Yes:") and "including Russians" in russians["text"]
    assert may["text"].startswith("Disputed:") and "US Department of Defense denied" in may["text"]
    maths, arabic = chat(tmp_path, "quick maths: 38 x 12 = ?", "how do you say airstrike in arabic")
    assert "outside what I cover" in maths["text"] and "outside what I cover" in arabic["text"]


def test_responses_as_nouns_attributions_first_and_questions_split_at_a_dash(tmp_path: Path) -> None:
    russian, coalition, both = chat(
        tmp_path, "What was the Russian defence ministry's response to Deir Ezzor?",
        "what was the coalition's response to al-hari",
        "According to the coalition, who died at Al-Hari - and did it own up to the strike?")
    assert "I have no record of the Russian Defence Ministry saying anything about the February 2018" in russian["text"]
    assert coalition["text"].startswith("What the coalition's press office said about the Al-Hari airstrike")
    assert "Members of a pro-regime Iraqi militia, according to the coalition's press office" in both["text"]
    assert both["text"].index("Iraqi militia") < both["text"].index("nobody has admitted")


def test_a_statement_before_a_question_is_checked_as_a_premise(tmp_path: Path) -> None:
    sdf, coalition = chat(tmp_path, "The SDF killed 38 people at Al-Hari. What was their motive?",
                          "The coalition killed 80 people at Al-Hari. Why did they do it?")
    assert sdf["text"].startswith("The reports I have do not say: I have no claim that the Syrian Democratic Forces "
                                  "carried out the Al-Hari airstrike")
    assert sdf["text"].rstrip().endswith("The reports I have do not say why; they say who claims what.")
    assert coalition["text"].startswith("No:") and "not 80" in coalition["text"]
    (dr,) = chat(tmp_path, "Dr. Smith asked how many died at al hari")  # a full stop inside a name splits nothing
    assert "38 non-Syrian fighters" in dr["text"]


def test_out_of_scope_with_a_date_and_no_incident_is_declined(tmp_path: Path) -> None:
    joke, weather = chat(tmp_path, "tell me a joke from 2017", "whats the weather in june 2018")
    assert "outside what I cover" in joke["text"] and "outside what I cover" in weather["text"]
