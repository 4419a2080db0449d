"""`python main.py ingest`: text, HTML and URL articles to a review file; matching with what is known.

The command line runs as a subprocess on real files; URLs are served by a real HTTP server on 127.0.0.1.
"""
from __future__ import annotations

import http.server
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import yaml

from bot.facts.dataset import Dataset, load_dataset, parse_dataset_text
from bot.ingest.extract import Extractor, propose
from bot.ingest.match import match_known
from bot.ingest.reader import Dateline, read_text

ROOT = Path(__file__).resolve().parent.parent
SEED_ARTICLE = ROOT / "data/articles/2018-06-19-afp-beirut.txt"
REUTERS = ROOT / "data/articles/2019-07-03-reuters-tripoli.txt"


def ingest(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "main.py", "ingest", *args, "--db", str(db)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def empty_db(tmp_path: Path) -> Path:
    db = tmp_path / "empty.json"
    db.write_text("{}")
    return db


def claims_of(doc: dict) -> list[dict]:
    return [c for i in doc["incidents"] for c in i.get("claims", [])]


def test_text_article_gives_an_importable_review_file_and_writes_nothing(tmp_path: Path, empty_db: Path) -> None:
    out = tmp_path / "review.yaml"
    run = ingest(str(REUTERS), "--out", str(out), db=empty_db)
    assert run.returncode == 0, run.stderr
    assert empty_db.read_text() == "{}"  # nothing written
    doc = yaml.safe_load(out.read_text())
    tajoura = next(i for i in doc["incidents"] if i["place"]["name"] == "Tajoura")
    assert tajoura["date"] == {"value": "2019-07-02", "precision": "day",
                               "text": "late on Tuesday, in Reuters' report of 3 July 2019", "reported": "2019-07-03"}
    killed = [c for c in tajoura["claims"] if c["kind"] == "casualties"]
    assert {(c["value"]["text"], c["claimant"]) for c in killed} >= {
        ("at least 44", "the United Nations"), ("more than 130", "the United Nations"),
        ("40", "the emergency services"), ("80", "the emergency services")}
    assert all(c["quote"] in REUTERS.read_text() for c in claims_of(doc))  # every claim keeps its sentence
    parse_dataset_text(out.read_text())  # exactly the seed's schema
    target = tmp_path / "target.json"
    target.write_text("{}")
    imported = subprocess.run([sys.executable, "main.py", "import", str(out), "--db", str(target)], cwd=ROOT,
                              capture_output=True, text=True)
    assert imported.returncode == 0 and "imported 3 incidents" in imported.stdout, imported.stderr


def test_the_seed_article_into_the_seeded_database_proposes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "facts.json"  # missing: read as the seed would make it, and not created
    run = ingest(str(SEED_ARTICLE), db=db)
    assert run.returncode == 0, run.stderr
    doc = yaml.safe_load(run.stdout)
    assert doc["incidents"] == [] and doc["parties"] == [] and "Nothing new" in run.stdout
    assert not db.exists()


def test_a_new_claim_about_a_known_incident_is_added_to_it(tmp_path: Path) -> None:
    article = tmp_path / "later.txt"
    article.write_text("date 2018-06-20 Reuters, BEIRUT\n\n"
                       "An air strike on Al-Hari late on Sunday killed 52 fighters, the Syrian Observatory for "
                       "Human Rights said on Wednesday.\n\n"
                       "Iraq's Popular Mobilisation Forces said 22 of its fighters had been killed.\n")
    db = tmp_path / "facts.json"
    subprocess.run([sys.executable, "main.py", "export", "--db", str(db)], cwd=ROOT, capture_output=True, check=True)
    before = db.read_bytes()
    out = tmp_path / "review.yaml"
    run = ingest(str(article), "--out", str(out), db=db)
    assert run.returncode == 0, run.stderr
    assert db.read_bytes() == before
    doc = yaml.safe_load(out.read_text())
    assert [i["id"] for i in doc["incidents"]] == ["al-hari-2018-06"]  # the known incident, not a new one
    figures = {(c["value"]["text"], c["claimant"]) for c in claims_of(doc) if c["kind"] == "casualties"}
    assert figures == {("52", "the Syrian Observatory for Human Rights"), ("22", "Iraq's Popular Mobilisation Forces")}
    run = subprocess.run([sys.executable, "main.py", "import", str(out), "--db", str(db)], cwd=ROOT,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    stored = load_after_export(db, tmp_path)
    assert len([i for i in stored.incidents if i.id == "al-hari-2018-06"]) == 1
    assert {c.value["text"] for c in stored.claims if c.incident == "al-hari-2018-06" and c.kind == "casualties"} >= {"52", "22"}


def load_after_export(db: Path, tmp_path: Path) -> Dataset:
    out = tmp_path / "export.yaml"
    subprocess.run([sys.executable, "main.py", "export", str(out), "--db", str(db)], cwd=ROOT, check=True)
    return load_dataset(out)


HTML = """<!doctype html><html><head><title>Air strike on migrant centre</title>
<meta property="article:published_time" content="2019-07-03T09:00:00Z"></head><body>
<nav><a href="/">Home</a> | <a href="/world">World</a> | Subscribe now for 1 dollar</nav>
<article><h1>Air strike on migrant centre</h1>
<p>TRIPOLI (Reuters) - An air strike hit a detention centre for migrants in the Tripoli suburb of Tajoura late on
Tuesday, killing at least 44 people and wounding more than 130, the United Nations said on Wednesday.</p>
<p>Malek Merset, a spokesman for the emergency services, said 40 people had been killed and 80 wounded.</p>
</article><footer>Copyright 2019. Cookie settings. Subscribe now for 1 dollar.</footer></body></html>"""


def check_html_review(text: str) -> None:
    doc = yaml.safe_load(text)
    assert doc["sources"][0]["publisher"] == "Reuters" and doc["sources"][0]["published"] == "2019-07-03"
    assert doc["incidents"][0]["place"]["name"] == "Tajoura"
    assert {c["value"]["text"] for c in claims_of(doc) if c["kind"] == "casualties"} == {
        "at least 44", "more than 130", "40", "80"}
    assert "Subscribe" not in text and "Cookie" not in text


def test_html_article(tmp_path: Path, empty_db: Path) -> None:
    page = tmp_path / "article.html"
    page.write_text(HTML)
    run = ingest(str(page), db=empty_db)
    assert run.returncode == 0, run.stderr
    check_html_review(run.stdout)


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the http.server API)
        if self.path == "/slow":
            time.sleep(3)
        body = HTML.encode() if self.path != "/huge" else b"<p>" + b"x" * 3_000_000 + b"</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_url_article(site: str, empty_db: Path) -> None:
    run = ingest(f"{site}/world/tajoura", db=empty_db)
    assert run.returncode == 0, run.stderr
    check_html_review(run.stdout)
    assert yaml.safe_load(run.stdout)["sources"][0]["url"] == f"{site}/world/tajoura"


@pytest.mark.parametrize("path, expected", [("/slow", "did not answer within 1 s"), ("/huge", "MB")])
def test_a_slow_or_huge_url_is_one_line(site: str, empty_db: Path, path: str, expected: str) -> None:
    run = ingest(f"{site}{path}", "--timeout", "1", db=empty_db)
    assert run.returncode == 2 and expected in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr


@pytest.mark.parametrize("content, expected", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
    (b"", "no article text"),
    (b"   \n\n  ", "no article text"),
    (b"date 2018-06-19 AFP, BEIRUT\n" + b"An airstrike killed 3 people. " * 180_000, "MB"),
    (b"\xff\xfe\xfa broken", "not UTF-8"),
])
def test_bad_files_are_one_line(tmp_path: Path, empty_db: Path, content: bytes, expected: str) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    run = ingest(str(bad), db=empty_db)
    assert run.returncode == 2 and expected in run.stderr, run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr
    assert empty_db.read_text() == "{}"


