"""``LocalScanner.quiet_allow``: the guard's fast lane may only ever say "ALLOW, nothing found".

Whatever the request, ``quiet_allow(...)`` True implies ``scan(...)`` returns ALLOW without a
finding; the header plan (names planned once per header set) answers as the pair-by-pair path; the
everyday agent request does take the lane (otherwise it is no fast lane at all).
"""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from secret_samples import B62, HEX, SAMPLES, pem, r

from interven_autoguard.engine import scanner as scanner_module
from interven_autoguard.engine.policy import Policy
from interven_autoguard.engine.scanner import LocalScanner
from interven_autoguard.guard import core
from interven_autoguard.model import Decision, ScanResponse

OPENAI_KEY = SAMPLES["openai-project-key"]()[1]
GITHUB_TOKEN = SAMPLES["github-pat"]()[1]
SSN = "478-23-9156"
CHAT = json.dumps({"model": "gpt-4o", "messages": [
    {"role": "user", "content": "Summarise the quarterly report for the northern region."}]}).encode()
SDK_HEADERS = {
    "Host": "api.openai.com", "Accept": "application/json", "Content-Type": "application/json",
    "User-Agent": "OpenAI/Python 1.52.0", "X-Stainless-Lang": "python",
    "X-Stainless-Package-Version": "1.52.0", "X-Stainless-Retry-Count": "0",
    "Authorization": f"Bearer {OPENAI_KEY}", "Content-Length": str(len(CHAT)),
}

URLS = [
    # a key in its documented query parameter: the request's own auth (scan ALLOWs it, the lane need not)
    "https://api.nasa.gov/planetary/apod?api_key=Qm8Zp2Lm7Vn3Rt9Sx1Wy5Az6Bc0De4Fg8Hj2Kl3",
    "https://api.openai.com/v1/chat/completions", "http://127.0.0.1:8080/v1/chat/completions",
    "http://169.254.169.254/latest/meta-data/", "https://user:pw@api.example.com/x",
    "https://pastebin.com/api/api_post.php", f"https://api.example.com/items?q={SSN}",
    "https://api.example.com/items?token=abc", "http://[::1]:9/x", "https://api.github.com/user",
    f"https://api.example.com/{GITHUB_TOKEN}", "not a url", "https://webhook.site/abc",
    # a Weaviate Cloud cluster: a provider key in the module header for its provider is relayed
    "https://rv8dx3ks.c0.europe-west3.gcp.weaviate.cloud/v1/graphql",
]
HEADER_NAMES = ["Content-Type", "User-Agent", "Authorization", "X-Api-Key", "Cookie", "Content-Encoding",
                "X-Custom", "content-length", "Transfer-Encoding", "X-Password", "Accept", "traceparent",
                # auth headers by their shape, vendors' own (bound by name), object metadata (content)
                "X-Subscription-Token", "DD-API-KEY", "X-Auth-Email", "x-amz-meta-api-key",
                # Weaviate's module headers (relayed to their provider from Weaviate Cloud only)
                "X-OpenAI-Api-Key", "X-Anthropic-Api-Key", "X-Foo-Token"]
HEADER_VALUES = ["application/json", "gzip", "identity", "application/json; charset=utf-16",
                 "multipart/form-data; boundary=x", "text/plain; charset=latin-1", f"Bearer {OPENAI_KEY}",
                 f"token {GITHUB_TOKEN}", "session=abc", "1234567", "plain words", SSN, "%68%69", "caf\xe9",
                 "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                 r(HEX, 32), "ops@acme.dev", "BSA" + r(B62, 29), OPENAI_KEY,
                 # what an auth header carries besides its credential (PII, a private key), and an
                 # identity where it is the value's meaning (Basic's user name, Digest's username)
                 "Bearer 4539 1488 0343 6467", "Basic " + base64.b64encode(f"jane:{SSN}".encode()).decode(),
                 "Basic " + base64.b64encode(b"ops@acme.dev:" + r(B62, 20).encode()).decode(),
                 f'Digest username="ops@acme.dev", realm="api@acme.dev", nc=00000001,'
                 f' response="{r(HEX, 32)}"',
                 "Bearer " + pem("PRIVATE KEY").replace("\n", "\\n")]
