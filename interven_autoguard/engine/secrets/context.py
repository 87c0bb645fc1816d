"""What a field's name says about its value: ``password`` yes, ``password_policy`` / ``max_tokens`` no."""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import pairwise

_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_SPLIT = re.compile(r"[^a-z0-9]+")

_PASSWORD_WORDS = frozenset(
    {"password", "passwd", "passphrase", "pwd", "pass", "pw", "passwort", "motdepasse"}
)
_TOKEN_WORDS = frozenset(
    {
        "token",
        "jwt",
        "bearer",
        "auth",
        "sessionid",
        "accesstoken",
        "authtoken",
        "refreshtoken",
        "idtoken",
        "sessiontoken",
        "apitoken",
        "csrftoken",
        "xsrftoken",
        "authorization",
    }
)
_SECRET_WORDS = frozenset(
    {"secret", "credential", "credentials", "creds", "cred", "clientsecret", "mnemonic"}
)
# Two-word names whose parts are harmless alone ("api", "key") but a credential together.
_COMPOUNDS = {
    "apikey": "api_key",
    "accesskey": "api_key",
    "appkey": "api_key",
    "subscriptionkey": "api_key",
    "licensekey": "api_key",
    "authkey": "api_key",
    "servicekey": "api_key",
    "masterkey": "secret",
    "secretkey": "secret",
    "signingkey": "secret",
    "encryptionkey": "secret",
    "privatekey": "private_key",
    "sshkey": "private_key",
    "accesstoken": "token",
    "authtoken": "token",
    "refreshtoken": "token",
    "sessiontoken": "token",
    "bearertoken": "token",
    "idtoken": "token",
    "sessionid": "token",
    "clientsecret": "secret",
    "connectionstring": "secret",
    "connstr": "secret",
    "dsn": "secret",
}
# A last word like these makes the field *about* a credential, not the credential itself.
_META_LAST = frozenset(
    """
    type types name names length len count counts limit limits url uri urls endpoint path file filename
    field fields policy policies hint hints label prompt format expiry expires expiresin expiration
    expiresat ttl usage enabled required min max size version mode method header param location provider
    strategy kind encoding algorithm alg scope scopes reset changed updated created at date time timestamp
    index budget window regex pattern rule rules validation strength prefix suffix id ids hash hashed
    digest fingerprint status state valid validity rotation source env var variable ref reference
    placeholder description desc help text title display rotated last lifetime tokens vars envs
    annotation annotations schema class cls factory provider providers getter setter callback
    """.split()
)


# A word right before a final "token" (or ending a word fused with it: "$skiptoken") that makes the name a
# position in a listing, not a credential: pagination and sync cursors (S3 ``continuation-token``,
# Google ``pageToken`` / ``syncToken``, Graph ``$skiptoken``, AWS ``NextToken``). Redacting one
# breaks the provider's own listing call. Not "access", "refresh", "id", "session", "csrf": those
# tokens authenticate. A provider-format credential under such a name is still found by its rule.
CURSOR_WORDS = frozenset(
    """
    page next continuation continue sync skip delta cursor pagination resume resumption
    """.split()
)


# The same for a protocol's correlation handles: the client makes the value up so that later
# messages can refer to the request, and it authenticates nothing. MCP's ``progressToken`` (the
# server's ``notifications/progress`` must carry it back unchanged), idempotency and
# de-duplication tokens, correlation and trace tokens. Names ending in "id" (``requestId``,
# ``correlationId``, ``x-request-id``) and ``traceparent`` announce no credential to begin with.
# Not "request" ("requestToken" is OAuth 1.0a's temporary credential), "task", "client".
CORRELATION_WORDS = frozenset(
    """
    progress idempotency idempotence idempotent correlation dedup deduplication trace
    """.split()
)
# A final "token" after one of these names a position or a handle, not a credential.
_HANDLE_WORDS = CURSOR_WORDS | CORRELATION_WORDS
_HANDLE_ENDINGS = tuple(sorted(_HANDLE_WORDS))