def test_an_undated_article_asks_for_date_and_dateline(tmp_path: Path, empty_db: Path) -> None:
    article = tmp_path / "undated.txt"
    article.write_text("An air strike on Marib late on Monday killed 12 people, the health ministry said.\n")
    run = ingest(str(article), db=empty_db)
    assert run.returncode == 2 and "--date" in run.stderr
    run = ingest(str(article), "--date", "2020-03-04", "--dateline", "Reuters, Sanaa", db=empty_db)
    assert run.returncode == 0, run.stderr
    doc = yaml.safe_load(run.stdout)
    assert doc["incidents"][0]["date"]["value"] == "2020-03-02"
    assert doc["sources"][0]["publisher"] == "Reuters" and doc["sources"][0]["dateline"] == "Sanaa"


# ---- the extraction rules, one behaviour each ---------------------------------------------------------

def extract(body: str, published: str = "2018-06-19") -> Dataset:
    article = read_text(body, dateline=Dateline(published, "AFP", "Beirut"))
    return match_known(propose(article), Dataset()).dataset


@pytest.mark.parametrize("when, value, precision", [
    ("just before midnight", "2018-06-18", "day"), ("on Saturday", "2018-06-16", "day"),
    ("last month", "2018-05", "month"), ("In February", "2018-02", "month"), ("yesterday", "2018-06-18", "day"),
    ("on Thursday night", "2018-06-14", "day"), ("in October 2016", "2016-10", "month"),
])
def test_dates_resolve_against_the_report(when: str, value: str, precision: str) -> None:
    assert date(2018, 6, 19).weekday() == 1  # a Tuesday
    article = read_text(f"An airstrike {when} hit Al-Hari, killing 3 people.", dateline=Dateline("2018-06-19", "AFP"))
    got = Extractor(article).resolve_date(article.text)
    assert got is not None and (got.value, got.precision) == (value, precision)