BODY_PIECES = st.sampled_from([
    "hello", " ", "\n", '{"a": "', '"}', SSN, "john@acme.com", OPENAI_KEY, GITHUB_TOKEN, "%41%42",
    "aGVsbG8gd29ybGQgaGVsbG8=", "\\u0041", "&#65;", "4111 1111 1111 1111", "caf\xe9", "\x00",
    "password=", "AKIA", "--x\r\nContent-Type: text/plain; charset=utf-16\r\n\r\n",
    "claude-3-5-sonnet-20241022", "2024-08-06", "12345678", "+44 20 7946 0958", "020 7946 0958",
    '"phone": "', "0171 2345678", "tel:", "(0)30 901820",
])
bodies = st.one_of(
    st.none(),
    st.lists(BODY_PIECES, max_size=8).map("".join),
    st.lists(BODY_PIECES, max_size=8).map(lambda p: "".join(p).encode("utf-8")),
    st.binary(max_size=64),
    st.just(gzip.compress(SSN.encode())),
)
headers = st.dictionaries(st.sampled_from(HEADER_NAMES), st.sampled_from(HEADER_VALUES), max_size=6)


@pytest.fixture(scope="module")
def engine() -> LocalScanner:
    return LocalScanner()


class FullPipeline(LocalScanner):
    """``scan`` without its own shortcut: ``scan`` asks ``_looks_clean`` too (``_quick_allow``), so
    comparing the lane with ``scan`` alone could never catch a blind spot they share."""

    def _quick_allow(self, *args: Any, **kwargs: Any) -> None:
        return None

    def _body_reads_clean(self, text: str, mime: str, max_body: int) -> bool:
        return False  # every body is parsed and every field read


@pytest.fixture(scope="module")
def full() -> LocalScanner:
    return FullPipeline()


def assert_nothing_found(full: LocalScanner, url: str, headers: Any, body: Any, method: str = "POST") -> None:
    response = full.scan(method=method, url=url, headers=headers, body=body)
    assert response.decision == Decision.ALLOW and response.findings == [], (url, headers, body)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["GET", "POST", "post", "DELETE"]), st.sampled_from(URLS), headers, bodies)
def test_quiet_allow_implies_allow_without_findings(engine: LocalScanner, full: LocalScanner, method: str,
                                                    url: str, hdrs: dict[str, str], body: Any) -> None:
    if engine.quiet_allow(method, url, hdrs, body):
        assert_nothing_found(full, url, hdrs, body, method)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(headers, bodies)
def test_planned_headers_answer_as_the_pairwise_path(engine: LocalScanner, hdrs: dict[str, str],
                                                     body: Any) -> None:
    planned = engine._looks_clean("api.openai.com", hdrs, body, engine.policy)
    assert planned == engine._looks_clean("api.openai.com", list(hdrs.items()), body, engine.policy)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from([*HEADER_NAMES, "x-custom", "CONTENT-TYPE"]),
                          st.sampled_from(HEADER_VALUES)), max_size=6), bodies)
def test_raw_byte_pairs_answer_as_the_merged_headers(engine: LocalScanner, pairs: list[tuple[str, str]],
                                                     body: Any) -> None:
    """httpx hands over (bytes, bytes) pairs; a name repeated in any case is merged by the full
    pipeline (``to_dict``), so such a set never takes the lane."""
    from interven_autoguard.guard.headers import to_dict

    raw = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in pairs]
    url = "https://api.openai.com/v1/chat/completions"
    quiet = engine.quiet_allow("POST", url, raw, body)
    if len({n.lower() for n, _ in pairs}) < len(pairs):
        assert not quiet
    else:
        assert quiet == engine.quiet_allow("POST", url, to_dict(raw), body)
    if quiet:
        response = engine.scan(method="POST", url=url, headers=to_dict(raw), body=body)
        assert response.decision == Decision.ALLOW and response.findings == []


