"""A value inside a base64 (or hex) field is redacted inside the decoded text, and the field is
re-encoded the way it was written: same alphabet, padding, line width and line break.

Coding agents commit files as base64 (GitHub's contents API ``content``, GraphQL
``createCommitOnBranch`` ``fileChanges.additions[].contents``, ``git/blobs``, GitLab actions with
``encoding: base64``): the sanitized request must still carry valid base64 of the file, with only the
value replaced by ``[REDACTED:TYPE]``. Where a layer cannot be written back exactly (what only a mail
reader's decoding shows, base64 spelled with percent escapes), nothing corrupt is sent: DENY.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from secret_samples import github

import interven_autoguard
from interven_autoguard.model import Decision, ScanResponse

TOKEN = github("ghp_")
CONTENTS = "https://api.github.com/repos/acme/api/contents/"
PAT = "[REDACTED:GITHUB_PAT]"


@dataclass(frozen=True)
class Form:
    """How a blob is written."""

    urlsafe: bool = False
    padded: bool = True
    width: int = 0  # 0: one line
    newline: str = "\n"

    def encode(self, text: str) -> str:
        data = text.encode()
        blob = (base64.urlsafe_b64encode if self.urlsafe else base64.b64encode)(data).decode()
        if not self.padded:
            blob = blob.rstrip("=")
        if self.width:
            blob = self.newline.join(blob[i : i + self.width] for i in range(0, len(blob), self.width))
        return blob

    def decode(self, blob: str) -> str:
        flat = re.sub(r"\s", "", blob)
        flat += "=" * (-len(flat) % 4)
        return base64.b64decode(flat, altchars=b"-_" if self.urlsafe else None, validate=True).decode()


def put_file(content: str, path: str = ".env") -> ScanResponse:
    return interven_autoguard.scan(method="PUT", url=CONTENTS + path,
                                   headers={"content-type": "application/json"},
                                   body=json.dumps({"message": "add " + path, "content": content}))


def sent_content(response: ScanResponse) -> str:
    return json.loads(response.sanitized_body)["content"]


ENV_FILE = ("DEBUG=1\nLOG_LEVEL=info\nGITHUB_TOKEN=" + TOKEN + "\nPORT=8000\n"
            + "# why? -> the service\n" * 12 + "\n")

FORMS = {
    "one line, padded": Form(),
    "github: 60 columns, LF, trailing LF": Form(width=60),
    "mime: 76 columns, CRLF": Form(width=76, newline="\r\n"),
    "pem: 64 columns": Form(width=64),
    "base64url, unpadded": Form(urlsafe=True, padded=False),
    "base64url, 76 columns": Form(urlsafe=True, width=76),
}


def test_a_token_in_a_committed_file_is_replaced_inside_it_in_every_form() -> None:
    for name, form in FORMS.items():
        blob = form.encode(ENV_FILE)
        assert set(blob) & set("-_" if form.urlsafe else "+/"), name  # the alphabet shows
        assert blob.endswith("=") == form.padded, name  # and whether it is padded
        content = blob + ("\n" if form.width == 60 else "")  # as GitHub writes it
        response = put_file(content)
        assert response.decision == Decision.SANITIZE, name
        # The finding covers the blob: the stretch of the field that redaction rewrites.
        assert [(f.type, f.location, f.start, f.end, f.encoding, f.redacted) for f in response.findings] == [
            ("GITHUB_PAT", "body$.content", 0, len(blob), "base64", True)], name
        expected = ENV_FILE.replace(TOKEN, PAT)
        assert sent_content(response) == form.encode(expected) + content[len(blob):], name
        assert form.decode(sent_content(response)) == expected, name


def test_the_audit_repros_commit_valid_base64() -> None:
    compose = ("services:\n  app:\n    environment:\n"
               "      DATABASE_URL: postgres://app:S3cr3t-Pa55w0rd-x9@db.internal:5432/app\n")
    response = put_file(base64.b64encode(compose.encode()).decode(), "docker-compose.yml")
    assert response.decision == Decision.SANITIZE
    kinds = {f.type for f in response.findings if f.redacted}
    assert kinds
    decoded = base64.b64decode(sent_content(response), validate=True).decode()
    assert decoded == compose.replace("S3cr3t-Pa55w0rd-x9", "[REDACTED:" + kinds.pop() + "]")

    package = '{"name":"web","author":"Jane Doe <jane@acme.dev>","version":"1.0.0"}'
    addition = {"path": "package.json", "contents": base64.b64encode(package.encode()).decode()}
    variables = {"i": {"branch": {"repositoryNameWithOwner": "acme/api", "branchName": "main"},
                       "message": {"headline": "pkg"},
                       "expectedHeadOid": "3f786850e387550fdab836ed7e6dc881de23001b",
                       "fileChanges": {"additions": [addition]}}}
    mutation = "mutation($i: CreateCommitOnBranchInput!){createCommitOnBranch(input:$i){commit{url}}}"
    response = interven_autoguard.scan(
        method="POST", url="https://api.github.com/graphql", headers={"content-type": "application/json"},
        body=json.dumps({"query": mutation, "variables": variables}))
    assert response.decision == Decision.SANITIZE
    sent = json.loads(response.sanitized_body)["variables"]["i"]["fileChanges"]["additions"][0]["contents"]
    expected = package.replace("jane@acme.dev", "[REDACTED:EMAIL]")
    assert base64.b64decode(sent, validate=True).decode() == expected


def test_many_values_in_one_blob_are_all_replaced_in_one_rewrite() -> None:
    # One finding per type (they share the blob's span), each value still replaced: more of them than
    # the redaction re-scan has passes to find one by one.
    tokens = [github("ghp_") for _ in range(6)]
    text = "".join(f"t{i} = {token}\n" for i, token in enumerate(tokens)) + "c = someone.else@example.org\n"
    blob = base64.b64encode(text.encode()).decode()
    response = put_file(blob, "notes.txt")
    assert response.decision == Decision.SANITIZE
    assert sorted(f.type for f in response.findings) == ["EMAIL", "GITHUB_PAT"]
    decoded = base64.b64decode(sent_content(response), validate=True).decode()
    assert decoded == "".join(f"t{i} = {PAT}\n" for i in range(6)) + "c = [REDACTED:EMAIL]\n"


def test_a_kubernetes_secret_in_a_committed_manifest_is_replaced_two_layers_down() -> None:
    manifest = ("apiVersion: v1\nkind: Secret\nmetadata:\n  name: ci\ntype: Opaque\ndata:\n"
                "  password: " + base64.b64encode(TOKEN.encode()).decode() + "\n"
                "  user: " + base64.b64encode(b"deploy-bot").decode() + "\n")
    response = put_file(Form(width=60).encode(manifest) + "\n", "k8s/secret.yaml")
    assert response.decision == Decision.SANITIZE
    assert ("GITHUB_PAT", "base64>base64") in {(f.type, f.encoding) for f in response.findings}
    # The manifest's value is itself found as a value (``password:``): it stays base64, of nothing
    # but the placeholder, so the manifest is still a valid Secret.
    kinds = {f.type for f in response.findings}
    decoded = Form().decode(sent_content(response))
    assert decoded.startswith(manifest.split("password: ")[0])
    value = re.search(r"password: (\S+)\n", decoded)
    assert value is not None and base64.b64decode(value.group(1), validate=True).decode() in {
        f"[REDACTED:{kind}]" for kind in kinds}
    assert decoded.endswith("  user: " + base64.b64encode(b"deploy-bot").decode() + "\n")
    assert sent_content(response) == Form(width=60).encode(decoded) + "\n"


def test_percent_escapes_inside_a_committed_file_are_replaced_where_they_are() -> None:
    escaped = "".join(f"%{b:02X}" for b in TOKEN.encode())
    text = f"curl 'https://api.example.com/hook?token={escaped}&x=1'\n"
    response = put_file(base64.b64encode(text.encode()).decode(), "hook.sh")
    assert response.decision == Decision.SANITIZE
    # The token's own rule reads it unescaped; the name "token" also makes the escaped value a
    # generic token where it is written. Either way the value is replaced where it is.
    assert {f.encoding for f in response.findings} <= {"base64>percent", "base64"}
    assert "base64>percent" in {f.encoding for f in response.findings}
    decoded = base64.b64decode(sent_content(response), validate=True).decode()
    assert decoded in (text.replace(escaped, PAT), text.replace(escaped, "[REDACTED:GENERIC_TOKEN]"))


def test_hex_is_re_encoded_as_hex_in_the_same_case() -> None:
    text = f"export GITHUB_TOKEN={TOKEN}\n"
    for blob in (text.encode().hex(), text.encode().hex().upper()):
        response = interven_autoguard.scan(method="POST", url="https://api.example.com/upload",
                                           body={"payload": blob})
        assert response.decision == Decision.SANITIZE
        assert [f.encoding for f in response.findings] == ["hex"]
        sent = response.sanitized_body["payload"]
        expected = text.replace(TOKEN, PAT).encode().hex()
        assert sent == (expected.upper() if blob.isupper() else expected)


def test_a_short_unpadded_blob_without_alphabet_hints_stays_base64url() -> None:
    # Neither "+/" nor "-_" shows; unpadded, of a length that needs padding: base64url's way.
    text, blob = next(
        (t, b) for t, b in ((t, base64.urlsafe_b64encode(t.encode()).decode().rstrip("="))
                            for t in (f"t {TOKEN} " + "x" * n for n in range(64)))
        if not set(b) & set("+/-_") and len(b) % 4)
    response = interven_autoguard.scan(method="POST", url="https://api.example.com/x", body={"d": blob})
    sent = response.sanitized_body["d"]
    assert "=" not in sent and not set(sent) & set("+/")
    assert base64.urlsafe_b64decode(sent + "=" * (-len(sent) % 4)).decode() == text.replace(TOKEN, PAT)


def _percent_spelled_blob() -> tuple[str, str]:
    """Base64 of a text holding the token, its "+" written "%2B", such that the token shows only
    once the escapes are undone (the runs between them do not decode to it)."""
    for n in range(200):
        text = "~" * (n % 7) + "?" * (n // 7) + f" {TOKEN} tail"
        blob = base64.b64encode(text.encode()).decode()
        spelled = blob.replace("+", "%2B")
        if "+" not in blob:
            continue
        direct = interven_autoguard.scan(method="POST", url="https://api.example.com/x", body={"d": spelled})
        if {f.encoding for f in direct.findings} == {"percent>base64"}:
            return spelled, text
    raise AssertionError("no sample")


def test_base64_spelled_with_escapes_cannot_be_written_back_so_nothing_is_sent() -> None:
    spelled, _text = _percent_spelled_blob()
    response = interven_autoguard.scan(method="POST", url="https://api.example.com/x", body={"d": spelled})
    assert response.decision == Decision.DENY and response.sanitized_body is None
    assert "BODY_NOT_INSPECTABLE" in response.reason_codes
    header = interven_autoguard.scan(method="GET", url="https://api.example.com/x",
                                     headers={"x-data": spelled})
    assert header.decision == Decision.DENY
    assert [f.encoding for f in header.findings] == ["percent>base64"]


WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ?>~", min_size=0, max_size=40)


# Half the drawn forms cannot show in their blob (no alphabet character, no padding needed) and are
# skipped by ``assume``: expected filtering, not a slow strategy.
@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(
    lines=st.lists(WORDS, min_size=0, max_size=30),
    at=st.integers(min_value=0, max_value=30),
    value=st.sampled_from([TOKEN, "jane.doe@acme-corp.dev"]),
    width=st.sampled_from([0, 16, 40, 60, 64, 76, 120]),  # whole quanta; a line holds a 16-character run
    newline=st.sampled_from(["\n", "\r\n"]),
    urlsafe=st.booleans(),
    padded=st.booleans(),
    trailing=st.sampled_from(["", "\n"]),
)
def test_any_file_in_any_form_comes_back_in_that_form_with_only_the_value_replaced(
    lines: list[str], at: int, value: str, width: int, newline: str, urlsafe: bool, padded: bool,
    trailing: str,
) -> None:
    lines.insert(min(at, len(lines)), f"key: {value}")
    text = "\n".join(lines) + "\n"
    form = Form(urlsafe, padded, width, newline)
    blob = form.encode(text)
    flat = re.sub(r"\s", "", blob)
    # The form must show in the blob: its alphabet, its padding (a blob that needs none could be either).
    assume(set(flat) & set("-_" if urlsafe else "+/"))
    assume(flat.endswith("=") if padded else len(flat) % 4)
    response = put_file(blob + trailing, "f.txt")
    assert response.decision == Decision.SANITIZE
    kind = "GITHUB_PAT" if value == TOKEN else "EMAIL"
    found = {(f.type, f.start, f.end, f.encoding) for f in response.findings}
    assert found == {(kind, 0, len(blob), "base64")}
    assert sent_content(response) == form.encode(text.replace(value, f"[REDACTED:{kind}]")) + trailing


def test_a_blob_in_a_url_path_whose_alphabet_does_not_show_stays_base64url() -> None:
    """Neither "+/" nor "-_" in the blob, no padding needed: in a URL it is taken for base64url, so the
    re-encoded blob never writes a "/" into the path (or a "+" that a query reads as a space)."""
    def sample() -> tuple[str, str]:
        for n in range(500):  # a ">" that is the third byte of a triple only once the text is redacted
            tail = "a" * (n % 3) + ">" + "b" * (n // 3 % 3)
            text = '{"u":"jane@acme-corp.dev","t":"' + tail + '","n":' + f"{n}}}"
            blob = base64.urlsafe_b64encode(text.encode()).decode()
            redacted = text.replace("jane@acme-corp.dev", "[REDACTED:EMAIL]").encode()
            if not set(blob) & set("+/-_=") and set(base64.b64encode(redacted).decode()) & set("+/"):
                return text, blob
        raise AssertionError("no sample")

    text, blob = sample()
    url = f"https://t.example.com/open/{blob}?d={blob}"
    response = interven_autoguard.scan(method="GET", url=url)
    assert response.decision == Decision.SANITIZE
    assert response.sanitized_url is not None
    path, _, query = response.sanitized_url.partition("?")
    assert path.count("/") == 4
    sent = path.split("/")[4]
    assert query == "d=" + sent
    expected = text.replace("jane@acme-corp.dev", "[REDACTED:EMAIL]")
    assert sent == base64.urlsafe_b64encode(expected.encode()).decode().rstrip("=")
