"""The gateway's startup lines name its storage plainly: the absolute SQLite file, or the PostgreSQL
URL without its password; a database it cannot open is one line (no traceback, no password)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from urllib.parse import urlsplit, urlunsplit

import pytest
from gw_support import REPO_DIR, TESTS_DIR, free_port

from interven_autoguard.errors import ConfigurationError
from interven_autoguard.gateway.storage import Database, redacted_dsn, scrub_password, sqlite_path

PG_URL = os.environ.get("INTERVEN_TEST_PG_URL")
PASSWORD = "pw-7Qx/9?z@k w"  # unencoded "/", "?", "@" and a space: what people actually paste


def serve(cwd: str, db: str, *, until: str = "listening on", timeout: float = 20) -> tuple[int | None, str]:
    """Run ``python -m interven_autoguard serve`` (through the CLI, safety net first) and return its
    stderr up to the line containing ``until`` (or all of it, if the process ends first)."""
    env = {**os.environ,
           "PYTHONPATH": os.pathsep.join([os.path.join(TESTS_DIR, "gateway"), TESTS_DIR, REPO_DIR])}
    env.pop("INTERVEN_GATEWAY_CONFIG", None)
    proc = subprocess.Popen(
        [sys.executable, os.path.join(TESTS_DIR, "gateway", "gw_serve.py"), "--via-cli",
         "--port", str(free_port()), "--db", db, "--log-level", "warning"],
        cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            lines.append(line)
            if until in line:
                break
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.wait(timeout=20)
        lines.append(proc.stderr.read())
        proc.stderr.close()
    return proc.returncode, "".join(lines)


def storage_line(text: str) -> str:
    found = [line for line in text.splitlines() if line.startswith("interven gateway: storage ")]
    assert len(found) == 1, text
    return found[0]


@pytest.mark.parametrize("spelling", ["sqlite:gw.db", "sqlite://gw.db", "gw.db", "./sub/../gw.db"])
def test_a_relative_sqlite_location_prints_as_the_absolute_file(tmp_path, spelling):
    _, text = serve(str(tmp_path), spelling)
    assert storage_line(text) == f"interven gateway: storage SQLite file {tmp_path / 'gw.db'}"
    assert (tmp_path / "gw.db").is_file()


@pytest.mark.parametrize("slashes", ["sqlite://", "sqlite:///"])  # file-URL and SQLAlchemy spellings
def test_an_absolute_sqlite_url_prints_as_the_file_with_one_leading_slash(tmp_path, slashes):
    target = tmp_path / "state" / "gw.db"
    _, text = serve(str(tmp_path), f"{slashes}{target}")
    assert storage_line(text) == f"interven gateway: storage SQLite file {target}"
    assert target.is_file()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///var/lib/interven/gw.db", "/var/lib/interven/gw.db"),
        ("sqlite:////var/lib/interven/gw.db", "/var/lib/interven/gw.db"),
        ("sqlite:/var/lib/interven/gw.db", "/var/lib/interven/gw.db"),
        ("/var/lib/interven//gw.db", "/var/lib/interven/gw.db"),
        ("sqlite:~/gw.db", os.path.join(os.path.expanduser("~"), "gw.db")),
        ("~/gw.db", os.path.join(os.path.expanduser("~"), "gw.db")),
    ],
)
def test_sqlite_path(url, expected):
    assert sqlite_path(url) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"postgresql://interven:{PASSWORD}@db.internal:5433/interven",
         "postgresql://interven:***@db.internal:5433/interven"),
        ("postgres://interven@db.internal/interven", "postgresql://interven@db.internal/interven"),
        ("postgresql://db.internal/interven?sslmode=require&password=s3cret&sslpassword=k3y",
         "postgresql://db.internal/interven?sslmode=require&password=***&sslpassword=***"),
        ("postgresql://u:p@[::1]:5432/db", "postgresql://u:***@[::1]:5432/db"),
        ("postgresql:///interven?host=/var/run/postgresql", "postgresql:///interven?host=/var/run/postgresql"),
    ],
)
def test_redacted_dsn(url, expected):
    assert redacted_dsn(url) == expected


def test_scrub_password_masks_raw_and_decoded_forms():
    url = "postgresql://u:a%20b%2Fc@h/db?password=q1w2e3"
    text = 'bad "a b/c" and "a%20b%2Fc" and q1w2e3'
    assert scrub_password(text, url) == 'bad "***" and "***" and ***'


@pytest.mark.parametrize(
    "url",
    ["host=db.internal user=interven password=s3cret dbname=interven",
     "postgresql+psycopg://interven:s3cret@db.internal/interven",
     "mysql://interven:s3cret@db.internal/interven"],
)
def test_what_is_no_sqlite_location_is_refused_without_echoing_it(tmp_path, monkeypatch, url):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigurationError) as info:
        Database(url)
    assert "s3cret" not in str(info.value)
    assert os.listdir(tmp_path) == []  # no file named after the DSN


def test_an_unreachable_postgresql_is_one_line_without_the_password(tmp_path):
    url = f"postgresql://interven:{PASSWORD}@127.0.0.1:{free_port()}/interven?connect_timeout=3"
    status, text = serve(str(tmp_path), url)
    assert status == 2, text
    assert "Traceback" not in text
    assert "cannot open the gateway database (PostgreSQL postgresql://interven:***@127.0.0.1:" in text
    assert not [PASSWORD[i : i + 4] for i in range(len(PASSWORD) - 3) if PASSWORD[i : i + 4] in text]


@pytest.mark.skipif(not PG_URL, reason="INTERVEN_TEST_PG_URL not set (source .ci/postgres.sh)")
def test_a_postgresql_url_with_a_password_prints_without_it(tmp_path):
    parts = urlsplit(PG_URL or "")
    user = parts.username or "postgres"
    # The test cluster trusts loopback: the password is accepted and ignored.
    netloc = f"{user}:hunter2-secret@{parts.hostname}:{parts.port}"
    _, text = serve(str(tmp_path), urlunsplit((parts.scheme, netloc, parts.path, parts.query, "")))
    assert storage_line(text) == (
        f"interven gateway: storage PostgreSQL postgresql://{user}:***@{parts.hostname}:{parts.port}{parts.path}"
    )
    assert "hunter2" not in text


def test_scrub_password_withholds_a_message_quoting_a_piece_of_it():
    url = f"postgresql://u:{PASSWORD}@h/db"
    assert "withheld" in scrub_password('found in "z@k w@h/db"', url)
    assert scrub_password("connection refused", url) == "connection refused"
