"""The gateway's access log keeps paths, never query strings: the approvals page is opened with
``/ui/?token=…`` (docs/approvals.md promises the token never reaches the server log) and a client
may send ``?api_key=…``."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

from gw_support import REPO_DIR, TESTS_DIR, free_port

from interven_autoguard.gateway import server as gateway_server


def test_the_filter_drops_the_query_and_keeps_the_rest() -> None:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5", "GET", "/ui/?token=abc", "1.1", 200), None)
    assert gateway_server.QueryOmitted().filter(record)
    assert record.getMessage() == '127.0.0.1:5 - "GET /ui/?(query omitted) HTTP/1.1" 200'


def test_a_running_gateway_logs_no_token_or_key(tmp_path) -> None:
    port = free_port()
    log = (tmp_path / "gateway.log").open("w+b")
    env = {**os.environ,
           "PYTHONPATH": os.pathsep.join([os.path.join(TESTS_DIR, "gateway"), TESTS_DIR, REPO_DIR])}
    proc = subprocess.Popen(
        [sys.executable, os.path.join(TESTS_DIR, "gateway", "gw_serve.py"), "--port", str(port),
         "--db", f"sqlite:///{tmp_path / 'gw.db'}", "--log-level", "info"],
        env=env, stdout=log, stderr=subprocess.STDOUT)  # uvicorn's access lines go to stdout
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(base + "/health", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        for path in ("/ui/?token=page-token-7f3a9c", "/v1/scan?api_key=agent-key-51d2e8"):
            try:
                urllib.request.urlopen(base + path, timeout=5).read()
            except urllib.error.HTTPError:
                pass  # 401/403/405: what matters is the log line
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    log.seek(0)
    text = log.read().decode(errors="replace")
    assert "/ui/?(query omitted)" in text, text[-2000:]
    assert "page-token-7f3a9c" not in text and "agent-key-51d2e8" not in text
