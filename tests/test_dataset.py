"""The YAML format (seed file, import) validates dates and coordinates with the admin commands' own rules."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.facts.dataset import DatasetError, parse_dataset_text

ROOT = Path(__file__).resolve().parent.parent
INCIDENT = """
incidents:
  - id: x-2018
    title: X strike
    date: {{value: "{date}", precision: {precision}}}
    place: {{name: X, lat: {lat}, lon: {lon}}}
"""


def doc(date: str = "2018-06-18", precision: str = "day", lat: str = "null", lon: str = "null") -> str:
    return INCIDENT.format(date=date, precision=precision, lat=lat, lon=lon)


def test_a_good_incident_loads_with_numeric_coordinates() -> None:
    ds = parse_dataset_text(doc(lat='"34.5"', lon="40.9"))
    assert (ds.incidents[0].place.lat, ds.incidents[0].place.lon) == (34.5, 40.9)


@pytest.mark.parametrize("date, precision, why", [
    ("2018-13-45", "day", "no such day or month"), ("2018-02-30", "day", "no such day"),
    ("2018-13", "month", "no such day or month"), ("2018-06", "day", "does not fit precision"),
    ("3018", "year", "future"), ("2018", "sometime", "precision must be one of"),
])
def test_impossible_dates_are_refused(date: str, precision: str, why: str) -> None:
    with pytest.raises(DatasetError, match=why):
        parse_dataset_text(doc(date, precision))


@pytest.mark.parametrize("lat, lon", [("north", "40"), ("34", "500"), ("91", "0"), (".nan", "0"), ("true", "0")])
def test_impossible_coordinates_are_refused(lat: str, lon: str) -> None:
    with pytest.raises(DatasetError, match=r"bad (lat|lon)"):
        parse_dataset_text(doc(lat=lat, lon=lon))


def test_import_refuses_what_addfact_refuses_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(doc("2018-13-45"), encoding="utf-8")
    db = tmp_path / "facts.json"
    run = subprocess.run([sys.executable, "main.py", "import", str(bad), "--db", str(db)], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "no such day or month" in run.stderr and "Traceback" not in run.stderr
    assert "nothing was imported" in run.stderr and not db.exists()
