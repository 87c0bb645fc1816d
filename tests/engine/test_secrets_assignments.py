"""How a secret is assigned in code, config and shell: where an inline value starts and ends, names
closed by a subscript, Django keys, hex keys under credential names, passwords given as command-line
options, ``*_PAT`` names. Audit of coding-agent traffic (H3, M6, M7, M8, M10); every credential is
built at run time."""

from __future__ import annotations

import base64
import hashlib
import json
import random
import string

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from secret_samples import B62, HEX, github, r
from test_secrets_inline_auth_xml import _detect_work

import interven_autoguard as autoguard
from interven_autoguard.engine import secrets, triage

GIST = "https://api.github.com/gists"
BASE32 = string.ascii_lowercase + "234567"
DJANGO = "abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)"
PW = "Xk9" + r(B62, 9)
TOKEN = r(B62, 32)


def found(text: str, key: str | None = None) -> list[tuple[str, str]]:
    hits = secrets.detect(text, key)
    if hits and key is None:
        assert secrets.may_match(text)
        if text.isascii():
            assert not triage.ascii_is_clean(text.encode("ascii"))
    return [(h.detector, text[h.start : h.end]) for h in hits]


def commit(content: str) -> autoguard.ScanResult:
    body = {"files": {"f": {"content": content}}}
    return autoguard.scan(method="POST", url=GIST, headers={"Content-Type": "application/json"}, body=body)


# --------------------------------------------------------------------------- H3: an empty value


EMPTY_VALUES = [
    # Laravel's stock .env.example: DB_PASSWORD= then a blank line
    "DB_CONNECTION=mysql\nDB_HOST=127.0.0.1\nDB_PORT=3306\nDB_DATABASE=laravel\nDB_USERNAME=root\n"
    "DB_PASSWORD=\n\nBROADCAST_DRIVER=log\nCACHE_DRIVER=file\n",
    "OPENAI_API_KEY=\nANTHROPIC_API_KEY=\nMODEL_NAME=gpt-4o-mini-2024\n",
    "DB_HOST=localhost\nDB_PASSWORD=\nDB_NAME=app_development\nLOG_DIR=var/log/app.d\n",
    "SMTP_PASSWORD=\nmail.acme-corp.internal/relay\n",
    "token=\nabc/def.ghij",
    "x_pw=\nhello/world.lib",
    "secret:\r\n  nested_value1",
]


@pytest.mark.parametrize("text", EMPTY_VALUES)
def test_an_empty_value_does_not_take_the_next_line(text: str) -> None:
    assert found(text) == []
    assert commit(text).decision == "ALLOW"


@pytest.mark.parametrize("sep", ["=", "= ", " = ", ": ", "=\t", '="', " = '", ":="])
def test_a_value_on_the_operators_line_is_still_found(sep: str) -> None:
    close = {'="': '"', " = '": "'"}.get(sep, "")
    text = f"DB_HOST=db\nDB_PASSWORD{sep}{PW}{close}\nDB_NAME=app\n"
    assert found(text) == [("generic-password", PW)]
    assert found(f'{{\n  "password":\n  "{PW}"\n}}') == [("generic-password", PW)]  # JSON: quoted