@pytest.mark.parametrize("sentence, measure, qualifier, figure", [
    ("Thirty-eight fighters were killed in the raid, the monitor said.", "killed", "exact", 38),
    ("A dozen fighters were killed in the raid, the monitor said.", "killed", "about", 12),
    ("The raid killed nearly 40 fighters, the monitor said.", "killed", "nearly", 40),
    ("The raid killed at least 100 fighters, the monitor said.", "killed", "at_least", 100),
    ("No fewer than 80 people were killed in the raid, the monitor said.", "killed", "at_least", 80),
    ("More than 350,000 people have been killed in the raid, the monitor said.", "killed", "more_than", 350000),
    ("The raid killed dozens of people, the monitor said.", "killed", "unspecified", None),
    ("Several people were killed and wounded in the raid, the monitor said.", "killed_and_wounded", "unspecified", None),
])
def test_casualty_figures_keep_the_sources_precision(sentence: str, measure: str, qualifier: str,
                                                    figure: int | None) -> None:
    ds = extract(f"An airstrike just before midnight hit Al-Hari. {sentence}")
    [claim] = [c for c in ds.claims if c.kind == "casualties"]
    v = claim.value
    assert (v["measure"], v["qualifier"]) == (measure, qualifier)
    assert next((v[k] for k in ("killed", "low", "high") if v[k] is not None), None) == figure
    assert claim.claimant == "the monitor" and claim.quote == sentence


def test_killed_and_wounded_apart_with_the_speaker_named_before() -> None:
    ds = extract("An airstrike just before midnight hit Al-Hari. Malek Merset, a spokesman for the emergency "
                 "services, said 40 people had been killed and 80 wounded.")
    got = {(c.value["measure"], c.value["text"], c.claimant, c.via) for c in ds.claims if c.kind == "casualties"}
    assert got == {("killed", "40", "the emergency services", "its spokesman, Malek Merset"),
                   ("wounded", "80", "the emergency services", "its spokesman, Malek Merset")}


def test_a_quote_takes_its_speaker_from_the_sentence_before() -> None:
    ds = extract("An airstrike just before midnight hit Al-Hari. Russia's defence ministry denied any involvement. "
                 "“Our aircraft did not fly there,” its spokesman, Igor Konashenkov, said. "
                 "He suggested instead that the cargo had caught fire.")
    denial = [c for c in ds.claims if c.kind == "denial"]
    note = [c for c in ds.claims if c.kind == "note"]
    assert [(c.value, c.claimant) for c in denial] == [("Russia's defence ministry", "Russia's defence ministry")]
    assert ("the cargo had caught fire", "Russia's defence ministry") in [(c.value, c.claimant) for c in note]


def test_a_figure_whose_speaker_is_unknown_is_not_proposed() -> None:
    ds = extract("An airstrike just before midnight hit Al-Hari. It said 12 people were killed.")
    assert [c for c in ds.claims if c.kind == "casualties"] == []


