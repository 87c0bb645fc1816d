"""The quiet lane's memory of header sets: httpx's raw pairs are remembered per (host, pairs but
Content-Length), and a plan remembers the value sets it found clean. Whatever was remembered
before, each answer must be the one the plan computes afresh."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from secret_samples import SAMPLES

from interven_autoguard.engine import scanner as scanner_module
from interven_autoguard.engine.scanner import LocalScanner

OPENAI_KEY = SAMPLES["openai-project-key"]()[1]
SSN = "478-23-9156"
CHAT = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "Plan my week."}]}).encode()
URL = "https://api.openai.com/v1/chat/completions"
BASE = [(b"Host", b"api.openai.com"), (b"Accept", b"*/*"), (b"User-Agent", b"OpenAI/Python 1.52.0"),
        (b"Content-Length", b"51"), (b"Content-Type", b"application/json"),
        (b"Authorization", f"Bearer {OPENAI_KEY}".encode())]


def fresh(pairs: list[tuple[bytes, bytes]], host: str) -> object:
    """What the plan says of these pairs, remembering nothing from before."""
    scanner_module._header_plans.clear()
    return scanner_module._planned_head(*zip(*pairs), host, raw=True)


@pytest.fixture(autouse=True)
def forget() -> None:
    scanner_module._raw_heads.clear()
    scanner_module._length_at.clear()
    scanner_module._LENGTH_NAMES.clear()
    scanner_module._header_plans.clear()


def with_value(name: bytes, value: bytes) -> list[tuple[bytes, bytes]]:
    return [(n, value if n == name else v) for n, v in BASE]


def test_a_remembered_set_answers_for_any_content_length_and_nothing_else() -> None:
    engine = LocalScanner()
    assert engine.quiet_allow("POST", URL, BASE, CHAT)
    assert len(scanner_module._raw_heads) == 1
    longer = CHAT[:-2] + b' "}'
    assert engine.quiet_allow("POST", URL, with_value(b"Content-Length", str(len(longer)).encode()), longer)
    assert len(scanner_module._raw_heads) == 1  # the same set: remembered once
    # One value more or different: not the remembered set.
    assert not engine.quiet_allow("POST", URL, with_value(b"User-Agent", f"agent {SSN}".encode()), CHAT)
    assert not engine.quiet_allow("POST", URL, [*BASE, (b"X-Note", SSN.encode())], CHAT)
    assert not engine.quiet_allow("POST", URL, [*BASE, (b"Content-Encoding", b"gzip")], CHAT)


def test_the_host_is_part_of_what_is_remembered() -> None:
    """The provider key in Authorization is the request's own auth only on its provider's host."""
    engine = LocalScanner()
    assert engine.quiet_allow("POST", URL, BASE, CHAT)
    elsewhere = "https://collector.example.net/v1/chat/completions"
    assert not engine.quiet_allow("POST", elsewhere, BASE, CHAT)
    assert engine.scan(method="POST", url=elsewhere, headers=dict(
        (n.decode(), v.decode()) for n, v in BASE), body=CHAT).findings


def test_another_shape_with_as_many_headers_is_not_mixed_up() -> None:
    """The same number of headers with Content-Length elsewhere (or not at all): the pair left out
    is a Content-Length only where this shape has one."""
    engine = LocalScanner()
    assert engine.quiet_allow("POST", URL, BASE, CHAT)
    moved = [BASE[3], *BASE[:3], *BASE[4:]]
    assert engine.quiet_allow("POST", URL, moved, CHAT)
    without = [(b"X-Note", SSN.encode()) if n == b"Content-Length" else (n, v) for n, v in BASE]
    assert not engine.quiet_allow("POST", URL, without, CHAT)
    lowered = [(b"content-length", v) if n == b"Content-Length" else (n, v) for n, v in BASE]
    assert engine.quiet_allow("POST", URL, lowered, CHAT)


PAIR_NAMES = [b"Host", b"Accept", b"Content-Length", b"content-length", b"Content-Type", b"Authorization",
              b"X-Note", b"Cookie", b"X-Password", b"Content-Encoding", b"Transfer-Encoding"]
PAIR_VALUES = [b"api.openai.com", b"*/*", b"51", b"1108", b"application/json", b"gzip", b"identity",
               f"Bearer {OPENAI_KEY}".encode(), SSN.encode(), b"plain words", b"text/plain; charset=utf-16",
               b"caf\xe9", b"session=abc"]
HOSTS = st.sampled_from(["api.openai.com", "collector.example.net"])
pair_sets = st.lists(st.tuples(st.sampled_from(PAIR_NAMES), st.sampled_from(PAIR_VALUES)), max_size=5)


@settings(max_examples=400, deadline=None)
@given(pair_sets.filter(bool), st.lists(st.tuples(st.integers(0, 4), st.sampled_from(PAIR_VALUES), HOSTS),
                                       min_size=1, max_size=10))
def test_remembered_answers_are_the_plans_answers(base: list[tuple[bytes, bytes]],
                                                  edits: list[tuple[int, bytes, str]]) -> None:
    """A run of requests that are one header set with one value changed at a time (so sets,
    shapes and Content-Lengths repeat and differ by one pair): every answer from memory is what
    the plan computes afresh."""
    for store in (scanner_module._raw_heads, scanner_module._length_at, scanner_module._LENGTH_NAMES):
        store.clear()
    for at, value, host in [(0, base[0][1], "api.openai.com"), *edits]:
        pairs = list(base)
        name = pairs[at % len(pairs)][0]
        pairs[at % len(pairs)] = (name, value)
        remembered = scanner_module._raw_head(pairs, host)
        expected = fresh(pairs, host)
        assert remembered is expected or remembered == expected, (pairs, host)


def test_memory_is_bounded() -> None:
    for i in range(scanner_module._RAW_HEADS_KEPT + 10):
        scanner_module._raw_head([(b"Accept", b"*/*"), (b"X-Request", str(i).encode())], "api.openai.com")
    assert len(scanner_module._raw_heads) <= scanner_module._RAW_HEADS_KEPT


def test_a_plan_remembers_value_sets_it_found_clean_and_only_those() -> None:
    names = ("Accept", "User-Agent", "Content-Length")
    assert scanner_module._planned_head(names, ["*/*", "agent/1", "10"], "h", raw=False) is None
    plan = scanner_module._header_plans[names]
    assert plan is not None and ("*/*", "agent/1") in plan[-1]
    assert scanner_module._planned_head(names, ["*/*", f"agent {SSN}", "10"], "h", raw=False) \
        is scanner_module._UNCLEAN
    assert ("*/*", f"agent {SSN}") not in plan[-1]
