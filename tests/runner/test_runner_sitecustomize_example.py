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


@pytest.mark.skipif(not HAS_INSTALL, reason=NEEDS_INSTALL)
@pytest.mark.parametrize("layout", ["drop-in under run", "two copies of the drop-in"])
def test_guard_sitecustomizes_chain_past_each_other_to_the_users(tmp_path, layout):
    """Each chains to the next sitecustomize on the path: two of ours (run's bootstrap and the
    drop-in, or a base image's copy and a repository's) used to chain to each other forever."""
    import shutil

    user = tmp_path / "user"
    user.mkdir()
    (user / "sitecustomize.py").write_text("import os\nMINE = os.getpid()\n")
    copy = tmp_path / "copy"
    shutil.copytree(DROP_IN, copy)
    agent = write_script(tmp_path / "agent.py", """
        import os, sys, sitecustomize
        import interven_autoguard.runner as r
        print(getattr(sitecustomize, "MINE", None) == os.getpid(), r.activated_by())
    """)
    if layout == "drop-in under run":
        env = child_env({}, pythonpath=[DROP_IN, user, ROOT])
        argv = [sys.executable, "-m", "interven_autoguard", "run", str(agent)]
        expected = "run bootstrap"
    else:
        env = child_env({}, pythonpath=[DROP_IN, copy, user, ROOT])
        argv = [sys.executable, str(agent)]
        expected = "sitecustomize"
    res = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "Error in sitecustomize" not in res.stderr and "RecursionError" not in res.stderr
    assert res.stdout.strip() == f"True {expected}"