def test_the_everyday_sdk_request_takes_the_lane(engine: LocalScanner) -> None:
    url = "https://api.openai.com/v1/chat/completions"
    assert engine.quiet_allow("POST", url, SDK_HEADERS, CHAT)
    assert engine.quiet_allow("POST", url, SDK_HEADERS, CHAT.decode())  # str bodies too
    assert engine.quiet_allow("GET", "http://127.0.0.1:8080/health", {"Accept": "*/*"}, None)
    raw = [(k.encode(), v.encode()) for k, v in SDK_HEADERS.items()]
    assert engine.quiet_allow("POST", url, raw, CHAT)  # as httpx holds them
    # Anthropic's SDK: its user agent reads as base64 and its version header as a number to the
    # triages; the pipeline finds nothing in either, and the lane asks the pipeline (once).
    anthropic = {"Host": "api.anthropic.com", "Content-Type": "application/json",
                 "User-Agent": "Anthropic/Python 0.40.0", "anthropic-version": "2023-06-01",
                 "x-api-key": SAMPLES["anthropic-api-key"]()[1], "x-stainless-timeout": "600"}
    assert engine.quiet_allow("POST", "https://api.anthropic.com/v1/messages", anthropic, CHAT)
    assert engine.quiet_allow("POST", "https://api.anthropic.com/v1/messages",
                              [(k.encode(), v.encode()) for k, v in anthropic.items()], CHAT)
    # Dated model names (the SDKs' defaults) are no phone numbers: they stay in the lane.
    for model in ("claude-3-5-sonnet-20241022", "gpt-4o-2024-08-06"):
        dated = CHAT.replace(b'"gpt-4o"', f'"{model}"'.encode())
        assert engine.quiet_allow("POST", "https://api.anthropic.com/v1/messages", anthropic, dated)


TOOL_CALL_ID = "call_Zt2o1Ym5ZQhCxZ0K8w9C2WzF"
TOOL_USE_ID = "toolu_01A09q90qw90lq917835lq9"
AGENT_TURN = json.dumps({"model": "gpt-4o", "messages": [
    {"role": "user", "content": "What's the weather in Paris?"},
    {"role": "assistant", "content": None, "tool_calls": [{"id": TOOL_CALL_ID, "type": "function",
     "function": {"name": "get_weather", "arguments": json.dumps({"city": "Paris"})}}]},
    {"role": "tool", "tool_call_id": TOOL_CALL_ID, "content": json.dumps({"temp_c": 14})},
    {"role": "assistant", "content": [{"type": "tool_use", "id": TOOL_USE_ID, "name": "w", "input": {}}]},
    {"role": "user", "trace": "4bf92f3577b34da6a3ce929d0e0e4736"}]}).encode()
SECRET_TEXT = f"the customer's SSN is {SSN}, key {OPENAI_KEY}"
DATADOG = SAMPLES["datadog-app-key"]()[0]
B64_SECRET = base64.b64encode(SECRET_TEXT.encode()).decode()


def test_tool_call_ids_keep_an_agent_turn_in_the_lane(engine: LocalScanner) -> None:
    """Ids that read like encoded data (every tool call of an agent's conversation) decode to
    nothing: the turn stays in the lane, and ``scan`` agrees there is nothing in it."""
    url = "https://api.openai.com/v1/chat/completions"
    json_headers = {"Content-Type": "application/json"}
    assert engine.quiet_allow("POST", url, json_headers, AGENT_TURN)
    assert engine.quiet_allow("POST", url, {}, AGENT_TURN)  # sniffed as JSON
    response = engine.scan(method="POST", url=url, headers=json_headers, body=AGENT_TURN)
    assert response.decision == Decision.ALLOW and response.findings == []


def _json(value: str) -> bytes:
    return json.dumps({"messages": [{"content": value, "id": TOOL_CALL_ID}]}).encode()


