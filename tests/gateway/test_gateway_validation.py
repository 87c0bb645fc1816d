"""Small refusals of the gateway: what it cannot act on is a 400, and its database is private."""

from __future__ import annotations

import json
import os
import stat

import pytest
from test_gateway_protocol import raw_request
from test_gateway_scanner_approvals import approver_get

from interven_autoguard.gateway.storage import Database


@pytest.mark.parametrize("method", ["GET\r\nX-Injected: 1", "GET /", "", "G E T"])
def test_a_method_that_is_no_http_token_is_400(gateway, team, method):
    body = json.dumps({"method": method, "url": "https://api.example.com/a"}).encode()
    status, data = raw_request(gateway, "POST", "/v1/scan", body, {"Authorization": f"Bearer {team.api_key}"})
    assert status == 400 and data["code"] == "BAD_REQUEST" and "method" in data["error"].lower()


def test_an_ordinary_method_still_scans(gateway, team):
    body = json.dumps({"method": "patch", "url": "https://api.example.com/a"}).encode()
    status, data = raw_request(gateway, "POST", "/v1/scan", body, {"Authorization": f"Bearer {team.api_key}"})
    assert status == 200 and data["decision"] == "ALLOW"


def test_listing_approvals_in_an_unknown_state_is_400(gateway, team):
    assert approver_get(gateway, team.approver_token, "/v1/approvals?state=bogus")[0] == 400
    assert approver_get(gateway, team.approver_token, "/v1/approvals?state=pending")[0] == 200


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_a_new_sqlite_database_is_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "state" / "gateway.db"
    Database(f"sqlite:///{path}")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
