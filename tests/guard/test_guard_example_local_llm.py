"""``examples/policies/local-development.toml`` carries a commented ``[bindings]`` block for local
model servers (Ollama, vLLM, LM Studio): uncommented as documented, it lets a provider key reach a
server on 127.0.0.1; as shipped, that is still a credential/host mismatch."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from guardkit import RecordingServer

import interven_autoguard
from interven_autoguard.config import Settings

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "policies" / "local-development.toml"
OPENAI_KEY = "sk-proj-" + "a1B2c3D4e5F6g7H8i9J0" * 3
ANTHROPIC_KEY = "sk-ant-api03-" + "Zx9Yw8Vu7Ts6Rq5Po4Nm3" * 4 + "Lk2Jh1Gf0" + "AA"  # 93 + AA


def _uncommented(tmp_path: Path) -> Path:
    text = EXAMPLE.read_text()
    block = re.sub(r"(?m)^# (\[bindings\]|openai = |anthropic = )", r"\1", text)
    assert block != text and "\n[bindings]\n" in block
    policy = tmp_path / "local.toml"
    policy.write_text(block)
    return policy


@pytest.mark.parametrize(("path", "headers"), [
    ("/v1/chat/completions", {"Authorization": f"Bearer {OPENAI_KEY}"}),
    ("/v1/messages", {"x-api-key": ANTHROPIC_KEY, "anthropic-version": "2023-06-01"}),
], ids=["openai", "anthropic"])
def test_the_commented_bindings_let_a_local_model_server_take_the_key(
        tmp_path: Path, server: RecordingServer, path: str, headers: dict[str, str]) -> None:
    import requests

    headers = {**headers, "Content-Type": "application/json"}
    with interven_autoguard.guarded(Settings(policy=str(EXAMPLE))), \
            pytest.raises(interven_autoguard.RequestBlocked, match="CREDENTIAL_HOST_MISMATCH"):
        requests.post(server.url(path), data=b'{"model": "llama3"}', headers=headers, timeout=10)
    assert server.connections == 0
    with interven_autoguard.guarded(Settings(policy=str(_uncommented(tmp_path)))):
        response = requests.post(server.url(path), data=b'{"model": "llama3"}', headers=headers, timeout=10)
    assert response.status_code == 200
    name, value = next(iter(headers.items()))
    assert server.last().header(name) == value
