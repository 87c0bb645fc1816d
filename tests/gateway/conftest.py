from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from gw_support import TEST_POLICY, GatewayThread, Team, UpstreamRecorder


@pytest.fixture
def team(tmp_path) -> Team:
    policy = tmp_path / "test-policy.toml"
    policy.write_text(TEST_POLICY)
    return Team(policy_path=str(policy))


@pytest.fixture
def upstream() -> Iterator[UpstreamRecorder]:
    with UpstreamRecorder() as rec:
        yield rec


@pytest.fixture
def gateway(tmp_path, team: Team, upstream: UpstreamRecorder) -> Iterator[GatewayThread]:
    team.tool_base_url = upstream.url
    with GatewayThread(team.config(), f"sqlite:///{tmp_path}/gateway.db") as gw:
        yield gw