@pytest.mark.parametrize(("headers", "body"), [
    ({"Content-Type": "application/json"}, _json(B64_SECRET)),  # base64 of text: decoded, found
    ({"Content-Type": "application/json"}, _json(SECRET_TEXT.encode().hex())),  # hex of text
    ({"Content-Type": "application/json"}, _json(json.dumps({"nested": B64_SECRET}))),  # JSON in JSON
    # Base64 of text wrapped over lines: one run only once the JSON "\n" escapes are read.
    ({"Content-Type": "application/json"},
     _json("\n".join(B64_SECRET[i:i + 16] for i in range(0, len(B64_SECRET), 16)))),
    ({"Content-Type": "application/json"}, _json("\n".join([B64_SECRET[:40], B64_SECRET[40:]]))),
    ({"Content-Type": "application/json"}, _json("\r\n".join([B64_SECRET[:40], B64_SECRET[40:]]))),
    # A form body reads "+" as a space: "<id>+<base64>" is one raw run, two runs once read.
    ({"Content-Type": "application/x-www-form-urlencoded"},
     f"q={TOOL_CALL_ID}+{B64_SECRET.replace('+', '%2B')}".encode()),
    ({}, f"note: {TOOL_USE_ID} {B64_SECRET}".encode()),  # plain text
])
def test_runs_that_decode_to_something_leave_the_lane(engine: LocalScanner, full: LocalScanner,
                                                      headers: dict[str, str], body: bytes) -> None:
    url = "https://api.example.com/v1/notes"
    assert not engine.quiet_allow("POST", url, headers, body)
    assert full.scan(method="POST", url=url, headers=headers, body=body).findings
    assert engine.scan(method="POST", url=url, headers=headers, body=body).findings


@pytest.mark.parametrize("body", [
    # A JSON escape's letter glued to what follows: "\t" is a tab, then the real base64 or hex run
    # (the raw run "tY29u..." is misaligned and decodes to nothing).
    b'{"content": "x \\tY29udGFjdCBhbGljZS5zbWl0aEBjb3JwLW1haWwuY29tIG5vdw"}',
    b'{"content": "\\f6a6f6e2e6e6f6c6b406d6f6a6f2e6e6f"}',
    b'{"content": "\\b6a6f6e2e6e6f6c6b406d6f6a6f2e6e6f"}',
    json.dumps({"tool_calls": [{"id": TOOL_CALL_ID, "function": {"arguments": json.dumps(
        {"x": "\teW91IG1haWwgYm9iLmpvbmVzQGNvcnAtbWFpbC5jb20gb2sgb2sgdGhpcyBhbmQ"})}}]}).encode(),
    # ... or before a trunk-0 phone number.
    b'{"phone": "\\t039 8259"}', b'{"phone": "\\n039 8259"}', b'{"phone": "\\t070 40751"}',
    # An escaped quote hid a "key": "value" pair from the keyword expressions (tool arguments).
    json.dumps({"arguments": DATADOG}).encode(),
    # Missed by the pipeline's own body shortcut too: base64 lines joined only once the "\n" escape
    # is read ("XRQ@NBDMUI.DE!;nnn…").
    b'{"content": "WFJRQE5CRE1VSS5ERSE7\\nbm5ubm5ubm5ubm5u"}',
])
@pytest.mark.parametrize("content_type", ["application/json", "text/plain", None])
def test_what_json_decoding_changes_leaves_the_lane(engine: LocalScanner, full: LocalScanner, body: bytes,
                                                    content_type: str | None) -> None:
    """Found by a review: the triages read raw bytes, the detectors JSON-decoded strings."""
    url = "https://api.example.com/v1/x"
    headers = {"Content-Type": content_type} if content_type else {}
    findings = full.scan(method="POST", url=url, headers=headers, body=body).findings
    # Every case is a finding when read as JSON.
    assert findings
    assert not engine.quiet_allow("POST", url, headers, body)
    assert engine.scan(method="POST", url=url, headers=headers, body=body).findings


# A JSON number in exponent form is read as its decimal expansion ("6.7740123e-2" -> "0.067740123"),
# digits the raw bytes do not show. These once were trunk-0 phone numbers under a "phone" key; a
# decimal fraction is no phone number now, so the full pipeline and the lane agree on "nothing".
@pytest.mark.parametrize("body", [
    b'{"phone": 6.7740123e-2}', b'{"n": 6.837012e-3}', b"6.837012e-3", b'[{"phone": [-6.7740123E-2]}]',
    b'{"phone": 9.89601e-2}',
])
@pytest.mark.parametrize("content_type", ["application/json", "text/plain", None])
def test_exponent_numbers_are_no_pii_in_either_lane(engine: LocalScanner, full: LocalScanner, body: bytes,
                                                    content_type: str | None) -> None:
    url = "https://api.example.com/v1/x"
    headers = {"Content-Type": content_type} if content_type else {}
    assert full.scan(method="POST", url=url, headers=headers, body=body).findings == []
    assert engine.scan(method="POST", url=url, headers=headers, body=body).findings == []