def _is_handle_name(words: list[str]) -> bool:
    """``pageToken``, ``progressToken``: a listing's cursor or a protocol's correlation handle."""
    last = words[-1]
    if last == "token":
        return len(words) > 1 and words[-2] in _HANDLE_WORDS
    # fused: "nextpagetoken", "$skiptoken" ("accesstoken", "sessiontoken" end in no such word)
    return last.endswith("token") and last[: -len("token")].endswith(_HANDLE_ENDINGS)

# Words that say a name holds a digest or an id, whatever else it says (``password_sha1``,
# ``token_checksum``, ``sessionid``): a hex value of a digest's length under it is no key.
_HEX_NAME_WORDS = frozenset(
    """
    hash hashed digest sha sha1 sha224 sha256 sha384 sha512 md5 checksum shasum crc crc32 sum etag commit
    integrity fingerprint oid nonce sessionid
    """.split()
)


def names_a_digest(key: str) -> bool:
    """Whether a name speaks of a digest (``etag``, ``commit_sha``, ``password_md5``)."""
    return any(w in _HEX_NAME_WORDS for w in key_words(key[:120]))


# Necessary conditions of ``classify_key`` on a name's text, read case-insensitively: one of these
# in it (the words above, by substring), or "token" / "key" ending a word (``max_tokens`` and
# ``keyboard`` announce nothing; ``myToken``, ``api_key``, ``APIKEY`` do).
NAME_MARKERS = ("pass", "pw", "secret", "cred", "mnemonic", "jwt", "bearer", "auth", "session", "conn",
                "dsn")
WORD_END_MARKERS = ("token", "key")
# A name's last word only (``AZURE_DEVOPS_PAT``, ``adoPat``: a personal access token): nothing
# alphanumeric follows it ("path", "pattern", "pat2" say nothing). Code also names regexes so
# (``_HEX_PAT = "[0-9A-Fa-f]{1,4}"``): under such a name only a token's characters count
# (``PAT_VALUE``).
LAST_WORDS = frozenset({"pat"})
PAT_VALUE = re.compile(r"[A-Za-z0-9_.~-]{20,300}")


def names_a_pat(key: str) -> bool:
    """Whether a name's last word is ``pat`` (see ``LAST_WORDS``)."""
    words = key_words(key[:120])
    return bool(words) and words[-1] in LAST_WORDS
# ``classify_key`` also joins two adjacent words ("ses_sionid", "clients-ecret", "servicek_ey"):
# each compound, with anything but a letter or digit allowed between its letters.
SPLIT_COMPOUNDS = tuple(sorted(_COMPOUNDS))


def key_words(key: str) -> list[str]:
    """``"X-Api-Key"`` → ["x", "api", "key"]; ``"dbPassword"`` → ["db", "password"]."""
    return [w for w in _SPLIT.split(_CAMEL.sub(r"\1_\2", key).lower()) if w]


@lru_cache(maxsize=4096)
def classify_key(key: str) -> str | None:
    """The generic kind ("password", "secret", "api_key", "token", "private_key") a field name implies,
    or None when the name does not announce a credential."""
    words = key_words(key[:120])
    if len(key) > 120 and key[119].isalnum() and key[120].isalnum():
        words = words[:-1]  # the cut fell inside a word: "keyboard" must not read as "key"
    if not words or words[-1] in _META_LAST or _is_handle_name(words):
        return None
    for a, b in pairwise(words):
        kind = _COMPOUNDS.get(a + b)
        if kind:
            return kind
    for w in words:
        if w in _COMPOUNDS:
            return _COMPOUNDS[w]
        if w in _PASSWORD_WORDS or "password" in w or "passwd" in w:
            return "password"
    for w in words:
        if w in _SECRET_WORDS or "secret" in w:
            return "secret"
        if w in _TOKEN_WORDS or (w.endswith("token") and len(w) > 5):
            return "token"
    if words[-1] in LAST_WORDS:
        return "token"
    return None
