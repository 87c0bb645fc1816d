"""ARNs are identifiers: ``arn:aws:secretsmanager:…:secret:prod/db-AbCdEf`` names a secret, it is
not one. The generic ``secret`` keyword used to read ``:secret:prod/db-AbCdEf`` as an assignment."""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st
from secret_samples import B62, r

from interven_autoguard import Decision, LocalScanner
from interven_autoguard.engine import secrets

PARTITIONS = ["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b"]


def arn(partition: str = "aws", name: str = "prod/db-AbCdEf") -> str:
    return f"arn:{partition}:secretsmanager:us-east-1:123456789012:secret:{name}"


@pytest.mark.parametrize("partition", PARTITIONS)
def test_a_secrets_manager_arn_is_not_a_secret(partition: str) -> None:
    value = arn(partition)
    assert secrets.detect(value) == []
    assert secrets.detect(f'{{"SecretId": "{value}"}}') == []
    assert secrets.detect(f"Read {value} then rotate it") == []
    assert secrets.detect(value, key="secret") == []  # under a credential name it is still an ARN


@pytest.mark.parametrize("value", [
    "arn:aws:iam::123456789012:role/service-role/secret-rotator",
    "arn:aws:ssm:eu-west-1:123456789012:parameter/app/password",
    "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:token:Xy12Zw34Qr",
])
def test_other_arns_with_credential_words_are_not_secrets(value: str) -> None:
    assert secrets.detect(value) == []


def test_get_secret_value_to_aws_passes_unchanged() -> None:
    result = LocalScanner().scan(
        method="POST", url="https://secretsmanager.us-east-1.amazonaws.com/",
        headers={"Content-Type": "application/x-amz-json-1.1",
                 "X-Amz-Target": "secretsmanager.GetSecretValue"},
        body=json.dumps({"SecretId": arn()}))
    assert result.decision == Decision.ALLOW and result.findings == []


def test_a_real_secret_next_to_an_arn_is_still_found() -> None:
    value = r(B62, 20) + "-" + r(B62, 8)
    text = f'{{"SecretId": "{arn()}", "secret": "{value}"}}'
    assert [text[h.start:h.end] for h in secrets.detect(text)] == [value]
    # an ARN-looking prefix does not hide what follows a real assignment after it
    text = f"{arn()} password={value}"
    assert [text[h.start:h.end] for h in secrets.detect(text)] == [value]
    # inside an ARN, a keyword followed by "=" is an assignment, not a resource type
    text = f"arn:aws:s3:::bucket/password={value}"
    assert [text[h.start:h.end] for h in secrets.detect(text)] == [value]


@given(partition=st.sampled_from(PARTITIONS),
       name=st.text(string.ascii_letters + string.digits + "/_+=.@-", min_size=1, max_size=40))
def test_any_secret_name_in_an_arn_is_no_finding(partition: str, name: str) -> None:
    assert secrets.detect(arn(partition, name + "-AbCdEf")) == []