@pytest.mark.parametrize(("url", "headers", "body"), [
    # Found by a second review: a field read under a sensitive name is checked whole, whatever its
    # layout; the value-side triage cleared these (and so did the pipeline's own body shortcut).
    (None, {"Content-Type": "application/json"}, b'{"password": ["Zk8qLm2vRtYpQ3xWz9Hd"]}'),
    (None, {"Content-Type": "application/json"}, b'{"password": ["hunter22x"]}'),
    (None, {"Content-Type": "application/json"}, b'{"password ": "Zk8qLm2vRtYpQ3xWz9Hd"}'),
    (None, {}, b'{"password ": "hunter22x"}'),
    (None, {"Content-Type": "text/plain"}, b'{"my password is": "hunter22x"}'),
    (None, {"Content-Type": "application/json"}, b'{"password": " Zk8qLm2vRtYpQ3xWz9Hd"}'),
    (None, {"Content-Type": "application/json"}, b'{"client_secret": "\\"Zk8qLm2vRtYpQ3xWz9Hd"}'),
    (None, {"Content-Type": "application/json"},
     b'{"args": "{\\"password \\": \\"Zk8qLm2vRtYpQ3xWz9Hd\\"}"}'),
    (None, {"Content-Type": "application/json"}, b'{"mistral api key ": "BKkWQENix2VWeAv6YV5RAxUN8DXFT6JY"}'),
    (None, {"Content-Type": "application/json"}, b'{"token": "  Zk8qLm2vRtYp"}'),
    (None, {"Content-Type": "application/x-ndjson"}, b'{"a":1}\n{"password ": "hunter22x"}'),
    (None, {"Content-Type": "application/x-www-form-urlencoded"}, b"password+=hunter22x"),
    (None, {"Content-Type": "application/x-www-form-urlencoded"}, b"data[password]=hunter22x"),
    ("https://api.example.com/v1/x?password+=hunter22x", {}, None),
    # (not "token": a bearer value in a URL auth parameter is the request's own auth, no finding)
    ("https://api.example.com/v1/x?secret+=Zk8qLm2vRtYp", {}, None),
    ("https://api.example.com/v1/x?data[password]=hunter22x", {}, None),
    ("https://api.example.com/v1/x?a=1&password[0]=hunter22x", {}, None),
    # A third review: compounds split by a separator (classify_key joins two adjacent words), a
    # form name over a line break, multipart part names and header lines, a tab in a URL (urlsplit
    # drops it, joining what it separated).
    (None, {"Content-Type": "application/json"}, b'{"ses_sionid": "Xk9!mQ2!pL7!zR4w"}'),
    (None, {"Content-Type": "application/json"}, b'{"clients_ecret": "Xk9!mQ2!pL7!zR4w"}'),
    (None, {"Content-Type": "application/json"}, b'{"servicek_ey": "Xk9!mQ2!pL7!zR4w"}'),
    (None, {"Content-Type": "application/x-www-form-urlencoded"}, b"d.sn=Xk9!mQ2!pL7!zR4w"),
    ("https://api.example.com/v1/x?con_nstr=Xk9!mQ2!pL7!zR4w", {}, None),
    (None, {"Content-Type": "application/x-www-form-urlencoded"}, b"pass\nword=hunter22xQ"),
    (None, {"Content-Type": "application/x-www-form-urlencoded"}, b"api_key\nx=Xk9!mQ2!pL7!zR4w"),
    (None, {"Content-Type": "multipart/form-data; boundary=xyz"},
     b'--xyz\r\ncontent-disposition: form-data; name="password"\r\n\r\nhunter22xQ\r\n--xyz--\r\n'),
    (None, {"Content-Type": "multipart/form-data; boundary=xyz"},
     b'--xyz\r\nCONTENT-DISPOSITION: form-data; name=api_key\r\n\r\nXk9!mQ2!pL7!zR4w\r\n--xyz--\r\n'),
    (None, {"Content-Type": "multipart/form-data; boundary=xyz"},
     b'--xyz\r\ncontent-disposition: form-data; name="a"\r\nbearer Xk9!mQ2!pL7!zR4w\r\n\r\n'
     b'hello\r\n--xyz--\r\n'),
    ("https://api.example.com/v1/x?q=AK\tIA3K6IXE2V2X57JVNR", {}, None),
    ("https://api.example.com/v1/x?sec\tret=Xk9!mQ2!pL7!zR4w", {}, None),
])
def test_values_under_sensitive_names_leave_the_lane(
        engine: LocalScanner, full: LocalScanner, url: str | None, headers: dict[str, str],
        body: bytes | None) -> None:
    url = url or "https://api.example.com/v1/x"
    assert full.scan(method="POST", url=url, headers=headers, body=body).findings
    assert not engine.quiet_allow("POST", url, headers, body)
    assert engine.scan(method="POST", url=url, headers=headers, body=body).findings


