"""Start-up orderings, each in a fresh interpreter (dd-trace-py style): import a library before or
after install(), install/uninstall/install, fork. Every script imports the safety net first."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent.parent
ROOT = TESTS.parent

PRELUDE = """
import safetynet
safetynet.install()
import json, sys
from guardkit import RecordingServer, RuleScanner
from interven_autoguard.config import Settings
server = RecordingServer()
scanner = RuleScanner()
results = {}

def outcome(call):
    try:
        call()
        return "sent"
    except Exception as exc:
        reason = getattr(exc, "reason", exc)
        return "blocked" if type(reason).__name__.endswith("Blocked") else f"error:{type(exc).__name__}"
"""


def run_script(body: str, tmp_path: Path) -> dict[str, object]:
    script = tmp_path / "scenario.py"
    script.write_text(PRELUDE + textwrap.dedent(body) + "\nprint(json.dumps(results))\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(TESTS), str(TESTS / "guard")])}
    for name in list(env):
        if name.startswith("INTERVEN_"):
            del env[name]
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env,
                          timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_install_before_any_library_import_imports_nothing_heavy(tmp_path: Path) -> None:
    results = run_script("""
        heavy = ("ssl", "asyncio", "requests", "httpx", "httpx2", "aiohttp", "urllib3", "http.client",
                 "wrapt")
        before = {m for m in heavy if m in sys.modules}
        import interven_autoguard
        interven_autoguard.install(Settings(), scanner=scanner)
        results["imported_by_install"] = sorted(m for m in heavy if m in sys.modules and m not in before)
        import requests, httpx, urllib.request, aiohttp, asyncio
        deny = server.url("/deny")
        results["requests"] = outcome(lambda: requests.get(deny, timeout=5))
        results["httpx"] = outcome(lambda: httpx.get(deny))
        results["urllib"] = outcome(lambda: urllib.request.urlopen(deny, timeout=5))
        async def aio():
            async with aiohttp.ClientSession() as s:
                await s.get(deny)
        results["aiohttp"] = outcome(lambda: asyncio.run(aio()))
        results["connections"] = server.connections
    """, tmp_path)
    assert results == {"imported_by_install": [], "requests": "blocked", "httpx": "blocked",
                       "urllib": "blocked", "aiohttp": "blocked", "connections": 0}


def test_libraries_imported_before_install_are_guarded(tmp_path: Path) -> None:
    results = run_script("""
        import requests, httpx, httpx2, urllib3, urllib.request
        import interven_autoguard
        interven_autoguard.install(Settings(), scanner=scanner)
        deny = server.url("/deny")
        results["requests"] = outcome(lambda: requests.get(deny, timeout=5))
        results["httpx2"] = outcome(lambda: httpx2.get(deny))
        results["urllib3"] = outcome(lambda: urllib3.PoolManager().request("GET", deny))
        results["urllib"] = outcome(lambda: urllib.request.urlopen(deny, timeout=5))
        results["connections"] = server.connections
    """, tmp_path)
    assert results == {"requests": "blocked", "httpx2": "blocked", "urllib3": "blocked",
                       "urllib": "blocked", "connections": 0}


def test_install_uninstall_install(tmp_path: Path) -> None:
    results = run_script("""
        import interven_autoguard
        from interven_autoguard.guard import patched_methods
        import requests
        deny = server.url("/deny")
        steps = []
        for _ in range(2):
            interven_autoguard.install(Settings(), scanner=scanner)
            steps.append((outcome(lambda: requests.get(deny, timeout=5)), len(patched_methods())))
            interven_autoguard.uninstall()
            steps.append((outcome(lambda: requests.get(deny, timeout=5)), len(patched_methods())))
        import httpx  # imported while uninstalled: the hook must not patch it
        steps.append(("httpx-after-uninstall", len(patched_methods())))
        interven_autoguard.install(Settings(), scanner=scanner)
        steps.append((outcome(lambda: httpx.get(deny)), len(patched_methods())))
        results["steps"] = steps
        results["scans"] = len(scanner.calls)
    """, tmp_path)
    # requests (1) + urllib3 (2) + http.client (3) hooks were live: requests imports them
    assert results["steps"] == [["blocked", 6], ["sent", 0], ["blocked", 6], ["sent", 0],
                                ["httpx-after-uninstall", 0], ["blocked", 8]]
    assert results["scans"] == 3


def test_uninstalled_before_the_import_then_installed(tmp_path: Path) -> None:
    results = run_script("""
        import interven_autoguard
        interven_autoguard.install(Settings(), scanner=scanner)
        interven_autoguard.uninstall()
        import requests
        results["while_off"] = outcome(lambda: requests.get(server.url("/deny"), timeout=5))
        interven_autoguard.install(Settings(), scanner=scanner)
        results["after_install"] = outcome(lambda: requests.get(server.url("/deny"), timeout=5))
    """, tmp_path)
    assert results == {"while_off": "sent", "after_install": "blocked"}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_guard_works_in_a_forked_child(tmp_path: Path) -> None:
    results = run_script("""
        import os, threading
        import interven_autoguard, requests
        interven_autoguard.install(Settings(), scanner=scanner)
        # fork while another thread is inside install(): the child must not inherit a held lock
        stop = threading.Event()
        def churn():
            while not stop.is_set():
                interven_autoguard.install(Settings(mode="monitor"), scanner=scanner)
                interven_autoguard.install(Settings(), scanner=scanner)
        worker = threading.Thread(target=churn)
        worker.start()
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            interven_autoguard.install(Settings(), scanner=scanner)
            verdict = outcome(lambda: requests.get(server.url("/deny"), timeout=5))
            os.write(write_end, verdict.encode())
            os._exit(0)
        stop.set()
        worker.join()
        os.close(write_end)
        results["child"] = os.read(read_end, 100).decode()
        results["status"] = os.waitpid(pid, 0)[1]
    """, tmp_path)
    assert results == {"child": "blocked", "status": 0}


def test_install_racing_first_imports_in_other_threads(tmp_path: Path) -> None:
    """install()/uninstall() in some threads while others import the libraries for the first time:
    no deadlock, no double patch, and everything guarded at the end."""
    results = run_script("""
        import threading, importlib
        import interven_autoguard
        from interven_autoguard.guard import patched_methods
        start = threading.Barrier(6)
        errors = []

        def churn():
            start.wait()
            for _ in range(30):
                interven_autoguard.install(Settings(), scanner=scanner)
                interven_autoguard.uninstall()

        def load(name):
            start.wait()
            try:
                importlib.import_module(name)
            except Exception as exc:
                errors.append(repr(exc))

        threads = [threading.Thread(target=churn) for _ in range(2)]
        names = ("requests", "httpx", "aiohttp", "httpx2")
        threads += [threading.Thread(target=load, args=(n,)) for n in names]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        results["stuck"] = sum(t.is_alive() for t in threads)
        results["errors"] = errors
        results["patched_while_off"] = len(patched_methods())
        interven_autoguard.install(Settings(), scanner=scanner)
        results["patched"] = len(patched_methods())
        import requests, httpx
        results["blocked"] = [outcome(lambda: requests.get(server.url("/deny"), timeout=5)),
                              outcome(lambda: httpx.get(server.url("/deny")))]
    """, tmp_path)
    assert results == {"stuck": 0, "errors": [], "patched_while_off": 0, "patched": 11,
                       "blocked": ["blocked", "blocked"]}
