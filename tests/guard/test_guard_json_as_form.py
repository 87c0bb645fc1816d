"""urllib.request declares every POST body ``application/x-www-form-urlencoded`` unless the caller
says otherwise, so agents' JSON often goes out declared a form. A sanitized one must still arrive as
JSON, with only the redacted value changed."""

from __future__ import annotations

import json
import urllib.request

from guardkit import RecordingServer

SSN = "478-23-9156"


def test_urllib_json_with_the_default_form_type_is_sanitized_as_json(embedded,
                                                                      server: RecordingServer) -> None:
    body = json.dumps({"note": f"customer SSN {SSN}", "next": "call back", "n": 1.5}).encode()
    with urllib.request.urlopen(urllib.request.Request(server.url("/crm"), data=body)) as response:
        assert response.status == 200
    received = server.last()
    assert received.header("Content-Type") == "application/x-www-form-urlencoded"  # urllib's own
    assert json.loads(received.body) == {
        "note": "customer SSN [REDACTED:US_SSN]", "next": "call back", "n": 1.5}
    assert received.body == body.replace(SSN.encode(), b"[REDACTED:US_SSN]")
    assert received.header("Content-Length") == str(len(received.body))


def test_a_real_form_is_still_sanitized_as_a_form(embedded, server: RecordingServer) -> None:
    body = f"a=1&ssn={SSN}&b=x+y".encode()
    with urllib.request.urlopen(urllib.request.Request(server.url("/crm"), data=body)) as response:
        assert response.status == 200
    assert server.last().body == b"a=1&ssn=%5BREDACTED%3AUS_SSN%5D&b=x+y"