def test_a_compressed_body_longer_than_the_parse_budget_is_parsed() -> None:
    """A fourth review: the body shortcut judged the decompressed text clean and skipped parsing,
    whose node budget (max_body_bytes) a small gzip body can exceed: scan() said ALLOW where the
    pipeline says DENY BODY_TOO_LARGE."""
    policy = Policy.from_text("[settings]\nmax_body_bytes = 1000\n")
    engine, full = LocalScanner(policy=policy), FullPipeline(policy=policy)
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    body = gzip.compress(b"[" + b"0," * 2000 + b"0]")
    url = "https://api.openai.com/v1/chat/completions"
    assert full.scan(method="POST", url=url, headers=headers, body=body).decision == Decision.DENY
    assert engine.scan(method="POST", url=url, headers=headers, body=body).decision == Decision.DENY
    assert not engine.quiet_allow("POST", url, headers, body)


def test_connection_headers_are_read_too(engine: LocalScanner, full: LocalScanner) -> None:
    """A fourth review: Connection, Keep-Alive, TE and Expect were skipped as framing; an agent can
    put anything in them. Their usual values still take the lane."""
    url = "https://api.example.com/v1/x"
    usual = {"Connection": "keep-alive", "Keep-Alive": "timeout=5, max=1000", "TE": "trailers",
             "Expect": "100-continue"}
    assert engine.quiet_allow("POST", url, usual, b"{}")
    for name in usual:
        leaky = {**usual, name: SAMPLES["aws-access-key-id"]()[0]}
        assert full.scan(method="POST", url=url, headers=leaky, body=b"{}").findings, name
        assert not engine.quiet_allow("POST", url, leaky, b"{}")
        assert engine.scan(method="POST", url=url, headers=leaky, body=b"{}").findings, name


def test_the_lane_refuses_what_scan_refuses(engine: LocalScanner) -> None:
    with pytest.raises(TypeError):
        engine.scan(method="", url="https://example.com/", headers={}, body=None)
    assert not engine.quiet_allow("", "https://example.com/", {}, None)


def test_a_name_cut_inside_a_word_is_not_a_shorter_name() -> None:
    """classify_key reads 120 characters: "…_access_keyboard" cut after "key" is no api key."""
    from interven_autoguard.engine.secrets import key_is_sensitive

    filler = "which_option_of_the_long_settings_name_" * 4
    assert not key_is_sensitive(filler[:109] + "_access_keyboard")
    assert not key_is_sensitive(filler[:114] + "_tokenizer")
    assert key_is_sensitive(filler[:100] + "_api_key")


ID_PIECES = st.sampled_from([
    TOOL_CALL_ID, TOOL_USE_ID, "4bf92f3577b34da6a3ce929d0e0e4736", B64_SECRET, B64_SECRET[:24],
    B64_SECRET[24:], SECRET_TEXT.encode().hex(), "aGVsbG8gd29ybGQgaGVsbG8=", "=", "==", "\n", "\r\n",
    "\\n", "\"", " ", "+", "/", "_", "-", "x", "A" * 16, "a" * 16, OPENAI_KEY[:20], OPENAI_KEY[20:],
    base64.b64encode(SSN.encode()).decode(), base64.urlsafe_b64encode(SECRET_TEXT.encode()).decode(),
    "\t", "\b", "\f", "039 8259", "+44 20 7946 0958", '"dd_app_key": "', DATADOG,
])


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(ID_PIECES, max_size=8).map("".join), st.sampled_from([
    "application/json", "text/plain", None, "application/x-www-form-urlencoded"]),
    st.sampled_from(["json", "nested", "raw"]))
