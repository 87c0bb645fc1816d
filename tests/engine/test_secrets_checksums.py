"""Checksum-bearing formats: valid tokens fire, one changed character does not.

Expected checksums are computed here with a bitwise CRC-32 written from the polynomial, independent
of ``binascii`` and of the validators under test, plus published sample tokens (CredSweeper's test
fixtures, themselves fake) assembled at run time.
"""

from __future__ import annotations

import string

import pytest
from secret_samples import B62, r

from interven_autoguard.engine import secrets
from interven_autoguard.engine.secrets import validators as v


def crc32_bitwise(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0xEDB88320 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def base62(n: int) -> str:
    digits = string.digits + string.ascii_uppercase + string.ascii_lowercase
    out = []
    while n:
        n, rem = divmod(n, 62)
        out.append(digits[rem])
    return "".join(reversed(out)).rjust(6, "0")


def independent_github_style(prefix: str) -> str:
    body = r(B62, 30)
    return prefix + body + base62(crc32_bitwise(body.encode()))


def flip(token: str, index: int) -> str:
    ch = token[index]
    return token[:index] + ("A" if ch != "A" else "B") + token[index + 1 :]


def test_crc32_reference_vector() -> None:
    assert crc32_bitwise(b"123456789") == 0xCBF43926  # the standard CRC-32 check value


@pytest.mark.parametrize(
    ("prefix", "rule_id"),
    [
        ("ghp_", "github-pat"),
        ("gho_", "github-oauth-token"),
        ("ghu_", "github-user-to-server-token"),
        ("ghs_", "github-server-to-server-token"),
        ("ghr_", "github-refresh-token"),
        ("npm_", "npm-access-token"),
    ],
)
def test_base62_crc32_tokens(prefix: str, rule_id: str) -> None:
    token = independent_github_style(prefix)
    assert [h.detector for h in secrets.detect(f"token={token}")] == [rule_id]
    for index in (len(prefix) + 3, len(token) - 1):  # a body character, a checksum character
        broken = flip(token, index)
        assert rule_id not in [h.detector for h in secrets.detect(f"use {broken} here")]
        assert not v.base62_checksum_ok(broken)


def test_published_github_sample_validates() -> None:
    # CredSweeper's fixture: 31 zeros and the base62 CRC-32 of them (non-standard length, so only the
    # validator is exercised; the all-zero body is also a placeholder for the detector).
    sample = "ghp" + "_" + "0" * 31 + "4WZ4EQ"
    assert v.base62_checksum_ok(sample)
    assert not v.base62_checksum_ok(sample[:-1] + "R")


def test_grafana_service_account_token() -> None:
    head = "glsa_" + r(B62, 32)
    checksum = crc32_bitwise(head.encode()).to_bytes(4, "little").hex()
    token = f"{head}_{checksum}"
    assert [h.detector for h in secrets.detect(token)] == ["grafana-service-account-token"]
    big_endian = crc32_bitwise(head.encode()).to_bytes(4, "big").hex()
    if big_endian != checksum:
        assert secrets.detect(f"{head}_{big_endian}") == []
    assert secrets.detect(flip(token, 10)) == []


def test_grafana_known_answer() -> None:
    # Hard-coded answer (computed once, outside this code base) for a fixed, obviously synthetic body.
    head = "glsa_" + "AbCdEfGhIjKlMnOpQrStUvWxYz012345"
    assert crc32_bitwise(head.encode()).to_bytes(4, "little").hex() == GRAFANA_KNOWN_CHECKSUM
    assert v.grafana_service_token_ok(f"{head}_{GRAFANA_KNOWN_CHECKSUM}")


GRAFANA_KNOWN_CHECKSUM = "147f441b"


def test_atlassian_api_token_published_sample() -> None:
    sample = (
        "ATATT3"
        + "xFfGF0vNZ7oy6ON4KrWEzKEu96n-r2bCLOOcdOADizvJqPd89yKyP853uTZSflBi1Lk1zD460BqyMTa08VUEy8-oOzr1esg3j_"
        + "mZKZwAELnRkCDTJZXhHsv5jaWHyAj4LRL-6h8LI-5MrYs4l7xXSaY8odQxDKJB4hDvdkmuh61xea2jE="
        + "00203E68"
    )
    assert v.atlassian_token_ok(sample)
    hits = secrets.detect(f'JIRA_TOKEN = "{sample}"')
    assert [h.detector for h in hits] == ["atlassian-api-token"]
    assert secrets.detect(f'JIRA = "{flip(sample, 40)}"') == []


def test_atlassian_independent_checksum() -> None:
    head = "ATATT3xFfGF0" + r(B62 + "-_", 170) + "="
    token = head + format(crc32_bitwise(head.encode()), "08X")
    assert [h.detector for h in secrets.detect(token)] == ["atlassian-api-token"]
    assert secrets.detect(token[:-1] + ("0" if token[-1] != "0" else "1")) == []


def test_bitbucket_app_password_published_sample() -> None:
    sample = "ATBB" + "cCe6fczW96Vzwgvb4r8F2gZS54D591C4"
    assert [h.detector for h in secrets.detect(f"pw={sample}")] == ["bitbucket-app-password"]
    assert [h.detector for h in secrets.detect(f"x {flip(sample, 8)} y")] == []
