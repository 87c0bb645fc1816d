"""What a decision's log line tells its user: a redaction is a WARNING, monitor mode says what enforce
mode would have done, and every mode names the findings as ``TYPE@location`` — never a value.

A SANITIZE changes what is sent (a CRM stores ``[REDACTED:EMAIL]``); a user running with
``--log warning`` must see it, and must be able to write the ``[[allow]]`` entry from the line alone.
"""

from __future__ import annotations

import logging

import pytest
from guardkit import RecordingServer

import interven_autoguard
from interven_autoguard.config import Settings
from interven_autoguard.model import Finding
from interven_autoguard.telemetry import findings_summary

EMAIL = "bob.lee@customer.io"
PHONE = "+1 415 555 2671"
SSN = "478-23-9156"
AWS_KEY = "AKIA" + "Q3EGRIPQ7TNMZX5B"
VALUES = (EMAIL, PHONE, SSN, AWS_KEY, "415 555", "478-23", "customer.io", "Q3EGRIPQ")
CONTACT = (b'{"contact": {"email": "' + EMAIL.encode() + b'", "phone": "' + PHONE.encode()
           + b'", "note": "ssn ' + SSN.encode() + b'"}}')
JSON = {"Content-Type": "application/json"}


def _post(server: RecordingServer, settings: Settings, body: bytes = CONTACT,
          headers: dict[str, str] = JSON, path: str = "/api/contacts") -> None:
    import requests

    with interven_autoguard.guarded(settings):
        try:
            requests.post(server.url(path), data=body, headers=headers, timeout=10)
        except interven_autoguard.RequestBlocked:
            pass


def _lines(caplog: pytest.LogCaptureFixture, level: int = logging.DEBUG) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= level and r.name.startswith("interven")]


def _no_values(caplog: pytest.LogCaptureFixture) -> None:
    for record in caplog.records:
        text = record.getMessage() + repr(getattr(record, "interven", ""))
        for value in VALUES:
            assert value not in text, (value, text)


def test_a_redaction_is_a_warning_naming_its_findings(server: RecordingServer,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="interven_autoguard")
    _post(server, Settings())
    assert EMAIL.encode() not in server.last().body  # it was redacted ...
    (line,) = [line for line in _lines(caplog, logging.WARNING) if "decision=SANITIZE" in line]
    assert "mode=enforce" in line and "would=" not in line  # ... and that is said at WARNING
    assert ("findings=EMAIL@body$.contact.email,PHONE_NUMBER@body$.contact.phone,US_SSN@body$.contact.note"
            in line)
    _no_values(caplog)


def test_monitor_mode_says_what_enforce_would_have_done(server: RecordingServer,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="interven_autoguard")
    _post(server, Settings(mode="monitor"))
    _post(server, Settings(mode="monitor"), body=b'{"n": 1}', headers={**JSON, "X-Api-Key": AWS_KEY})
    assert server.connections == 2 and EMAIL.encode() in server.requests[0].body  # sent unchanged
    lines = _lines(caplog, logging.WARNING)
    assert any("decision=ALLOW would=SANITIZE mode=monitor" in line and "EMAIL@body$.contact.email" in line
               for line in lines), lines
    assert any("decision=ALLOW would=DENY mode=monitor" in line and "AWS_ACCESS_KEY@header:x-api-key" in line
               for line in lines), lines
    _no_values(caplog)


def test_a_block_names_its_findings_and_an_allow_stays_plain(server: RecordingServer,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="interven_autoguard")
    _post(server, Settings(), body=b'{"n": 1}', headers={**JSON, "X-Api-Key": AWS_KEY})
    _post(server, Settings(), body=b'{"n": 1}')
    lines = _lines(caplog)
    deny = [line for line in lines if "decision=DENY" in line]
    assert deny and "would=" not in deny[0] and "findings=AWS_ACCESS_KEY@header:x-api-key" in deny[0]
    allow = [line for line in lines if "decision=ALLOW" in line]
    assert allow and "findings=" not in allow[0] and "would=" not in allow[0]
    _no_values(caplog)


def test_a_header_name_holding_a_secret_is_named_by_position(server: RecordingServer,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="interven_autoguard")
    _post(server, Settings(mode="monitor"), body=b'{"n": 1}', headers={**JSON, AWS_KEY: "1"})
    lines = [line for line in _lines(caplog) if "AWS_ACCESS_KEY@" in line]
    assert lines and "AWS_ACCESS_KEY@header#" in lines[0], lines
    _no_values(caplog)


def test_the_findings_list_is_deduplicated_bounded_and_value_free() -> None:
    def f(kind: str, location: str) -> Finding:
        return Finding(type=kind, detector="t", category="pii", location=location)

    same = [f("EMAIL", "body$.to"), f("EMAIL", "body$.to"), {"type": "EMAIL", "location": "body$.to"}]
    assert findings_summary(same) == "EMAIL@body$.to"
    many = findings_summary([f("EMAIL", f"body$.to[{i}]") for i in range(10)])
    assert many.count("EMAIL@") == 6 and many.endswith(",+4 more")
    # A remote scanner's location is input too: a piece that looks like a value is not echoed,
    # the line's own syntax is kept, and a long path is cut.
    odd = findings_summary([
        {"type": "EMAIL", "location": f"body$['{EMAIL}']"},
        {"type": "X\nInjected", "location": f"query:{AWS_KEY}9876543"},
        {"type": "PHONE_NUMBER", "location": "body$['a b,c']"},
        {"type": "US_SSN", "location": "body$." + "deep." * 40},
    ])
    assert EMAIL not in odd and AWS_KEY not in odd and "\n" not in odd and "Injected" not in odd
    assert "EMAIL@body$REDACTED" in odd and "bob" not in odd and "FINDING@query:REDACTED" in odd
    assert "PHONE_NUMBER@body$['a_b_c']" in odd
    assert max(len(part) for part in odd.split(",")) <= len("US_SSN@") + 80
    assert findings_summary([]) == "" and findings_summary(None) == ""
    # What the engine itself shows is shown as is: no over-redaction of ordinary field names.
    plain = "body$.messages[12].tool_calls[0].function.openai_api_key_v2_backup"
    assert findings_summary([f("OPENAI_API_KEY", plain)]) == f"OPENAI_API_KEY@{plain}"
