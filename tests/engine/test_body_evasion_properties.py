"""Property: an access key planted anywhere in a random JSON document (as a value, as a key, as a
key written with ``\\u`` escapes), sent as an object, text or bytes in any of several encodings,
is never allowed through and never survives sanitising."""

from __future__ import annotations

import json
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interven_autoguard import LocalScanner

AK = "AKIA" + "QYLPMN5HHHFPZAM2"  # built at run time: the repository holds no credential literal
_SCANNER = LocalScanner()

_key = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=8)
_leaf = st.none() | st.booleans() | st.integers() | st.text(max_size=10)
_docs = st.recursive(
    _leaf,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_key, children, max_size=4),
    max_leaves=15,
)


def _containers(node: object, out: list) -> list:
    if isinstance(node, (dict, list)):
        out.append(node)
        for child in node.values() if isinstance(node, dict) else node:
            _containers(child, out)
    return out


def _plant(doc: object, mode: str, rng: random.Random) -> dict | list:
    root: dict | list = doc if isinstance(doc, (dict, list)) else [doc]
    target = rng.choice(_containers(root, []))
    planted: object = AK if mode == "value" else {AK: rng.choice([1, "x", None, [], {"n": 2}])}
    if isinstance(target, dict):
        if mode == "value":
            target["k" + str(len(target))] = AK
        else:
            target[AK] = planted[AK]  # type: ignore[index]
    else:
        target.insert(rng.randint(0, len(target)), planted)
    return root


def _escaped_key_text(root: object, rng: random.Random) -> str:
    """JSON text in which the planted key has some of its characters written as \\u escapes."""
    text = json.dumps(root)
    token = json.dumps(AK) + ":"
    assert token in text
    escaped = "".join(f"\\u{ord(c):04x}" if rng.random() < 0.5 else c for c in AK)
    if escaped == AK:
        escaped = "\\u0041" + AK[1:]
    return text.replace(token, '"' + escaped + '":', 1)


def _shown(body: object) -> str:
    if isinstance(body, (bytes, bytearray, memoryview)):
        raw = bytes(body)
        return "\n".join(raw.decode(c, "replace") for c in ("utf-8", "utf-16-le", "utf-16-be", "utf-32"))
    if isinstance(body, str):
        return body
    return json.dumps(body)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    _docs,
    st.sampled_from(["value", "key", "escaped-key"]),
    st.sampled_from(["object", "text", "utf-8", "utf-16-le", "utf-16-be", "utf-32", "utf-16+declared-utf-8"]),
    st.randoms(use_true_random=False),
)
def test_planted_key_never_allowed(doc, mode, delivery, rng):
    root = _plant(doc, "value" if mode == "value" else "key", rng)
    text = _escaped_key_text(root, rng) if mode == "escaped-key" else json.dumps(root)
    ctype = "application/json"
    body: object
    if delivery == "object":
        body = root if mode != "escaped-key" else text
    elif delivery == "text":
        body = text
    elif delivery == "utf-16+declared-utf-8":
        body, ctype = text.encode("utf-16-le"), "application/json; charset=utf-8"
    else:
        body = text.encode(delivery)
    headers = {"Content-Type": ctype}
    resp = _SCANNER.scan(method="POST", url="https://example.com/v1", headers=headers, body=body)
    assert resp.decision != "ALLOW"
    assert all(AK not in f.location for f in resp.findings)
    if resp.sanitized_body is not None:
        assert AK not in _shown(resp.sanitized_body)
        assert "\\u0041" + AK[1:] not in _shown(resp.sanitized_body)