NAMES = st.sampled_from(["DB_PASSWORD", "OPENAI_API_KEY", "SECRET_KEY", "token", "x_pw", "auth", "ADO_PAT"])
LINES = st.one_of(
    st.text(alphabet=string.ascii_letters + string.digits + "_-./:=@ ", max_size=60),
    st.sampled_from(["BROADCAST_DRIVER=log", "MODEL_NAME=gpt-4o-mini-2024", "github.com/google/uuid v1.6.0",
                     f"API_TOKEN={TOKEN}", "", " ", "password=", "curl -u a:b"]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=NAMES, op=st.sampled_from(["=", ": ", " = ", ":"]),
       blank=st.sampled_from(["\n", "\n\n", "\r\n", "\n \n"]), line=LINES)
@example(name="DB_PASSWORD", op="=", blank="\n\n", line="BROADCAST_DRIVER=log")
def test_an_empty_assignment_adds_nothing_to_the_next_line(name: str, op: str, blank: str, line: str) -> None:
    """Whatever follows ``NAME=`` and a line break is read as it is on its own."""
    prefix = name + op + blank
    alone = [(h.detector, h.start + len(prefix), h.end + len(prefix)) for h in secrets.detect(line)]
    assert [(h.detector, h.start, h.end) for h in secrets.detect(prefix + line)] == alone


# A real go.sum hash (github.com/kr/text v0.2.0/go.mod): its base64 ends in "…R0Pw=".
GOSUM_PW_HASH = "h1:eLer722TegiGcHzqNvm0qoGZgU3VmkmwHI7WzqR0Pw="


def _gosum(lines: int, seed: int) -> str:
    rng = random.Random(seed)
    out = []
    for i in range(lines):
        digest = base64.b64encode(rng.randbytes(32)).decode()
        if i % 3 == 0:  # a keyword at the end of the base64: "…Pw=", "…Key=", "…pass="
            word = rng.choice(["Pw", "pw", "PW", "Key", "pass", "Auth"])
            digest = digest[: -1 - len(word)] + word + "="
        out.append(f"github.com/acme/mod{i} v1.{i}.0 h1:{digest}")
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("seed", range(5))
def test_go_sum_hashes_are_no_password_names(seed: int) -> None:
    text = _gosum(300, seed)
    assert found(text) == []
    joined = text.replace("\n", " ")  # the same lines run together (a commit message, a log line)
    assert found(f"github.com/kr/text v0.2.0/go.mod {GOSUM_PW_HASH} github.com/google/uuid v1.6.0") == []
    assert [h for h in secrets.detect(joined) if h.detector.startswith("generic-")] == []
    blob = base64.b64encode(text.encode()).decode()
    r_ = autoguard.scan(method="PUT", url="https://api.github.com/repos/acme/go/contents/go.sum",
                        headers={"Content-Type": "application/json"},
                        body={"message": "deps", "content": blob})
    assert r_.decision == "ALLOW", r_.findings


@pytest.mark.parametrize("name", ["awsSecretAccessKey", "myS3BucketSecretKey", "oauth2ClientSecret",
                                  "x509CertPassword", "dbPassword", "HTTPBasicAuthToken", "UserDbPassword",
                                  "githubPat", "Base64EncodedSecret"])
def test_camel_case_names_are_no_base64(name: str) -> None:
    assert [d for d, _ in found(f'{name} = "{TOKEN}"')] != []
    if not (len(name) >= 16 and any(c.isdigit() for c in name)):  # else that shape reads as base64
        assert [d for d, _ in found(f"{name}= {TOKEN}")] != []  # the padding shape of base64 too


# --------------------------------------------------------------------------- M7: subscripts


@pytest.mark.parametrize(("template", "detector"), [
    ("app.config['SECRET_KEY'] = '{v}'", "generic-secret"),
    ('os.environ["WEATHER_API_KEY"] = "{v}"', "generic-api-key"),
    ("ENV['API_TOKEN'] = '{v}'", "generic-token"),
    ("settings[:secret_key_base] = '{v}'", "generic-secret"),
    ("config[\"db_password\"]='{v}'", "generic-password"),
    ("$_ENV['STRIPE_SECRET'] = \"{v}\";", "generic-secret"),
])
def test_a_secret_assigned_through_a_subscript_is_found(template: str, detector: str) -> None:
    text = template.format(v=TOKEN)
    assert found(text) == [(detector, TOKEN)]
    assert commit(text + "\n").decision == "SANITIZE"


@pytest.mark.parametrize("text", [
    "password = os.environ['DB_PASSWORD']",
    "api_key = ENV['API_KEY'] || 'fallback'",
    f'if cfg["password"] == "{PW}":',
    "token = settings[:api_token]",
    "app.config['SECRET_KEY'] = os.urandom(32)",
    "os.environ['OPENAI_API_KEY'] = getpass.getpass()",
    "os.environ[\"GITHUB_TOKEN\"] = \"${GITHUB_TOKEN}\"",
])
def test_subscript_reads_and_placeholders_stay_clean(text: str) -> None:
    assert found(text) == []


# --------------------------------------------------------------------------- M8: Django keys


def _django_keys(n: int) -> list[str]:
    rng = random.Random(3)
    return ["".join(rng.choice(DJANGO) for _ in range(50)) for _ in range(n)]


@pytest.mark.parametrize("key", _django_keys(6))
@pytest.mark.parametrize("quote", ["'", '"'])
def test_a_django_secret_key_is_found_whole(key: str, quote: str) -> None:
    text = f"SECRET_KEY = {quote}{key}{quote}\n"
    assert found(text) == [("generic-secret", key)]
    insecure = "django-insecure-" + key  # what startproject writes
    assert found(f"SECRET_KEY = {quote}{insecure}{quote}") == [("generic-secret", insecure)]


def test_most_django_keys_are_found_whole() -> None:
    keys = _django_keys(300)
    whole = sum(found(f"SECRET_KEY = '{k}'") == [("generic-secret", k)] for k in keys)
    assert whole >= 0.85 * len(keys)  # the rest start with "&", "*", "=", end with ")", hold "%s"


@pytest.mark.parametrize("text", [
    "password = '$DB_PASSWORD'",
    "password=$DB_PASSWORD",
    'password = "${DB_PASSWORD:-postgres}"',
    'password = "$(cat /run/secrets/db_password)"',
    "set PASSWORD=%DB_PASSWORD%",
    'token = "$GITHUB_TOKEN$SUFFIX"',
    '"password": "$2b$12$' + "KIXQJx9vL2qR7wZpWERTYu.abcdEF12345678901234567890Zy" + '"',
    '"password": "pbkdf2_sha256$600000$' + "Ab3dEf9hIjKl$Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA=" + '"',
    "password: '$6$rounds=5000$s4ltS4lt$" + "Qx9.yZ/aB3cD4eF5gH6iJ7kL8mN9oP0qR1sT2uV3wX4yZ5aB6cD7eF8" + "'",
    "password = 'pbkdf2:sha256:600000$Ab3dEf9h$" + "0f" * 32 + "'",
    "secret = '%(secret)s'",
])
def test_references_and_password_hashes_stay_clean(text: str) -> None:
    assert found(text) == []


def test_a_dollar_or_percent_inside_a_value_is_one_of_its_characters() -> None:
    for value in (f"pa$$w{PW}", f"{PW}%jo%x", f"q$qj{PW}", f"{PW}$(x"):
        assert found(f"password = '{value}'") == [("generic-password", value)]


# --------------------------------------------------------------------------- M6: hex under credential names


@pytest.mark.parametrize("n", [32, 40, 64, 128])
@pytest.mark.parametrize(("template", "detector"), [
    ("JWT_SECRET={v}", "generic-token"),
    ("SESSION_SECRET={v}\n", "generic-secret"),
    ('config: {{"api_key": "{v}"}}', "generic-api-key"),
    ("https://newsapi.org/v2/everything?q=ai&apiKey={v}&page=2", "generic-api-key"),
    ("export AUTH_TOKEN={v}", "generic-token"),
    ("DB_PASSWORD={v}", "generic-password"),
])
def test_hex_of_a_digests_length_under_a_credential_name_is_a_key(n: int, template: str,
                                                                   detector: str) -> None:
    value = r(HEX, n)
    assert found(template.format(v=value)) == [(detector, value)]


@pytest.mark.parametrize("key", ["api_key", "client_secret", "access_token", "X-Api-Key", "password"])
def test_hex_under_a_credential_key_by_context(key: str) -> None:
    value = r(HEX, 64)
    assert [d for d, _ in found(value, key=key)] != []


DIGEST_NAMES = ["commit", "sha", "etag", "integrity", "digest", "checksum", "fingerprint", "oid", "hash",
                "password_sha1", "token_hash", "secret_checksum", "access_token_sha256", "api_key_md5",
                "passwordDigest", "auth_sum", "sessionid", "session_id", "revision", "shasum", "nonce"]


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(DIGEST_NAMES), n=st.sampled_from([32, 40, 64, 128]), data=st.data(),
       form=st.sampled_from(["{name}={v}", '"{name}": "{v}"', "{name}: {v}", "?{name}={v}&x=1"]))
