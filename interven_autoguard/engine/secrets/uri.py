"""Where the password of a ``scheme://user:password@host`` URI is, read as drivers and people read it.

RFC 3986 forbids a raw ``@ : / ? #`` in the userinfo, so a strict reading of
``postgres://app:p@ss#w0rd/x@db.internal:5432/prod`` finds no password at all, or only ``p``, and the
e-mail detector then claims ``w0rd/x@db.internal``-like tails. Nobody escapes a password pasted into
a prompt ("why does this DSN fail?"), and the libraries that read such URLs (urllib's ``urlsplit``
``rpartition("@")``, Go's ``net/url``, most database drivers) take the userinfo up to the *last*
``@`` before the host. For schemes that exist to carry credentials (databases, brokers, mail, file
transfer: ``CREDENTIAL_SCHEMES``) this module reads the URI that way; for every other scheme
(``https://user:pass@host``) it keeps the strict reading, because there a later ``@`` is far more
often an e-mail address in the path or query than part of a password.

Shared by the secret detector (the password is the finding) and the e-mail detector (``…@host``
inside that userinfo is the end of a credential, not a mailbox), so the two never disagree.

Every step is a bounded scan (``str.find``/``rfind``, one regex over at most ``MAX_PASSWORD + 1``
characters with no nested repeats): the cost per ``://`` is constant, whatever the text.
"""

from __future__ import annotations

import re

from .rules import CREDENTIAL_URI_SCHEMES, MAX_URI_PASSWORD, MAX_URI_USERNAME, URI_TYPED_STOP

__all__ = ["CREDENTIAL_SCHEMES", "MAX_PASSWORD", "MAX_USERNAME", "userinfo_at"]

MAX_USERNAME = MAX_URI_USERNAME
MAX_PASSWORD = MAX_URI_PASSWORD
# Every scheme the rule table gives a credential id of its own (``rules.URI_SCHEMES``): a URI of
# one of these is written to log in somewhere, so its userinfo is read leniently.
CREDENTIAL_SCHEMES = CREDENTIAL_URI_SCHEMES

# The scheme right before "://" (RFC 3986 scheme characters; longer runs are cut, no scheme is).
_SCHEME = re.compile(r"[A-Za-z0-9+.\-]{1,32}\Z", re.ASCII)
# A user name: no ":" (the first ":" ends it), and nothing that ends the authority. Lenient
# schemes also allow "@" in it: Azure Database for PostgreSQL/MySQL (single server) logs in as
# ``user@servername`` and its DSNs read ``postgres://user@srv:pw@srv.postgres.database.azure.com``.
_USERNAME = re.compile(rf"[^:/?#{URI_TYPED_STOP}\[\]]{{0,{MAX_USERNAME}}}:", re.ASCII)
# A password as written by hand: anything but ``URI_TYPED_STOP``. ``+ 1``: the "@" after it.
_LENIENT_RUN = re.compile(rf"[^{URI_TYPED_STOP}]{{0,{MAX_PASSWORD + 1}}}", re.ASCII)
# RFC 3986 userinfo: the password ends at the first character that would end the authority.
_STRICT_RUN = re.compile(rf"[^@/?#{URI_TYPED_STOP}]{{0,{MAX_PASSWORD}}}", re.ASCII)
# "?name=": the query string has begun. A password holding "?name=" is far rarer than an e-mail
# address in a DSN's query ("…/db?user=admin@server", Azure's documented form), so the password
# ends before it.
_QUERY_PARAMETER = re.compile(r"\?[A-Za-z_][A-Za-z0-9_.\-]*=", re.ASCII)
# "5432/…", "27017,h2:27017": a port after "://host:" (the "user" was a host), not a password.
_PORT_FIRST = re.compile(r"[0-9]{1,5}(?:[/,]|\Z)", re.ASCII)
_HOST_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789[")


def scheme_before(text: str, sep: int) -> str:
    """The (lower-case) scheme that ends at ``sep`` (the index of ``"://"``), or ``""``."""
    m = _SCHEME.search(text, max(0, sep - 32), sep)
    scheme = m.group().lower() if m else ""
    return scheme if scheme[:1].isalpha() else ""


def is_credential_scheme(scheme: str) -> bool:
    """``postgresql``, ``mongodb+srv``, and driver-qualified forms (``postgresql+psycopg2``)."""
    return scheme in CREDENTIAL_SCHEMES or scheme.split("+", 1)[0] in CREDENTIAL_SCHEMES


def userinfo_at(text: str, sep: int) -> tuple[str, int, int, int] | None:
    """For ``text[sep:sep + 3] == "://"``: ``(scheme, user_start, password_start, at)`` when a
    ``user:password@host`` authority starts there (``at``: index of the ``@`` that ends the
    password; the password is ``text[password_start:at]``, never empty); else ``None``.

    Credential schemes: the password runs to the last ``@`` followed by a host character, before
    a query parameter (``?name=``) or another URI's ``://``, within ``MAX_PASSWORD`` characters; the
    user name may be empty (``redis://:pw@cache``) and may hold an ``@``. Other schemes: RFC 3986
    (user name required, the password ends at the first ``@ / ? #``).
    """
    user_start = sep + 3
    user = _USERNAME.match(text, user_start)
    if user is None:
        return None
    start = user.end()
    # The lenient reading's "@" bounds the strict one's (a strict password is a lenient one that
    # stops at the first "@ / ? #"): without it there is no reading, and no scheme to look up.
    last_at = _last_host_at(text, start)
    if last_at is None:
        return None
    scheme = scheme_before(text, sep)
    if not scheme:
        return None
    if is_credential_scheme(scheme):
        if _PORT_FIRST.match(text, start, last_at):
            return None  # "://host:5432/db@…": a port, not a password
        return scheme, user_start, start, last_at
    if start - 1 == user_start or "@" in text[user_start : start - 1]:
        return None
    end = _STRICT_RUN.match(text, start).end()
    if end == start or text[end : end + 1] != "@" or text[end + 1 : end + 2] not in _HOST_START:
        return None
    return scheme, user_start, start, end


def _last_host_at(text: str, start: int) -> int | None:
    """Index of the last "@" + host character after ``start`` that can end a password, or None."""
    end = _LENIENT_RUN.match(text, start).end()
    other_uri = text.find("://", start, end)
    if other_uri >= 0:
        end = other_uri
    query = _QUERY_PARAMETER.search(text, start, end)
    if query is not None:
        end = query.start()
    at = text.rfind("@", start + 1, end)
    while at > start:
        if text[at + 1 : at + 2] in _HOST_START:
            return at
        at = text.rfind("@", start + 1, at)
    return None