def test_the_outlets_own_words_are_its_claims() -> None:
    ds = extract("An airstrike just before midnight hit Al-Hari, killing nearly 40 pro-regime fighters.")
    [claim] = ds.claims
    assert (claim.kind, claim.value["text"], claim.claimant) == ("casualties", "nearly 40", "AFP")
    assert ds.incidents[0].place.name == "Al-Hari" and ds.incidents[0].date.value == "2018-06-18"


# ---- the review flow on the console: buttons are numbered options ---------------------------------------

ONE_LINE = ("/ingest date 2019-07-03 Reuters, TRIPOLI An air strike hit a detention centre for migrants in the "
            "Tripoli suburb of Tajoura late on Tuesday, killing at least 44 people and wounding more than 130, the "
            "United Nations said on Wednesday. Malek Merset, a spokesman for the emergency services, said 40 "
            "people had been killed and 80 wounded.")


def console(db: Path, lines: list[str], admin: bool = True) -> list[str]:
    run = subprocess.run([sys.executable, "main.py", "console", "--json", "--db", str(db)]
                         + (["--admin"] if admin else []), cwd=ROOT, input="\n".join(lines) + "\n",
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    import json
    return [json.loads(line)["text"] for line in run.stdout.splitlines()]


def test_console_review_accept_skip_and_undo(tmp_path: Path) -> None:
    db = tmp_path / "facts.json"
    out = console(db, [ONE_LINE, "2", "1", "2", "3", "/facts tajoura-2019-07", "/undo", "/facts tajoura-2019-07"])
    overview, first, second, third, done, facts, undone, gone = out
    assert "4 proposed facts from Reuters, 3 July 2019" in overview and "1. casualties: killed: at least 44" in overview
    assert first.startswith("Proposal 1 of 4") and second.startswith("Proposal 2 of 4")
    assert "Added 3 facts" in done and "Skipped 1" in done and "One /undo removes all of it" in done
    assert "3 facts" in facts and "more than 130" not in facts and "source reuters-2019-07-03" in facts
    assert "Undone: your batch of 1 incident (tajoura-2019-07), 3 facts" in undone
    assert "no incident 'tajoura-2019-07'" in gone


def test_console_non_admin_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "facts.json"
    [reply] = console(db, [ONE_LINE], admin=False)
    assert "/ingest needs admin rights; nothing was changed" in reply


def test_an_unnamed_source_is_named_as_the_article_words_it() -> None:
    ds = extract("A chemical attack on the town of Khan Sheikhoun on Tuesday killed at least 58 people, a war "
                 "monitor said. A Syrian military source denied the government had used any toxic substances. "
                 "\"The army has never used them,\" the source said.")
    got = {(c.kind, c.claimant) for c in ds.claims}
    assert got == {("casualties", "a war monitor"), ("denial", "a Syrian military source"),
                   ("note", "a Syrian military source")}
    assert ds.incidents[0].type == "chemical attack" and ds.incidents[0].date.value == "2018-06-19"
    assert not [p for p in ds.parties if p.name.startswith("a ")]  # unnamed sources are no party records


def test_words_said_by_someone_the_rules_cannot_name_are_not_given_to_the_outlet() -> None:
    ds = extract("An airstrike just before midnight hit Al-Hari, killing 12 people, officials said.")
    assert [c for c in ds.claims if c.kind == "casualties"] == []


def test_a_text_far_longer_than_an_article_is_one_line(tmp_path: Path, empty_db: Path) -> None:
    long = tmp_path / "book.txt"
    long.write_text("date 2018-06-19 AFP, BEIRUT\n\n" + "Nothing happened there. " * 2000)
    run = ingest(str(long), db=empty_db)
    assert run.returncode == 2 and "sentences; an article has at most 400" in run.stderr


def test_the_bench_meets_its_targets() -> None:
    """bench/ingest_quality.py on the four bundled articles: recall and precision >= 90% on each."""
    run = subprocess.run([sys.executable, "bench/ingest_quality.py"], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    assert "target recall and precision >= 90% on each article: met" in run.stdout, run.stdout


def test_the_bench_takes_any_pairs(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "bench/ingest_quality.py", "data/articles/2018-06-19-afp-beirut.txt",
                          "data/incidents.yaml"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and "| **2018-06-19-afp-beirut** | **all** |" in run.stdout
    assert "bbc" not in run.stdout.split("\n\n")[0]