def test_blob_runs_in_the_lane_decode_to_nothing(engine: LocalScanner, full: LocalScanner, text: str,
                                                 content_type: str | None, framing: str) -> None:
    """Quiet still implies ALLOW without findings when bodies carry ids, blobs, escapes."""
    if framing == "json":
        body = json.dumps({"content": text, "id": TOOL_CALL_ID}).encode()
    elif framing == "nested":
        body = json.dumps({"arguments": json.dumps({"v": text})}).encode()
    else:
        body = text.encode()
    headers = {"Content-Type": content_type} if content_type else {}
    if engine.quiet_allow("POST", "https://api.example.com/v1/x", headers, body):
        assert_nothing_found(full, "https://api.example.com/v1/x", headers, body)


@pytest.mark.parametrize(("url", "headers", "body"), [
    ("https://api.example.com/v1/chat", SDK_HEADERS, CHAT),  # the OpenAI key sent elsewhere
    ("https://api.openai.com/v1/chat/completions", {}, CHAT.replace(b"quarterly", SSN.encode())),
    ("https://api.openai.com/v1/chat/completions", {"X-Password": "abc"}, CHAT),  # a sensitive name
    ("https://api.openai.com/v1/chat/completions", {"X-Note": f"SSN {SSN}"}, CHAT),  # a finding in a value
    ("https://api.openai.com/v1/chat/completions",  # a finding in a decoded value
     {"X-Trace": base64.b64encode(f"customer SSN {SSN}".encode()).decode()}, CHAT),
    ("https://api.openai.com/v1/chat/completions", {"Content-Encoding": "gzip"}, gzip.compress(CHAT)),
    ("https://api.openai.com/v1/chat/completions", {"Content-Type": "application/json; charset=utf-16"},
     CHAT + b" " * (len(CHAT) % 2)),  # read as UTF-16: not the ASCII text any more
    ("http://169.254.169.254/latest/meta-data/", {}, None),
    ("https://api.openai.com/v1/chat/completions", {}, {"messages": []}),  # structured: full path
    ("https://api.openai.com/v1/chat/completions", {}, "caf\xe9".encode()),  # not ASCII: full path
])
def test_anything_worth_a_look_leaves_the_lane(engine: LocalScanner, url: str, headers: dict[str, str],
                                              body: Any) -> None:
    assert not engine.quiet_allow("POST", url, headers, body)


def test_bad_input_leaves_the_lane_without_raising(engine: LocalScanner) -> None:
    assert not engine.quiet_allow("POST", 42, {}, b"x")  # type: ignore[arg-type]
    assert not engine.quiet_allow("POST", "https://api.example.com/", {b"X": b"1"}, b"x")  # type: ignore[dict-item]
    assert not engine.quiet_allow("POST", "https://api.example.com/", {}, object())  # type: ignore[arg-type]


POLICY = """
[[rules]]
id = "no-posting-jobs"
decision = "DENY"
methods = ["POST"]
hosts = ["api.example.com"]
paths = ["/jobs"]
"""


def test_the_lane_follows_the_policy_and_is_bounded() -> None:
    engine = LocalScanner(policy=POLICY)
    url = "https://api.example.com/jobs"
    assert not engine.quiet_allow("POST", url, {}, b"plain words")
    assert engine.scan(method="POST", url=url, body=b"plain words").decision == Decision.DENY
    assert engine.quiet_allow("GET", url, {}, None)
    engine.policy = Policy.load(None)
    assert engine.quiet_allow("POST", url, {}, b"plain words")
    for i in range(1100):
        engine.quiet_allow("GET", f"https://api.example.com/items/{i}", {f"X-{i}": "1"}, None)
    assert len(engine._quiet_urls[1]) <= 1024
    assert len(scanner_module._header_plans) <= 256


