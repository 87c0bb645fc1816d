"""Gateway configuration (hashed keys, validation) and the key/serve command lines."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from gw_support import REPO_DIR, TESTS_DIR, free_port

from interven_autoguard.errors import ConfigurationError
from interven_autoguard.gateway.config import GatewayConfig, hash_secret, verify_secret
from interven_autoguard.gateway.server import build_parser


def run_module(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    prelude = f"import sys; sys.path.insert(0, {TESTS_DIR!r}); import safetynet; safetynet.install(); "
    code = prelude + "from interven_autoguard.gateway.__main__ import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO_DIR,
        timeout=60,
        env={**os.environ, "PYTHONPATH": REPO_DIR},
    )


def test_hashes_are_salted_and_verified():
    a, b = hash_secret("iv_live_abc"), hash_secret("iv_live_abc")
    assert a != b and "iv_live_abc" not in a
    assert verify_secret("iv_live_abc", a) and verify_secret("iv_live_abc", b)
    assert not verify_secret("iv_live_abd", a)
    assert not verify_secret("iv_live_abc", "md5$x$y") and not verify_secret("x", "garbage")


def test_config_refuses_plain_keys_and_missing_agent_secrets(tmp_path):
    with pytest.raises(ConfigurationError, match="never the key itself"):
        GatewayConfig.from_dict({"api_keys": [{"id": "a", "hash": "iv_live_plaintext"}]})
    with pytest.raises(ConfigurationError, match="RELEASE_SECRET"):
        GatewayConfig.from_dict({"agents": [{"agent_id": "x", "secret_env": "RELEASE_SECRET"}]}, env={})
    cfg = GatewayConfig.from_dict({"agents": [{"agent_id": "x", "secret_env": "S"}]}, env={"S": "topsecret"})
    assert cfg.agent("x").secret == "topsecret" and "topsecret" not in repr(cfg)
    with pytest.raises(ConfigurationError, match="duplicate"):
        GatewayConfig.from_dict({"approvers": [{"id": "a", "token_hash": hash_secret("t")}] * 2})
    bad = tmp_path / "bad.toml"
    bad.write_text("[server\nport = 1")
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        GatewayConfig.load(str(bad))


def test_config_from_toml_file(tmp_path, team):
    path = team.write_toml(str(tmp_path / "g.toml"), policy="policy.toml")
    cfg = GatewayConfig.load(path)
    assert cfg.host == "127.0.0.1" and cfg.port == 4000
    assert cfg.policy == str(tmp_path / "policy.toml")  # relative to the config file
    assert cfg.match_api_key(team.api_key).id == "team"
    assert cfg.match_api_key(team.approver_token) is None
    assert cfg.match_approver(team.approver_token).id == "alice"
    assert cfg.tool("github").base_url == team.tool_base_url


def test_new_key_and_hash_key_commands():
    out = run_module("new-key")
    assert out.returncode == 0, out.stderr
    key = out.stdout.split("key:")[1].split()[0]
    digest = out.stdout.split("hash:")[1].split()[0]
    assert key.startswith("iv_live_") and verify_secret(key, digest)
    hashed = run_module("hash-key", stdin=key + "\n")
    assert hashed.returncode == 0 and verify_secret(key, hashed.stdout.strip())


def test_serve_defaults_to_loopback_and_reports_bad_config(tmp_path):
    args = build_parser().parse_args([])
    assert args.host is None and args.port is None  # → config defaults: 127.0.0.1:4000
    assert GatewayConfig().host == "127.0.0.1"
    missing = run_module("serve", "--config", str(tmp_path / "missing.toml"))
    assert missing.returncode == 2 and "cannot read gateway config" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_unknown_config_keys_are_errors_with_a_suggestion():
    data = {
        "server": {"prot": 4012, "plicy": "p.toml", "host": "127.0.0.1"},
        "api_keys": [{"id": "a", "hash": hash_secret("k"), "agent": "x"}],
        "approvers": [{"id": "alice", "token_hash": hash_secret("t"), "tokn": "t"}],
        "tools": {"github": {"base_url": "http://127.0.0.1:9", "baseurl": "x"}},
        "aprovers": [],
    }
    with pytest.raises(ConfigurationError) as info:
        GatewayConfig.from_dict(data)
    text = str(info.value)
    for expected in ("unknown key 'prot' in [server]; did you mean 'port'?",
                     "unknown key 'plicy' in [server]; did you mean 'policy'?",
                     "unknown key 'agent' in [[api_keys]]; did you mean 'agent_id'?",
                     "unknown key 'tokn' in [[approvers]]",
                     "unknown key 'baseurl' in [tools.github]; did you mean 'base_url'?",
                     "unknown key 'aprovers' in the gateway config (top level); did you mean 'approvers'?"):
        assert expected in text, text


def test_serve_refuses_a_config_with_a_typo_instead_of_serving_defaults(tmp_path):
    port = free_port()  # were the typo ignored, the gateway would serve here: the test then times out
    config = tmp_path / "gateway.toml"
    config.write_text(f'[server]\nhost = "127.0.0.1"\nport = {port}\nplicy = "payouts.toml"\n\n'
                      f'[[api_keys]]\nid = "x"\nhash = "{hash_secret("k")}"\n')
    prelude = f"import sys; sys.path.insert(0, {TESTS_DIR!r}); import safetynet; safetynet.install(); "
    code = prelude + "from interven_autoguard.gateway.__main__ import main; sys.exit(main(sys.argv[1:]))"
    out = subprocess.run([sys.executable, "-c", code, "serve", "--config", str(config)], capture_output=True,
                         text=True, cwd=REPO_DIR, timeout=20, env={**os.environ, "PYTHONPATH": REPO_DIR})
    assert out.returncode == 2, out.stderr
    assert "unknown key 'plicy' in [server]; did you mean 'policy'?" in out.stderr
    assert "listening" not in out.stderr and "Traceback" not in out.stderr