def test_digests_under_neutral_or_digest_names_stay_clean(name: str, n: int, data: st.DataObject,
                                                          form: str) -> None:
    value = data.draw(st.text(alphabet=HEX, min_size=n, max_size=n))
    assert found(form.format(name=name, v=value)) == []
    assert found(value, key=name) == []


def test_git_and_package_digests_stay_clean() -> None:
    sha = hashlib.sha1(b"x").hexdigest()
    body = {"sha": sha, "parents": [{"sha": sha}], "tree": {"sha": sha},
            "etag": hashlib.md5(b"y").hexdigest(),
            "integrity": "sha512-" + base64.b64encode(hashlib.sha512(b"z").digest()).decode(),
            "checksum": hashlib.sha256(b"w").hexdigest(), "message": f"merge {sha}"}
    r_ = autoguard.scan(method="POST", url="https://api.github.com/repos/a/b/git/commits",
                        headers={"Content-Type": "application/json"}, body=body)
    assert r_.decision == "ALLOW", r_.findings


# --------------------------------------------------------------------------- M10: CLI options, *_PAT


CLI_POSITIVES = [
    "mysql -h db.prod.internal -u root -p{pw} shop < dump.sql",
    "mysqldump -uroot -p'{pw}' shop > dump.sql",
    'mariadb -u app -p"{pw}" -e "select 1"',
    "sshpass -p '{pw}' ssh deploy@10.0.4.12 uptime",
    "sshpass -p{pw} scp a deploy@10.0.4.12:/tmp",
    "docker login -u acme -p {pw} registry.acme.dev",
    "podman login --username ci --password {pw} quay.io",
    "helm registry login r.acme.dev -u ci -p {pw}",
    "helm repo add acme https://charts.acme.dev --username ci --password {pw}",
    "az vm create -n vm1 --admin-username azureuser --admin-password {pw}",
    "mysql \\\n  -u root \\\n  -p{pw} shop",
]


