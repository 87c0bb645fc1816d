"""Unit tests of the transport-agnostic pieces: body capture, header framing, hashing, hop keys."""

from __future__ import annotations

import io
import os
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interven_autoguard.guard import headers as hdrs
from interven_autoguard.guard.bodies import capture
from interven_autoguard.guard.core import _fallback_redact_url, hop_key, redact_url, request_hash


def test_bytes_and_str_bodies_stay_the_caller_objects() -> None:
    data = b"abc"
    assert capture(data).replay is data and capture(data).data == b"abc"
    text = "é"
    captured = capture(text, str_encoding="iso-8859-1")
    assert captured.replay is text and captured.data == b"\xe9"


def test_generator_is_replayed_with_the_same_chunks() -> None:
    captured = capture(c for c in [b"a", "b", bytearray(b"cd"), b""])
    assert captured.data == b"abcd"
    assert list(captured.replay) == [b"a", "b", bytearray(b"cd"), b""]
    assert list(captured.replay) == []  # one-shot, like the generator it replaces


def test_list_body_is_kept() -> None:
    body = [b"x", b"y"]
    assert capture(body).replay is body


def test_chunk_that_cannot_be_inspected_makes_the_body_incomplete() -> None:
    # What follows such a chunk is never scanned, and http.client would still send it: fail closed.
    captured = capture(iter([b"ok", 42, b"never scanned"]))
    assert captured.data == b"ok" and not captured.complete
    assert captured.reason == "BODY_NOT_INSPECTABLE"
    assert list(captured.replay) == [b"ok", 42, b"never scanned"]


def test_uninspectable_body_is_passed_through() -> None:
    captured = capture(12345)
    assert captured.data is None and captured.replay == 12345


def test_seekable_file_is_reseeked_and_kept() -> None:
    handle = io.BytesIO(b"0123456789")
    handle.seek(4)
    captured = capture(handle)
    assert captured.replay is handle and captured.data == b"456789" and handle.tell() == 4


def test_unseekable_file_is_replaced_by_an_equivalent_reader() -> None:
    read_fd, write_fd = os.pipe()
    os.write(write_fd, b"pipe" * 10)
    os.close(write_fd)
    with open(read_fd, "rb") as pipe:
        captured = capture(pipe)
        assert captured.data == b"pipe" * 10
        assert captured.replay.read(3) == b"pip" and captured.replay.read() == b"e" + b"pipe" * 9
        assert captured.replay.read(10) == b""


def test_stream_over_the_limit_keeps_the_rest_unread() -> None:
    rest = iter([b"c" * 10])
    captured = capture(iter([b"a" * 10, b"b" * 10, *rest]), limit=15)
    assert not captured.complete and captured.data == b"a" * 10 + b"b" * 10
    assert b"".join(captured.replay) == b"a" * 10 + b"b" * 10 + b"c" * 10


def test_unseekable_file_over_the_limit_replays_prefix_then_rest() -> None:
    read_fd, write_fd = os.pipe()

    def feed() -> None:  # more than a pipe buffer holds: write while the capture reads
        with open(write_fd, "wb") as out:
            out.write(b"z" * 200_000)

    writer = threading.Thread(target=feed)
    writer.start()
    with open(read_fd, "rb") as pipe:
        captured = capture(pipe, limit=70_000)
        assert not captured.complete and len(captured.data or b"") < 200_000
        assert captured.replay.read() == b"z" * 200_000
    writer.join()


@pytest.mark.parametrize("original", [{"Content-Length": "9"}, {"content-length": "9"},
                                      {"Transfer-Encoding": "chunked"}, {"TRANSFER-ENCODING": "chunked"}])
def test_rewritten_replaces_framing_case_insensitively(original: dict[str, str]) -> None:
    given = dict(original, Accept="*/*")
    out = hdrs.rewritten(given, given, dict(given, Accept="x/y"), 4)
    assert out == [("Accept", "x/y"), ("Content-Length", "4")]


def test_rewritten_keeps_original_framing_when_the_body_is_unchanged() -> None:
    given = {"X": "1", "Transfer-Encoding": "chunked"}
    out = hdrs.rewritten(given, given, {"X": "2", "content-length": "999"}, None)
    assert out == [("X", "2"), ("Transfer-Encoding", "chunked")]


