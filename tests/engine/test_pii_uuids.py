"""Digits inside a UUID or a trace context are the id's, never PII (audit 4, item 5).

About one random UUIDv4 in 770,000 has an all-digit middle such as ``a1d5825d-0025-4617-8189-…``,
which the phone shapes read as the "00" international number +254 6178189; in a LangSmith,
Langfuse or OTel export SANITIZE then rewrote run and trace ids. The strategies below draw id
groups from digits far more often than chance, so the rare shapes come up in every run.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interven_autoguard.engine import pii
from interven_autoguard.engine.scanner import LocalScanner
from interven_autoguard.model import Decision

HEX = "0123456789abcdef"
DIGITS = "0123456789"


def _group(n: int) -> st.SearchStrategy[str]:
    """n hex digits: random, all digits, or "00" + digits (the shape read as an international number)."""
    return st.one_of(
        st.text(HEX, min_size=n, max_size=n),
        st.text(DIGITS, min_size=n, max_size=n),
        st.text(DIGITS, min_size=n - 2, max_size=n - 2).map(lambda d: "00" + d),
    )


def _uuid(version: str, variant: str, g3: str, g4: str, g1: str, g2: str, g5: str, upper: bool) -> str:
    text = f"{g1}-{g2}-{version}{g3[1:]}-{variant}{g4[1:]}-{g5}"
    return text.upper() if upper else text


# uuid4 (random), uuid1 (time-based: low, mid, version+high, clock, node) and uuid7 (Unix ms time
# first) differ only in which groups are time and which random; the shapes cover all three.
UUIDS = st.builds(_uuid, st.sampled_from("1470"), st.sampled_from("89ab0"), _group(4), _group(4), _group(8),
                  _group(4), _group(12), st.booleans())
TRACEPARENTS = st.builds(lambda t, s: f"00-{t}-{s}-01", _group(32), _group(16))
TEXTS = ["{}", "resume thread {} please", "urn:uuid:{}", "run-{}", "trace {} parent {}",
         "access-production-{}", "{{{}}}", "id={}&n=1", "/runs/{}/share", "{}, {}"]
KEYS = [None, "id", "run_id", "trace_id", "thread_id", "phone", "metadata", "content"]


@pytest.fixture(scope="module")
def engine() -> LocalScanner:
    return LocalScanner()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(UUIDS, UUIDS, st.sampled_from(TEXTS), st.sampled_from(KEYS))
def test_no_uuid_is_ever_pii_in_text(u: str, v: str, template: str, key: str | None) -> None:
    text = template.format(u, v)
    assert pii.detect(text, key) == [], (text, key)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TRACEPARENTS, st.sampled_from(KEYS))
def test_no_trace_context_is_ever_pii(traceparent: str, key: str | None) -> None:
    assert pii.detect(traceparent, key) == []
    assert pii.detect(f"traceparent: {traceparent}", key) == []


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(UUIDS, UUIDS, st.booleans())
def test_no_uuid_is_ever_a_finding_in_a_request(engine: LocalScanner, u: str, v: str, as_text: bool) -> None:
    run = {"id": u, "trace_id": u, "parent_run_id": v, "dotted_order": f"20240917T120000000000Z{u}",
           "extra": {"metadata": {"thread_id": v, "session": f"urn:uuid:{u}"}},
           "inputs": {"q": f"resume {v}"}, u: v}
    body: Any = {"post": [run], "patch": []}
    if as_text:
        body = json.dumps(body)
    url = f"https://tracing.example.net/runs/{u}/children?parent={quote(v)}&trace_id={u}"
    r = engine.scan(method="POST", url=url, headers={"Content-Type": "application/json"}, body=body)
    assert (r.decision, r.findings) == (Decision.ALLOW, []), [(f.type, f.location) for f in r.findings]


def test_the_audited_uuid_keeps_its_ids(engine: LocalScanner) -> None:
    u = "a1d5825d-0025-4617-8189-d1baf60471b5"
    for text in (u, u.upper(), f"resume thread {u}", f"{{{u}}}", f"urn:uuid:{u}"):
        assert pii.detect(text) == [], text
    r = engine.scan(method="POST", url="https://tracing.example.net/runs/batch",
                    body={"post": [{"id": u, "trace_id": u, "extra": {"metadata": {"thread_id": u}}}]})
    assert (r.decision, r.findings) == (Decision.ALLOW, [])


def test_numbers_next_to_a_uuid_are_still_read() -> None:
    u = "a1d5825d-0025-4617-8189-d1baf60471b5"
    for text in (f"{u} call me at 0044 20 7946 1958", "tel-0044 20 7946 1958"):
        assert [h.type for h in pii.detect(text)] == ["PHONE_NUMBER"], text
    assert [h.type for h in pii.detect(f"ticket {u}: card 4539 5787 6362 1486")] == ["CREDIT_CARD"]
    # The same digits outside an id are still the number they look like.
    assert [h.type for h in pii.detect("dial 0025-4617-8189")] == ["PHONE_NUMBER"]