@pytest.mark.parametrize("template", CLI_POSITIVES)
def test_a_password_given_as_a_cli_option_is_found(template: str) -> None:
    pw = PW + "7#"
    text = template.format(pw=pw)
    assert found(text) == [("generic-password", pw)]
    assert commit(text + "\n").decision == "SANITIZE"


CLI_NEGATIVES = [
    "ssh -p 2222 deploy@10.0.4.12",
    "docker run -p 8080:80 -p 15432:5432 nginx",
    "docker run --rm -p 127.0.0.1:8443:443 -v /srv:/srv app",
    "mkdir -p /srv/app/data/x86_64",
    "docker login registry.acme.dev\ndocker run -p 8080:80 nginx",
    "docker login r.io && docker run -p 15432:5432 postgres",
    "docker login r.io; kubectl port-forward -p 8080",
    "mysql -u root -p shop_production",
    "mysql -u root -p",
    "mysql -h db -P 33061 -u app shop",
    "mysql -u root -p$MYSQL_ROOT_PASSWORD shop",
    "mysql -u root -p\"${MYSQL_PASSWORD}\" shop",
    "sshpass -f ~/.pw ssh -p 22022 deploy@host",
    "echo $PW | docker login -u ci --password-stdin r.io",
    "ansible-playbook --ask-vault-password site_deploy.yml",
    "x --password \"$REGISTRY_PASSWORD\" y",
    "x --password ${{ secrets.REGISTRY_PASSWORD }} y",
    "x --password <password> y",
    "use --password followed by the value",
    "cp -p a b && git log -p HEAD~3",
    "python -m pip install -p py3 x",
    "kubectl exec -it pod -- psql -p 5432",
    "docker compose -p myproject12 up",
]


