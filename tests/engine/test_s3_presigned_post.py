"""An S3 presigned POST upload: its signing fields are the request's own auth, its file is content.

Found by the third audit: ``boto3.generate_presigned_post()`` fields posted as multipart with
``requests.post(url, data=fields, files=...)`` came out SANITIZE (the key id in ``x-amz-credential``,
the session token, both again inside the base64 ``policy``), so S3 answered 403. Only the signed
*URL* form was exempt. Now the signing fields of a multipart POST to a bucket host are a body auth
position (``secrets.body_auth``): what they carry faces the binding rule, as a SigV4 header does —
the public key id and session token go to a bucket, the secret access key goes nowhere. The file
part is content like any upload's (a secret in it is redacted, as it is in an upload to OpenAI's
files API), and the same fields to a host that is no bucket are findings.
"""

from __future__ import annotations

import base64
import json

import pytest
from secret_samples import AWS_BODY, B62, HEX, SAMPLES, aws_secret, r

from interven_autoguard import Decision, LocalScanner, ReasonCode

BOUNDARY = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"
HEADERS = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
           "User-Agent": "python-requests/2.32.3"}
CSV = "a,b\n1,2\n"


def _session() -> tuple[str, str]:
    return "ASIA" + r(AWS_BODY, 16), "IQoJb3JpZ2luX2VjE" + r(B62, 300) + "=="


def _policy(conditions: list[object]) -> str:
    document = {"expiration": "2024-09-16T00:00:00Z", "conditions": conditions}
    return base64.b64encode(json.dumps(document).encode()).decode()


def sigv4_fields(akid: str, token: str | None, bucket: str = "acme-data") -> list[tuple[str, str]]:
    credential = f"{akid}/20240915/us-east-1/s3/aws4_request"
    conditions: list[object] = [{"bucket": bucket}, ["starts-with", "$key", "uploads/"],
                                {"x-amz-algorithm": "AWS4-HMAC-SHA256"}, {"x-amz-credential": credential},
                                {"x-amz-date": "20240915T000000Z"}]
    fields = [("key", "uploads/report.csv"), ("x-amz-algorithm", "AWS4-HMAC-SHA256"),
              ("x-amz-credential", credential), ("x-amz-date", "20240915T000000Z")]
    if token is not None:
        conditions.append({"x-amz-security-token": token})
        fields.append(("x-amz-security-token", token))
    return [*fields, ("policy", _policy(conditions)), ("x-amz-signature", r(HEX, 64))]


def multipart(fields: list[tuple[str, str]], content: str = CSV) -> bytes:
    body = "".join(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                   for k, v in fields)
    body += (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="report.csv"\r\n'
             f"Content-Type: text/csv\r\n\r\n{content}\r\n--{BOUNDARY}--\r\n")
    return body.encode()


@pytest.fixture(scope="module")
def scanner() -> LocalScanner:
    return LocalScanner()


BUCKET_URLS = [
    "https://acme-data.s3.amazonaws.com/",
    "https://acme-data.s3.us-east-1.amazonaws.com/",
    "https://acme-data.s3-eu-west-1.amazonaws.com/",
    "https://s3.us-east-1.amazonaws.com/acme-data",
    "https://s3.amazonaws.com/acme-data/",
]


@pytest.mark.parametrize("url", BUCKET_URLS)
@pytest.mark.parametrize("temporary", [True, False])
def test_a_presigned_post_to_its_bucket_goes_out_unchanged(scanner: LocalScanner, url: str,
                                                           temporary: bool) -> None:
    akid, token = _session()
    fields = sigv4_fields(akid if temporary else "AKIA" + akid[4:], token if temporary else None)
    result = scanner.scan(method="POST", url=url, headers=HEADERS, body=multipart(fields))
    assert result.decision == Decision.ALLOW, [(f.type, f.location) for f in result.findings]
    assert not result.findings and result.sanitized_body is None


def test_field_names_are_read_without_case(scanner: LocalScanner) -> None:
    # the AWS SDK for JavaScript v3 (createPresignedPost) writes "X-Amz-Credential", "Policy", ...
    akid, token = _session()
    fields = [(k if k == "key" else "-".join(w.capitalize() for w in k.split("-")), v)
              for k, v in sigv4_fields(akid, token)]
    assert ("X-Amz-Security-Token", token) in fields and any(k == "Policy" for k, _v in fields)
    result = scanner.scan(method="POST", url="https://acme-data.s3.amazonaws.com/", headers=HEADERS,
                          body=multipart(fields))
    assert result.decision == Decision.ALLOW and not result.findings


