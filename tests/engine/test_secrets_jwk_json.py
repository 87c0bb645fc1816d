"""A private JSON Web Key the body holds as JSON is found, whatever the nesting.

The inline JWK reading (rule ``jwk-private-key``) needs ``kty`` and ``d`` in one text: it finds a key
pasted in prose or inside an encoded file. But the JSON body reader gives each member its own
field, so a JWKS document, a key object nested in a body or a JSON string holding one went out
whole (found by the integration review). ``scanner._jwk_private_fields`` tells the members of one
object by their locations.
"""

from __future__ import annotations

import base64
import json
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import interven_autoguard

URL = "https://crm.example-app.com/v1/notes"


def b64u(n: int, seed: int) -> str:
    return base64.urlsafe_b64encode(random.Random(seed).randbytes(n)).decode().rstrip("=")


def ec_key(seed: int = 1) -> dict[str, str]:
    return {"kty": "EC", "crv": "P-256", "x": b64u(32, seed), "y": b64u(32, seed + 1),
            "d": b64u(32, seed + 2)}


def rsa_key(seed: int = 10) -> dict[str, str]:
    key = {"kty": "RSA", "n": b64u(256, seed), "e": "AQAB"}
    key.update({name: b64u(128, seed + i) for i, name in enumerate(("d", "p", "q", "dp", "dq", "qi"), 1)})
    return key


def scan(body: Any, content_type: str = "application/json") -> Any:
    return interven_autoguard.scan(method="POST", url=URL, headers={"Content-Type": content_type}, body=body)


def sent_text(response: Any) -> str:
    body = response.sanitized_body
    return body.decode() if isinstance(body, bytes) else body if isinstance(body, str) else json.dumps(body)


@pytest.mark.parametrize(("name", "body", "locations"), [
    ("JWKS document", {"keys": [ec_key()]}, ["body$.keys[0].d"]),
    ("nested object", {"signing": {"key": ec_key()}}, ["body$.signing.key.d"]),
    ("JSON string", {"note": json.dumps(ec_key())}, ["body$.note<json>$.d"]),
    ("RSA, every private member", {"keys": [rsa_key()]},
     [f"body$.keys[0].{m}" for m in ("d", "p", "q", "dp", "dq", "qi")]),
    ("symmetric key", {"keys": [{"kty": "oct", "k": b64u(32, 40), "alg": "HS256"}]}, ["body$.keys[0].k"]),
])
def test_private_members_are_found_and_removed(name: str, body: dict[str, Any], locations: list[str]) -> None:
    response = scan(body)
    assert response.decision != "ALLOW", name
    assert sorted(f.location for f in response.findings) == sorted(locations)
    assert {f.type for f in response.findings} == {"PRIVATE_KEY"}
    if response.decision == "SANITIZE":
        text = sent_text(response)
        for key in [*body.get("keys", []), *([json.loads(body["note"])] if "note" in body else [])]:
            for member in ("d", "p", "q", "dp", "dq", "qi", "k"):
                if member in key:
                    assert key[member] not in text
            if "x" in key:
                assert key["x"] in text  # public members are kept


@pytest.mark.parametrize("body", [
    {"keys": [{k: v for k, v in ec_key().items() if k != "d"}]},  # a public JWKS, as servers publish it
    {"keys": [{k: v for k, v in rsa_key().items() if k in ("kty", "n", "e")}]},
    {"d": b64u(32, 50), "note": "no kty: just a field named d"},
    {"kty": "EC", "d": "short"},  # not key material
    {"keys": [{"kty": "RSA", "n": "x", "d": "YOUR_PRIVATE_EXPONENT_HERE_xxxxxxxx"}]},  # a docs placeholder
    {"keys": [{"kty": "EC", "d": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]},  # no entropy
    {"key": {"kty": "EC"}, "other": {"d": b64u(32, 51)}},  # d is not that object's member
])
def test_public_keys_and_look_alikes_stay_clean(body: dict[str, Any]) -> None:
    response = scan(body)
    assert [f.type for f in response.findings if f.type == "PRIVATE_KEY"] == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.sampled_from(["EC", "RSA"]), st.integers(0, 3),
       st.sampled_from(["object", "string", "text"]))
def test_any_nesting_of_a_private_key_is_found(seed: int, kind: str, depth: int, form: str) -> None:
    key = ec_key(seed) if kind == "EC" else rsa_key(seed)
    value: Any = key
    for level in range(depth):
        value = {f"level{level}": value}
    body: Any = {"payload": value} if form == "object" else {"payload": json.dumps(value)}
    content_type = "application/json"
    if form == "text":
        body, content_type = json.dumps({"payload": value}, indent=2), "text/plain"
    response = scan(body, content_type)
    assert "PRIVATE_KEY" in {f.type for f in response.findings}
    assert response.decision != "ALLOW"
    if response.decision == "SANITIZE":
        assert key["d"] not in sent_text(response)