@pytest.mark.parametrize("text", CLI_NEGATIVES)
def test_other_p_options_and_placeholders_stay_clean(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize("unit", ["mysql -u a ", "docker login ", "--password ", "sshpass -p ", "mysql -p",
                                  "ADO_PAT=", "pat="])
def test_cli_floods_cost_linear_time(unit: str) -> None:
    secrets.detect(unit * 200)
    small, large = _detect_work(unit * 2000), _detect_work(unit * 8000)
    assert large <= 4.5 * small, (unit, small, large)


@pytest.mark.parametrize("template", ["AZURE_DEVOPS_PAT={v}", "export ADO_PAT={v}", '{{"github_pat": "{v}"}}',
                                      "adoPat: {v}", "os.environ['GITLAB_PAT'] = '{v}'"])
def test_a_pat_name_announces_a_token(template: str) -> None:
    value = r(BASE32, 52)
    assert found(template.format(v=value)) == [("generic-token", value)]
    assert found(value, key="AZURE_DEVOPS_PAT") == [("generic-token", value)]
    assert secrets.key_is_sensitive("ADO_PAT")
    assert secrets.may_name_a_secret(json.dumps({"ADO_PAT": "x"})) and secrets.may_name_a_secret("ado_pat=x")


@pytest.mark.parametrize("name", ["path", "PATH", "pattern", "spat", "compat", "dispatch", "patch", "pat2",
                                  "pat_name", "patient", "PAT_FILE", "xpat"])
def test_words_holding_pat_announce_nothing(name: str) -> None:
    value = r(BASE32, 52)
    assert found(f"{name}={value}") == []
    assert found(value, key=name) == []
    if name.lower() in ("path", "pattern", "patch", "dispatch", "patient"):
        assert not secrets.may_name_a_secret(json.dumps({name: 1}))
        assert not secrets.may_name_a_secret(f"{name}=1")


def test_a_github_token_under_a_pat_name_is_still_the_github_rule() -> None:
    token = github("ghp_")
    assert found(f"GITHUB_PAT={token}") == [("github-pat", token)]


# --------------------------------------------------------------------------- M9: private JWKs


def _b64u(nbytes: int) -> str:
    raw = random.Random(nbytes * 7 + len(TOKEN)).randbytes(nbytes)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _rsa_jwk() -> dict[str, str]:
    return {"kty": "RSA", "kid": "k1", "alg": "RS256", "n": _b64u(256), "e": "AQAB", "d": _b64u(255),
            "p": _b64u(128), "q": _b64u(127), "dp": _b64u(126), "dq": _b64u(125), "qi": _b64u(124)}


EC_JWK = {"kty": "EC", "crv": "P-256", "x": _b64u(32), "y": _b64u(33), "d": _b64u(31)}
OKP_JWK = {"kty": "OKP", "crv": "Ed25519", "x": _b64u(30), "d": _b64u(29)}
OCT_JWK = {"kty": "oct", "alg": "HS256", "k": _b64u(34)}
PRIVATE = {"RSA": ["d", "p", "q", "dp", "dq", "qi"], "EC": ["d"], "OKP": ["d"], "oct": ["k"]}


@pytest.mark.parametrize("jwk", [_rsa_jwk(), EC_JWK, OKP_JWK, OCT_JWK], ids=["rsa", "ec", "okp", "oct"])
@pytest.mark.parametrize("dump", [lambda o: json.dumps({"keys": [o]}, indent=2), json.dumps,
                                  lambda o: json.dumps(json.dumps(o)),
                                  lambda o: json.dumps(o, separators=(",", ":"), sort_keys=True)],
                         ids=["jwks", "object", "escaped", "compact"])
def test_a_private_jwk_is_found_member_by_member(jwk: dict[str, str], dump: object) -> None:
    text = "the key: " + dump(jwk) + " (why is the signature invalid?)"  # type: ignore[operator]
    expected = [("jwk-private-key", jwk[m]) for m in PRIVATE[jwk["kty"]]]
    assert sorted(found(text)) == sorted(expected)


def test_a_private_jwk_committed_or_pasted_is_redacted() -> None:
    content = base64.b64encode(json.dumps({"keys": [EC_JWK]}, indent=2).encode()).decode()
    r_ = autoguard.scan(method="PUT", url="https://api.github.com/repos/a/b/contents/jwks.json",
                        headers={"Content-Type": "application/json"},
                        body={"message": "x", "content": content})
    assert r_.decision == "SANITIZE" and [f.type for f in r_.findings] == ["PRIVATE_KEY"]
    message = {"role": "user", "content": "sign with " + json.dumps(OKP_JWK)}
    prompt = {"model": "gpt-4o", "messages": [message]}
    r_ = autoguard.scan(method="POST", url="https://api.openai.com/v1/chat/completions",
                        headers={"Content-Type": "application/json"}, body=prompt)
    assert r_.decision == "SANITIZE" and OKP_JWK["d"] not in json.dumps(r_.sanitized_body)


@pytest.mark.parametrize("text", [
    json.dumps({"keys": [{k: v for k, v in _rsa_jwk().items() if k in ("kty", "kid", "alg", "n", "e")}]}),
    json.dumps({k: v for k, v in EC_JWK.items() if k != "d"}),
    json.dumps({"d": _b64u(32), "note": "no key type"}),
    json.dumps([{"kty": "EC", "x": _b64u(32)}, {"d": _b64u(32)}]),  # "d" of another object
    json.dumps({"kty": "EC", "d": "<base64url-encoded-private-key-here>"}),
    json.dumps({"kty": "EC", "d": "A" * 43}),
    '<path d="M10 10 L20 20" kty="x"/>',
])
def test_public_jwks_and_other_d_members_stay_clean(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize("unit", ['{"kty":"EC","d":"' + "Ab1x" * 10 + '"}', '"d":"' + "Ab1x" * 10 + '" ',
                                  '{"kty":"RSA",', '"kty":"EC","k":"' + "Ab1x" * 5 + '",',
                                  "{" * 50 + '"d":"' + "Ab1x" * 5 + '"'])
def test_jwk_floods_cost_linear_time(unit: str) -> None:
    secrets.detect(unit * 200)
    small, large = _detect_work(unit * 2000), _detect_work(unit * 8000)
    assert large <= 4.5 * small, (unit, small, large)


@pytest.mark.parametrize("text", [
    '_IPV4_PAT = r"(?:[0-9]{1,3}\\.){3}[0-9]{1,3}"',  # urllib3's regexes are named *_PAT
    '_HEX_PAT = "[0-9A-Fa-f]{1,4}"',
    '_ZONE_ID_PAT = "(?:%25|%)(?:[" + _UNRESERVED_PAT + "]|%[a-fA-F0-9]{2})+"',
    'EMAIL_PAT = "^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+$"',
])
def test_regexes_named_pat_stay_clean(text: str) -> None:
    assert found(text) == []
