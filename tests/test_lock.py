"""One writer: while a process holds a database for writing, another process that would write to it says
so in one line and exits 2; read-only use still works; a crash of the holder frees the lock.

Everything runs as real processes through main.py, as an operator would run them.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NEW_INCIDENT = """\
incidents:
  - id: lock-test-2019-01
    title: Lock test airstrike
    type: airstrike
    date: {value: "2019-01", precision: month}
    place: {name: Lockville}
    claims:
      - {kind: note, value: written by the lock test}
"""


def main_py(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "INCIDENT_BOT_DB"}
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, input=stdin, capture_output=True,
                          text=True, timeout=60, env=env)


def assert_refused(result: subprocess.CompletedProcess[str], db: Path) -> None:
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(db) in lines[0] and "in use by another process" in lines[0]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "facts.json"
    assert main_py("ask", "--db", str(path), "hello").returncode == 0  # created and seeded
    return path


@pytest.fixture
def holder(db: Path) -> Iterator[subprocess.Popen[str]]:
    """An admin console that holds the database, its stdin kept open so it keeps running."""
    env = {k: v for k, v in os.environ.items() if k != "INCIDENT_BOT_DB"}
    proc = subprocess.Popen([sys.executable, "main.py", "console", "--admin", "--db", str(db)], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    banner = proc.stdout.readline()  # printed once the console runs, after it took the lock
    assert banner.startswith("incident-bot console"), (banner, proc.stderr.read() if proc.stderr else "")
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=10)


def test_second_writer_is_refused_in_one_line_and_reader_still_answers(db: Path, holder, tmp_path: Path) -> None:
    data = tmp_path / "new.yaml"
    data.write_text(NEW_INCIDENT)
    before = db.read_bytes()

    assert_refused(main_py("import", str(data), "--db", str(db)), db)
    assert_refused(main_py("console", "--admin", "--db", str(db), stdin="/whoami\n"), db)
    assert f"pid {holder.pid}" in main_py("import", str(data), "--db", str(db)).stderr  # names the holder

    asked = main_py("ask", "--db", str(db), "how many died in al hari?")
    assert asked.returncode == 0 and "38" in asked.stdout, asked
    reader = main_py("console", "--json", "--db", str(db), stdin="who denied the al-hari strike?\n")
    assert reader.returncode == 0 and "coalition" in reader.stdout, reader
    assert db.read_bytes() == before


def test_user_console_turned_admin_cannot_write_while_another_holds(db: Path, holder) -> None:
    before = db.read_bytes()
    result = main_py("console", "--json", "--db", str(db),
                     stdin='/asadmin\n/addfact al-hari-2018-06 note "a second writer"\n')
    assert result.returncode == 0 and "Traceback" not in result.stderr, result
    replies = result.stdout.strip().splitlines()
    assert len(replies) == 2 and "in use by another process" in replies[1], replies
    assert db.read_bytes() == before


def test_lock_is_free_again_after_the_holder_is_killed(db: Path, holder, tmp_path: Path) -> None:
    data = tmp_path / "new.yaml"
    data.write_text(NEW_INCIDENT)
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=10)

    imported = main_py("import", str(data), "--db", str(db))
    assert imported.returncode == 0, imported
    admin = main_py("console", "--admin", "--json", "--db", str(db), stdin="what happened in lockville?\n")
    assert admin.returncode == 0 and "lock-test-2019-01" in admin.stdout, admin


def test_lock_is_released_when_the_holder_exits_normally(db: Path, holder, tmp_path: Path) -> None:
    data = tmp_path / "new.yaml"
    data.write_text(NEW_INCIDENT)
    holder.communicate("", timeout=30)  # EOF: the console ends
    assert holder.returncode == 0
    assert main_py("import", str(data), "--db", str(db)).returncode == 0