def test_a_subclass_overriding_scan_gets_no_lane() -> None:
    class Strict(LocalScanner):
        def scan(self, **kwargs: Any) -> ScanResponse:  # type: ignore[override]
            return ScanResponse(decision=Decision.DENY)

    assert core._entry(Strict(), "quiet_allow_entry") is None
    assert core._entry(LocalScanner(), "quiet_allow_entry") is not None


# Found in review: each input took the lane (or the fast path of scan()) although the full pipeline
# reports something in it.
@pytest.mark.parametrize(("charset", "body", "finding"), [
    ("iso-2022-jp", b"card \x1b$B#4#5#3#9#1#4#8#8#0#3#4#3#6#4#6#7\x1b(B", "CREDIT_CARD"),  # full-width
    ("iso-2022-jp", b"mail \x1b$B#j#o#h#n!w#a#c#m#e!%#c#o#m\x1b(B", "EMAIL"),
    ("unicode_escape", b"write to john\\100acme.com", "EMAIL"),
])
def test_charsets_that_do_not_read_ascii_as_itself_leave_the_lane(
        engine: LocalScanner, charset: str, body: bytes, finding: str) -> None:
    headers = {"Content-Type": f"text/plain; charset={charset}"}
    url = "https://api.example.com/v1/notes"
    assert not engine.quiet_allow("POST", url, headers, body)
    response = engine.scan(method="POST", url=url, headers=headers, body=body)
    assert response.decision != Decision.ALLOW and finding in {f.type for f in response.findings}


def test_two_content_types_leave_the_lane(engine: LocalScanner) -> None:
    url = "https://api.example.com/v1/notes"
    pairs = [("Content-Type", "text/plain; charset=utf-7"), ("content-type", "text/plain")]
    assert not engine.quiet_allow("POST", url, pairs, b"contact john+AEA-acme.com")
    assert not engine.quiet_allow("POST", url, dict(pairs), b"contact john+AEA-acme.com")
    assert engine.scan(method="POST", url=url, headers=pairs, body=b"contact john+AEA-acme.com").findings


@pytest.mark.parametrize(("url", "body"), [
    ("https://api.example.com/search?q=4539+1488+0343+6467", None),
    ("https://api.example.com/search?q=call+212+555+2147+now", None),
    ("https://api.example.com/search", b"q=4539+1488+0343+6467"),
])
def test_plus_written_spaces_are_read_as_spaces(engine: LocalScanner, url: str, body: bytes | None) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
    assert not engine.quiet_allow("POST", url, headers, body)
    assert engine.scan(method="POST", url=url, headers=headers, body=body).findings


def test_header_values_must_be_exactly_str_or_bytes(engine: LocalScanner) -> None:
    class Shown(str):
        def __str__(self) -> str:
            return f"SSN {SSN}"

    url = "https://api.openai.com/v1/chat/completions"
    assert not engine.quiet_allow("POST", url, {"X-Note": Shown("plain")}, CHAT)
    assert not engine.quiet_allow("POST", url, [("X-Note", Shown("plain"))], CHAT)
    assert not engine.quiet_allow("POST", url, {"X-Agent": "a"}, CHAT, agent_id=["unhashable"])  # type: ignore[arg-type]


def test_a_policy_swapped_mid_call_is_not_mixed_in() -> None:
    """Another thread replaces the policy while a request computes its verdict: the verdict is
    filed under the policy it was computed with."""
    strict, lenient = Policy.load(POLICY), Policy.load(None)
    engine = LocalScanner(policy=strict)
    url = "https://api.example.com/jobs"
    assert engine.quiet_allow("GET", url, {}, None)
    original = LocalScanner._clean_verdict

    def swapping(self: LocalScanner, *args: Any) -> Any:
        self.policy = lenient
        return original(self, *args)

    engine._clean_verdict = swapping.__get__(engine)  # type: ignore[method-assign]
    assert not engine.quiet_allow("POST", url, {}, b"x")  # computed under the strict policy it read
    del engine._clean_verdict
    engine.policy = strict
    assert not engine.quiet_allow("POST", url, {}, b"x")
    assert engine.scan(method="POST", url=url, body=b"x").decision == Decision.DENY
