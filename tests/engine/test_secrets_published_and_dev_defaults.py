"""Credentials that are nobody's secret (fifth audit, M4 and M13).

* Published examples: jwt.io's example JWTs, RFC 7519's, and the test keys of Stripe's API reference
  were reported as live wherever they were pasted (tests, docs, tutorials). Exact values only: the
  same header and payload with another signature, or another ``sk_test_`` key, are still found.
* Dev-container defaults: ``postgres://postgres:postgres@db``, ``redis://:redispass@localhost``,
  ``amqp://rabbitmq:rabbitmq@rabbitmq``, the official images' documented passwords in every
  docker-compose file and CI ``services:`` block, and passwords that repeat their user name. A real
  password stays a finding, to localhost too.
"""

from __future__ import annotations

from typing import Any

import pytest

import interven_autoguard
from interven_autoguard.engine import secrets

JWT_IO = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2"
    "MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
STRIPE_DOCS = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"
PUBLISHED = [
    JWT_IO,
    # jwt.io's current example (HS256, "a-string-secret-at-least-256-bits-long")
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiYWRtaW4iOnRy"
    "dWUsImlhdCI6MTUxNjIzOTAyMn0.KMUFsIDTnFmyG3nMiGM6H9FNFUROf3wh7SmqJp-QV30",
    # RFC 7519 section 3.1 (RFC 7515 appendix A.1's key)
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9l"
    "eGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
    STRIPE_DOCS,
    "sk_test_BQokikJOvBiI2HlWgH4olfQ2",
]


def comment(text: str) -> Any:
    return interven_autoguard.scan(method="POST", url="https://api.github.com/repos/acme/api/issues/7/comments",
                                   body={"body": text})


def found(text: str) -> list[tuple[str, str]]:
    return [(h.detector, text[h.start : h.end]) for h in secrets.detect(text)]


@pytest.mark.parametrize("example", PUBLISHED)
@pytest.mark.parametrize(
    "template",
    ['TOKEN = "{}"', "stripe.api_key = '{}'", "curl -H 'Authorization: Bearer {}' https://api.example.com",
     '{{"access_token": "{}"}}', "{}"],
)
def test_published_examples_are_no_finding(example: str, template: str) -> None:
    text = template.format(example)
    assert found(text) == []
    response = comment("```\n" + text + "\n```")
    assert response.decision == "ALLOW" and response.findings == []


def test_the_same_jwt_with_another_signature_is_still_found() -> None:
    forged = JWT_IO[: JWT_IO.rindex(".") + 1] + "Qm8Zp2Lm7Vn3Rt9Sx1Wy5A4eK6jH0cB2dF8gT1uY3iO"
    assert found(f'TOKEN = "{forged}"') == [("jwt", forged)]


def test_another_stripe_test_key_is_still_found() -> None:
    other = "sk_test_4eC39HqLyjWDarjtT1zdp7dd"
    assert found(f'stripe.api_key = "{other}"') == [("stripe-secret-key", other)]
    response = comment(f"stripe.api_key = '{other}' and the docs key {STRIPE_DOCS}")
    assert response.decision != "ALLOW" and [f.type for f in response.findings] == ["STRIPE_SECRET_KEY"]


DEV_DEFAULTS = [
    "DATABASE_URL: postgres://postgres:postgres@db:5432/app",
    "DATABASE_URL=postgresql://postgres:postgres@localhost:5432/test",
    "REDIS_URL=redis://:redispass@localhost:6379/0",
    "REDIS_URL=redis://default:redispassword@cache:6379",
    "DATABASE_URL=mysql://root:mysqlpass@127.0.0.1:3306/app",
    "DATABASE_URL=mysql://app:mariadb@mariadb:3306/app",
    "AMQP_URL=amqp://rabbitmq:rabbitmq@rabbitmq:5672/",
    "S3_URL=s3://minioadmin:minioadmin@minio:9000/bucket",
    "MONGO_URL=mongodb://mongo:mongopassword@mongo:27017",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=postgresql+psycopg2://airflow:airflow@postgres/airflow",
    "KC_DB_URL=postgres://keycloak:keycloak@db/keycloak",
    "DATABASE_URL=postgres://app_user:app_user@db/app",
    "DATABASE_URL=postgres://postgres:mysecretpassword@localhost:5432/postgres",  # the images' READMEs
    "DATABASE_URL=mysql://root:my-secret-pw@127.0.0.1:3306/mysql",
]


@pytest.mark.parametrize("line", DEV_DEFAULTS)
def test_dev_container_defaults_are_no_finding(line: str) -> None:
    assert found(line) == []
    response = comment("```yaml\nservices:\n  app:\n    environment:\n      " + line + "\n```")
    assert response.decision == "ALLOW" and response.findings == []


@pytest.mark.parametrize(
    ("line", "password"),
    [
        ("DATABASE_URL=postgres://postgres:Xk9vL2qWm4@localhost:5432/app", "Xk9vL2qWm4"),  # loopback too
        ("DATABASE_URL=postgres://postgres:Xk9vL2qWm4@db.prod.internal:5432/app", "Xk9vL2qWm4"),
        ("REDIS_URL=redis://:Tq7wLm2Xz9@127.0.0.1:6379/0", "Tq7wLm2Xz9"),
        ("AMQP_URL=amqp://rabbitmq:rabbitmq2024prod@mq:5672/", "rabbitmq2024prod"),
        ("DATABASE_URL=postgres://app:acmepass@db/app", "acmepass"),  # the suffix only with an image name
        ("DATABASE_URL=postgres://a8Fk2LmQ9x:a8Fk2LmQ9x@db/app", "a8Fk2LmQ9x"),  # the user's, but random
        ("DATABASE_URL=postgres://svc:postgres-Vq81x@db/app", "postgres-Vq81x"),
    ],
)
def test_real_passwords_in_dsns_are_still_found(line: str, password: str) -> None:
    assert [value for _detector, value in found(line)] == [password]
    response = comment(line)
    assert response.decision == "SANITIZE" and f":{password}@" not in response.sanitized_body["body"]
