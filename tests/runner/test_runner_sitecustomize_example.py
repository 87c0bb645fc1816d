"""sitecustomize_example/: the PYTHONPATH drop-in for containers and CI."""

from __future__ import annotations

import subprocess
import sys

import pytest
from runner_support import HAS_INSTALL, NEEDS_INSTALL, ROOT, child_env, write_script

DROP_IN = ROOT / "sitecustomize_example"


def _run(tmp_path, body: str, extra: dict[str, str], pythonpath: list) -> subprocess.CompletedProcess[str]:
    agent = write_script(tmp_path / "agent.py", body)
    env = child_env(extra, pythonpath=[DROP_IN, *pythonpath, ROOT])
    return subprocess.run([sys.executable, str(agent)], env=env, capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)


def test_chains_the_user_sitecustomize_and_fails_open_only_when_asked(tmp_path):
    user = tmp_path / "user"
    user.mkdir()
    (user / "sitecustomize.py").write_text("MINE = True\n")
    body = "import sitecustomize\nprint(getattr(sitecustomize, 'MINE', False))\n"
    res = _run(tmp_path, body, {"INTERVEN_MODE": "bogus", "INTERVEN_FAIL_OPEN": "1"}, [user])
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "True"
    assert "running UNGUARDED" in res.stderr and "(sitecustomize)" in res.stderr


def test_fails_closed_on_a_bad_setting(tmp_path):
    res = _run(tmp_path, "print('PROGRAM RAN')\n", {"INTERVEN_MODE": "bogus"}, [])
    assert res.returncode == 78
    assert "PROGRAM RAN" not in res.stdout
    assert "FATAL" in res.stderr


def test_fails_closed_when_the_package_is_missing(tmp_path):
    shadow = tmp_path / "shadow" / "interven_autoguard"  # a package without the runner module
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("")
    res = _run(tmp_path, "print('PROGRAM RAN')\n", {}, [shadow.parent])
    assert res.returncode == 78
    assert "PROGRAM RAN" not in res.stdout
    # "cannot import interven_autoguard", or (editable installs resolve submodules through their own
    # finder) "guard could not be installed": either way, fatal.
    assert "FATAL" in res.stderr
    res = _run(tmp_path, "print('PROGRAM RAN')\n", {"INTERVEN_DISABLED": "1"}, [shadow.parent])
    assert res.returncode == 0 and res.stdout.strip() == "PROGRAM RAN"


@pytest.mark.skipif(not HAS_INSTALL, reason=NEEDS_INSTALL)
def test_installs_the_guard(tmp_path):
    body = """
        import interven_autoguard.runner as r
        import requests
        from interven_autoguard.errors import RequestBlocked
        print(r.activated_by())
        try:
            requests.get("http://169.254.169.254/latest/meta-data/", timeout=5)
        except RequestBlocked as exc:
            print("BLOCKED", exc.decision)
    """
    res = _run(tmp_path, body, {}, [])
    assert res.returncode == 0, res.stderr
    assert res.stdout.split("\n")[:2] == ["sitecustomize", "BLOCKED DENY"]
