"""Odd database files, through main.py as an operator meets them: a symlink, a read-only file or folder,
valid JSON of the wrong shape. Each is one line naming the file and exit code 2, and the file is untouched;
a symlinked database is written through to the file it points to, and locked as that file. And what the bot
writes beside the default database is never offered to git."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ADD = '/addfact al-hari-2018-06 note "written through the link"\n'


def main_py(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "INCIDENT_BOT_DB"}
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, input=stdin, capture_output=True,
                          text=True, timeout=60, env=env)


def assert_one_line(result: subprocess.CompletedProcess[str], db: Path, *words: str) -> None:
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(db) in lines[0] and all(w in lines[0] for w in words), lines[0]


@pytest.fixture
def real(tmp_path: Path) -> Path:
    path = tmp_path / "real" / "facts.json"
    path.parent.mkdir()
    assert main_py("ask", "--db", str(path), "hello").returncode == 0  # created and seeded
    return path


def test_symlinked_database_is_written_through_and_locked_as_the_real_file(real: Path, tmp_path: Path) -> None:
    link = tmp_path / "link.json"
    link.symlink_to(real)
    added = main_py("console", "--admin", "--json", "--db", str(link), stdin=ADD)
    assert added.returncode == 0 and "Added fact" in added.stdout, added
    assert link.is_symlink() and os.readlink(link) == str(real)  # the link survives the atomic rename
    assert b"written through the link" in real.read_bytes()

    holder = subprocess.Popen([sys.executable, "main.py", "console", "--admin", "--db", str(link)], cwd=ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().startswith("incident-bot console")
        assert_one_line(main_py("console", "--admin", "--db", str(real), stdin="/whoami\n"), real,
                        "in use by another process")
    finally:
        holder.kill()
        holder.wait(timeout=10)


@pytest.fixture
def read_only(real: Path) -> Iterator[Path]:
    real.chmod(0o444)
    yield real
    real.chmod(0o644)


def test_read_only_file_is_refused_for_writing_and_still_answers(read_only: Path) -> None:
    before = read_only.read_bytes()
    # Root may write any file, so the bot goes by the mode bits too (tests run as root; as a plain user the
    # OS refuses as well, which takes the same path).
    assert_one_line(main_py("console", "--admin", "--db", str(read_only), stdin=ADD), read_only, "read-only")
    assert_one_line(main_py("import", str(ROOT / "data" / "incidents.yaml"), "--db", str(read_only)),
                    read_only, "read-only")
    user = main_py("console", "--json", "--db", str(read_only), stdin="/asadmin\n" + ADD)
    assert user.returncode == 0 and "read-only" in user.stdout.splitlines()[1], user
    asked = main_py("ask", "--db", str(read_only), "how many died in al hari?")
    assert asked.returncode == 0 and "38" in asked.stdout
    assert read_only.read_bytes() == before and stat.S_IMODE(read_only.stat().st_mode) == 0o444


@pytest.fixture
def read_only_folder(real: Path) -> Iterator[Path]:
    real.parent.chmod(0o555)
    yield real.parent
    real.parent.chmod(0o755)


def test_database_in_a_read_only_folder_is_one_line(read_only_folder: Path, real: Path) -> None:
    before = real.read_bytes()
    assert_one_line(main_py("console", "--admin", "--db", str(real), stdin=ADD), real, "read-only")
    missing = read_only_folder / "new.json"
    assert_one_line(main_py("ask", "--db", str(missing), "hello"), missing)
    assert real.read_bytes() == before and not missing.exists()


WRONG_SHAPES = {
    "incident-not-an-object-body": ('{"incidents":{"1":{}}}', "incidents #1 has no 'id'"),
    "incident-a-string": ('{"incidents":{"1":"x"}}', "incidents #1 is a string"),
    "claim-without-kind": ('{"claims":{"1":{"incident":"x"}}}', "claims #1 has no 'kind'"),
    "claim-of-no-incident": ('{"claims":{"1":{"incident":"x","kind":"note","value":"v"}}}', "incident 'x'"),
    "deep": ("[" * 100_000 + "]" * 100_000, "not a valid database file"),
    "list": ("[]", "holds a list"),
    "null": ("null", "holds null"),
    "blank": (" \n\t\n", "the file is empty"),
    "zero-bytes": ("", "the file is empty"),
    "table-a-list": ('{"claims": []}', "table 'claims' is a list"),
}


@pytest.mark.parametrize("name", WRONG_SHAPES)
def test_wrong_shape_is_one_line_and_the_file_is_untouched(tmp_path: Path, name: str) -> None:
    text, why = WRONG_SHAPES[name]
    db = tmp_path / "facts.json"
    db.write_text(text)
    for args, stdin in ((("ask", "hello"), ""), (("console", "--admin"), ADD)):
        assert_one_line(main_py(*args, "--db", str(db), stdin=stdin), db, why)
    assert db.read_text() == text


def test_a_file_holding_an_empty_object_is_an_empty_database_and_stays_one(tmp_path: Path) -> None:
    db = tmp_path / "facts.json"
    db.write_text("{}")
    listed = main_py("console", "--json", "--db", str(db), stdin="/incidents\nhow many died in al hari?\n")
    assert listed.returncode == 0 and "Traceback" not in listed.stderr, listed
    assert "al-hari" not in listed.stdout  # not seeded
    assert main_py("export", "--db", str(db)).stdout.strip() == "sources: []\nincidents: []\nparties: []"
    assert db.read_text() == "{}"


def test_every_file_the_bot_writes_beside_the_default_database_is_ignored_by_git() -> None:
    """A user's clone must not offer the generated database, its journal, saved indexes or lock for commit."""
    if subprocess.run(["git", "rev-parse", "--is-inside-work-tree"], cwd=ROOT, capture_output=True).returncode:
        pytest.skip("not a git checkout")
    from bot.party_links import NAME as PARTIES
    from bot.settings import DEFAULT_DB
    from bot.store.journal import journal_path
    from bot.store.spans import spans_path
    from bot.understanding.indexes import NAME as INDEX
    db = DEFAULT_DB.relative_to(ROOT)
    written = [db, journal_path(db), spans_path(db), db.with_name(f"{db.name}.{INDEX}"),
               db.with_name(f"{db.name}.{PARTIES}"), db.with_name(f"{db.name}.lock"),
               db.with_name(f".{db.name}.4242.tmp")]  # files.write_atomically's temporary file
    result = subprocess.run(["git", "check-ignore", "--no-index", "--verbose", "--non-matching", *map(str, written)],
                            cwd=ROOT, capture_output=True, text=True)
    unignored = [line.split("\t")[-1] for line in result.stdout.splitlines() if line.startswith("::")]
    assert unignored == [], unignored