def test_a_sigv2_presigned_post_goes_out_unchanged(scanner: LocalScanner) -> None:
    akid, token = _session()
    fields = [("key", "uploads/report.csv"), ("AWSAccessKeyId", akid), ("x-amz-security-token", token),
              ("policy", _policy([{"bucket": "acme-data"}, {"x-amz-security-token": token}])),
              ("signature", base64.b64encode(bytes(range(20))).decode())]
    result = scanner.scan(method="POST", url="https://acme-data.s3.amazonaws.com/", headers=HEADERS,
                          body=multipart(fields))
    assert result.decision == Decision.ALLOW and not result.findings


# ------------------------------------------------------------------ must still be caught

def test_the_same_fields_to_a_host_that_is_no_bucket_are_findings(scanner: LocalScanner) -> None:
    akid, token = _session()
    result = scanner.scan(method="POST", url="https://uploads.example.net/", headers=HEADERS,
                          body=multipart(sigv4_fields(akid, token)))
    assert result.decision == Decision.SANITIZE
    found = {(f.type, f.location) for f in result.findings}
    assert ("AWS_ACCESS_KEY", "multipart:x-amz-credential") in found
    assert ("AWS_SESSION_TOKEN", "multipart:x-amz-security-token") in found
    assert ("AWS_SESSION_TOKEN", "multipart:policy") in found
    assert result.sanitized_body is not None and token.encode() not in result.sanitized_body


@pytest.mark.parametrize("url", ["https://acme-data.s3.amazonaws.com/",
                                 "https://api.openai.com/v1/files"])
def test_a_secret_in_the_uploaded_file_is_redacted_as_in_any_upload(scanner: LocalScanner, url: str) -> None:
    akid, token = _session()
    github = SAMPLES["github-pat"]()[1]
    fields = sigv4_fields(akid, token) if "s3" in url else [("purpose", "assistants")]
    result = scanner.scan(method="POST", url=url, headers=HEADERS,
                          body=multipart(fields, content=f"name,token\nci,{github}\n"))
    assert result.decision == Decision.SANITIZE
    assert [(f.type, f.location) for f in result.findings] == [("GITHUB_PAT", "multipart:file#report.csv")]
    assert result.sanitized_body is not None and github.encode() not in result.sanitized_body
    if "s3" in url:  # the signing fields are untouched: S3 still accepts the upload
        assert token.encode() in result.sanitized_body and akid.encode() in result.sanitized_body


def test_pii_in_stored_metadata_is_still_found(scanner: LocalScanner) -> None:
    akid, token = _session()
    fields = [*sigv4_fields(akid, token), ("x-amz-meta-owner-ssn", "478-23-9156")]
    result = scanner.scan(method="POST", url="https://acme-data.s3.amazonaws.com/", headers=HEADERS,
                          body=multipart(fields))
    assert [(f.type, f.location) for f in result.findings] == [("US_SSN", "multipart:x-amz-meta-owner-ssn")]


@pytest.mark.parametrize("field", ["x-amz-credential", "policy"])
def test_a_secret_access_key_in_a_signing_field_is_a_mismatch(scanner: LocalScanner, field: str) -> None:
    akid, token = _session()
    secret = aws_secret()
    leak = f"aws_secret_access_key={secret}"
    fields = [(k, (base64.b64encode(leak.encode()).decode() if k == "policy" else leak) if k == field else v)
              for k, v in sigv4_fields(akid, token)]
    result = scanner.scan(method="POST", url="https://acme-data.s3.amazonaws.com/", headers=HEADERS,
                          body=multipart(fields))
    assert result.decision == Decision.DENY
    assert ReasonCode.CREDENTIAL_HOST_MISMATCH in result.reason_codes
    assert secret not in repr(result)


def test_another_providers_token_in_the_policy_is_a_mismatch(scanner: LocalScanner) -> None:
    akid, token = _session()
    github = SAMPLES["github-pat"]()[1]
    fields = [(k, _policy([{"bucket": "acme-data"}, {"x-amz-meta-note": github}]) if k == "policy" else v)
              for k, v in sigv4_fields(akid, token)]
    result = scanner.scan(method="POST", url="https://acme-data.s3.amazonaws.com/", headers=HEADERS,
                          body=multipart(fields))
    assert result.decision == Decision.DENY
    assert ("multipart:policy", "credential_binding") in {(f.location, f.category) for f in result.findings}


def test_a_signing_field_outside_a_multipart_post_is_content(scanner: LocalScanner) -> None:
    akid, token = _session()
    result = scanner.scan(method="POST", url="https://acme-data.s3.amazonaws.com/",
                          headers={"Content-Type": "application/json"},
                          body=json.dumps({"x-amz-security-token": token, "note": akid}).encode())
    assert result.decision == Decision.SANITIZE