def test_rewritten_keeps_the_callers_lines_of_unchanged_headers() -> None:
    given = [(b"Cookie", b"a=1"), (b"X-Name", "José".encode()), (b"cookie", b"b=2")]
    scanned = hdrs.to_dict(given)
    assert hdrs.rewritten(given, scanned, None, 3) == [
        ("Cookie", "a=1"), ("X-Name", "José".encode().decode("latin-1")), ("cookie", "b=2"),
        ("Content-Length", "3")]
    sanitized = dict(scanned, **{"X-Name": "[R]"})
    assert hdrs.rewritten(given, scanned, sanitized, None) == [
        ("Cookie", "a=1"), ("X-Name", "[R]"), ("cookie", "b=2")]


@pytest.mark.parametrize(("lines", "redacted", "expected"), [
    (["a=1", "s=K", "c=3"], "a=1, s=[R], c=3", ["a=1", "s=[R]", "c=3"]),
    (["s=K", "b=2"], "s=[R], b=2", ["s=[R]", "b=2"]),
    (["a, K", "b"], "a, [R], b", ["a, [R]", "b"]),
    (["K", "K"], "[R], [R]", ["[R], [R]"]),  # nothing unchanged to split at: one line
])
def test_rewritten_splits_a_redacted_repeated_header_where_it_can(lines: list[str], redacted: str,
                                                                   expected: list[str]) -> None:
    given = [("Cookie", v) for v in lines]
    out = hdrs.rewritten(given, hdrs.to_dict(given), {"Cookie": redacted}, None)
    assert out == [("Cookie", v) for v in expected]


def test_rewritten_hands_on_a_value_that_is_no_str_for_the_library_to_refuse() -> None:
    given = [("A", "1"), ("A", "2")]
    assert hdrs.rewritten(given, hdrs.to_dict(given), {"A": None}, None) == [("A", None)]  # type: ignore[dict-item]


def test_rewritten_drops_what_the_scanner_dropped_and_adds_what_it_added() -> None:
    given = {"A": "1", "B": "2"}
    assert hdrs.rewritten(given, given, {"a": "1", "C": "3"}, None) == [("A", "1"), ("C", "3")]


def test_to_dict_joins_repeats_and_decodes_bytes() -> None:
    assert hdrs.to_dict([(b"Accept", b"a"), ("accept", "b"), ("X", 5)]) == {"Accept": "a, b", "X": "5"}


def test_request_hash_is_canonical_for_headers_and_exact_for_the_rest() -> None:
    base = request_hash("post", "http://h/p", {"A": " 1 ", "b": "2"}, b"body")
    assert base == request_hash("POST", "http://h/p", {"b": "2", "a": "1"}, b"body")
    assert base != request_hash("POST", "http://h/p", {"a": "1", "b": "2"}, b"body ")
    assert base != request_hash("POST", "http://h/p?", {"a": "1", "b": "2"}, b"body")
    assert request_hash("GET", "u", {}, None) != request_hash("GET", "u", {}, b"")


@given(st.binary(max_size=64), st.binary(max_size=64))
def test_request_hash_separates_url_and_body(first: bytes, second: bytes) -> None:
    a = request_hash("GET", first.decode("latin-1"), {}, second)
    b = request_hash("GET", (first + second[:1]).decode("latin-1"), {}, second[1:])
    assert (a == b) == (second == b"")


def test_hop_key_normalises_case_and_default_ports() -> None:
    assert hop_key("get", "HTTP://Example.COM/a?b=1") == hop_key("GET", "http://example.com:80/a?b=1")
    assert hop_key("GET", "https://h") == ("GET", "https://h:443/")
    assert hop_key("GET", "http://h/a") != hop_key("POST", "http://h/a")


def test_redacted_urls_carry_no_credentials_or_values() -> None:
    secret_url = "https://user:pw@api.example.com:8443/v1/x?token=abc&q=478-23-9156#frag"
    for redact in (redact_url, _fallback_redact_url):
        out = redact(secret_url)
        assert "pw" not in out and "abc" not in out and "478-23-9156" not in out and "frag" not in out
        assert "api.example.com:8443/v1/x" in out and "token=" in out
