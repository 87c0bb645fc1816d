"""Where is this request going? SSRF and exfiltration analysis of a URL, without DNS or sockets.

HTTP stacks disagree on URLs (``http://a\\@b`` is ``a`` to urllib3 and browsers, ``b`` to
``urllib.parse``; ``0251.0376.0251.0376`` is an IP to ``getaddrinfo`` but garbage to ``ipaddress``),
and attackers live in those gaps. So ``assess`` reads the URL the way the usual parsers do — RFC 3986
authority, WHATWG authority (``\\`` ends it), every ``@``-separated piece, one and two rounds of
percent-decoding, IPv4 in every notation ``inet_aton`` accepts, IPv4 embedded in IPv6 — and reports
a metadata / link-local hit if *any* plausible reading reaches one. Everything else (private
networks, exfiltration hosts) is judged on the readings real clients connect to.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import unicodedata
from fnmatch import fnmatchcase
from urllib.parse import unquote, unquote_plus

from interven_autoguard.engine import exfil_hosts as tables
from interven_autoguard.engine.types import DestHit, DestinationAssessment
from interven_autoguard.model import ReasonCode

__all__ = ["assess", "host_matches", "normalize_host", "redact_url"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_SPECIAL_SCHEMES = frozenset({"http", "https", "ws", "wss", "ftp"})  # WHATWG "special": "\" is "/"
_DECISIONS = frozenset({"ALLOW", "SANITIZE", "REQUIRE_APPROVAL", "DENY"})
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))
_TAB_NEWLINE = {9: None, 10: None, 13: None}  # WHATWG drops these anywhere in a URL
_FORBIDDEN_HOST_CHARS = frozenset(" #/:<>?@[\\]^|%\x7f" + "".join(chr(c) for c in range(0x20)))
_IDEOGRAPHIC_DOTS = {0x3002: ".", 0xFF0E: ".", 0xFF61: "."}
_MAX_AUTHORITY = 8192  # host names stop at 253 characters; even token-bearing userinfo fits easily
_MAX_HOST = 253  # RFC 1035
_ALT_SPLIT = re.compile(r"[\s&;,\\/?#@]+")

_PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7", "fec0::/10")
)
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")  # 0.x.x.x reaches the local host on Linux
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_SIIT = ipaddress.ip_network("::ffff:0:0:0/96")  # IPv4-translated addresses (RFC 2765)

_ECHO_DOTTED = re.compile(r"(?<![0-9])((?:[0-9]{1,3}[.\-]){3}[0-9]{1,3})(?![0-9])", re.ASCII)
_ECHO_HEX = re.compile(r"(?<![0-9a-f])([0-9a-f]{8})(?![0-9a-f])", re.ASCII)


class _NotIp:
    pass


class _BadIp:
    pass


_NOT_IP = _NotIp()
_BAD_IP = _BadIp()


def _hit(kind: str, detector: str, reason: str, decision: str) -> DestHit:
    return DestHit(type=kind, detector=detector, reason_code=reason, decision=decision)


_INVALID = _hit("INVALID_URL", "invalid-url", ReasonCode.INVALID_URL, "DENY")


class _Hits:
    """Insertion-ordered, de-duplicated hits of one assessment."""

    def __init__(self, private_decision: str) -> None:
        self.private_decision = private_decision
        self._by_key: dict[tuple[str, str], DestHit] = {}

    def add(self, hit: DestHit) -> None:
        self._by_key.setdefault((hit.type, hit.detector), hit)

    def metadata(self, detector: str) -> None:
        self.add(_hit("CLOUD_METADATA", detector, ReasonCode.SSRF_METADATA, "DENY"))

    def link_local(self) -> None:
        self.add(_hit("LINK_LOCAL", "ssrf-link-local", ReasonCode.SSRF_METADATA, "DENY"))

    def loopback(self, detector: str) -> None:
        self.add(_hit("LOOPBACK", detector, ReasonCode.SSRF_PRIVATE_NETWORK, self.private_decision))

    def private(self, detector: str) -> None:
        self.add(_hit("PRIVATE_NETWORK", detector, ReasonCode.SSRF_PRIVATE_NETWORK, self.private_decision))

    def exfil(self) -> None:
        self.add(_hit("EXFIL_HOST", "exfil-host", ReasonCode.EXFIL_DESTINATION, "DENY"))

    def invalid(self) -> None:
        self.add(_INVALID)

    def as_tuple(self) -> tuple[DestHit, ...]:
        return tuple(self._by_key.values())


# ---------------------------------------------------------------- public API


def assess(url: str, *, private_network: str = "ALLOW") -> DestinationAssessment:
    """Parse ``url`` (no DNS, no network) and report metadata/SSRF/exfiltration hits. Never raises.

    ``private_network`` is the decision attached to LOOPBACK / PRIVATE_NETWORK hits; the hits are
    emitted even when it is ``ALLOW`` so policy can match on them. An unknown value fails closed
    to ``DENY``.
    """
    decision = str(private_network).upper()
    if decision not in _DECISIONS:
        decision = "DENY"
    try:
        return _assess(url, _Hits(decision))
    except Exception:  # a parser bug must not become a crash inside the user's HTTP call
        return DestinationAssessment(scheme="", host="", port=None, ip=None, hits=(_INVALID,))


def normalize_host(host: str) -> str:
    """Lower-case, percent-decoded, NFKC/IDNA, no trailing dot; IP literals (any notation) canonical.

    ``"[::FFFF:A9FE:A9FE]"`` → ``"::ffff:a9fe:a9fe"``, ``"0xA9FEA9FE"`` → ``"169.254.169.254"``,
    ``"Bücher.Example."`` → ``"xn--bcher-kva.example"``. Never raises (best effort on garbage).
    """
    try:
        raw = host.strip()
        if ":" in raw and not raw.startswith("["):
            raw = f"[{raw}]"
        return _normalize(raw)[0]
    except Exception:
        return host.lower() if isinstance(host, str) else ""


def host_matches(host: str, pattern: str) -> bool:
    """Glob match of a host name on label boundaries, case-insensitive, trailing dot ignored.

    ``*`` alone matches every host; a leading ``*.`` matches one or more labels
    (``*.github.com`` matches ``api.github.com`` and ``a.b.github.com``, not ``github.com`` nor
    ``evilgithub.com``); ``*`` inside a label stays inside it (``api-*.stripe.com``). A pattern with
    ``/`` is a CIDR block (``10.0.0.0/8``) matched against IP-literal hosts. Hosts and patterns are
    normalised first, so ``0xa9fea9fe`` matches ``169.254.169.254``.
    """
    try:
        pat = pattern.strip().lower().rstrip(".")
        if pat == "*":
            return True
        name = normalize_host(host)
        if not name or not pat:
            return False
        if "/" in pat:
            return _in_cidr(name, pat)
        if "*" not in pat:
            return name == normalize_host(pat)
        labels = [lab if lab == "*" or lab.isascii() else normalize_host(lab) for lab in pat.split(".")]
        host_labels = name.split(".")
        if labels[0] == "*" and len(labels) > 1:
            rest = labels[1:]
            if len(host_labels) <= len(rest):
                return False
            host_labels = host_labels[len(host_labels) - len(rest) :]
            labels = rest
        return len(labels) == len(host_labels) and all(fnmatchcase(h, p) for h, p in zip(host_labels, labels))
    except Exception:
        return False


def _in_cidr(name: str, pat: str) -> bool:
    try:
        network = ipaddress.ip_network(pat, strict=False)
        return ipaddress.ip_address(name) in network
    except ValueError:
        return False


# ---------------------------------------------------------------- parsing


def _assess(url: object, hits: _Hits) -> DestinationAssessment:
    if not isinstance(url, str):
        return DestinationAssessment(scheme="", host="", port=None, ip=None, hits=(_INVALID,))
    cleaned = url.strip(_C0_AND_SPACE).translate(_TAB_NEWLINE)
    m = _SCHEME.match(cleaned)
    if m is None:
        hits.invalid()
        return DestinationAssessment(scheme="", host="", port=None, ip=None, hits=hits.as_tuple())
    scheme = m.group(1).lower()
    rest = cleaned[m.end() :]
    special = scheme in _SPECIAL_SCHEMES
    if rest.startswith("//"):
        after = rest[2:]
    elif special:
        after = rest.lstrip("/\\")  # WHATWG: "http:\\host", "http:/host" and "http:host" all name a host
    else:
        hits.invalid()
        return DestinationAssessment(scheme=scheme, host="", port=None, ip=None, hits=hits.as_tuple())

    if len(_until(after, "/?")) > _MAX_AUTHORITY:  # the longest authority any reading takes
        hits.invalid()
        after = after[:_MAX_AUTHORITY]  # bounded work; the URL is denied anyway
    authority = _until(after, "/?#")
    userinfo, at, hostport = authority.rpartition("@")
    host_raw, port, port_ok = _split_port(hostport)
    host, ip, host_ok = _normalize(host_raw)
    if not port_ok or not host_ok or (not host and scheme != "file") or len(host) > _MAX_HOST:
        hits.invalid()
    _classify(host, ip, hits, full=True)

    # Other parser families' authorities: WHATWG/urllib3 end it at "\\" as well, the legacy
    # urllib.parse.splithost (still used by some clients) does not end it at "#".
    rivals = []
    if special:
        rivals.append(_until(after, "/?#\\"))
    legacy = _until(after, "/?")
    if "@" in legacy[len(authority) :]:
        rivals.append(legacy)
    for rival in rivals:
        if rival == authority:
            continue
        r_host, r_ip, _ = _normalize(_split_port(rival.rpartition("@")[2])[0])
        _classify(r_host, r_ip, hits, full=True)
        _classify_alternates(rival, hits)
        if r_host != host:
            # A URL that names two hosts is how credential-binding and allow-lists get bypassed.
            hits.invalid()
    _classify_alternates(authority, hits)
    return DestinationAssessment(
        scheme=scheme, host=host, port=port, ip=ip, hits=hits.as_tuple(), userinfo=userinfo if at else None
    )


def _until(s: str, stops: str) -> str:
    end = len(s)
    for ch in stops:
        i = s.find(ch, 0, end)
        if i >= 0:
            end = i
    return s[:end]


def _split_port(hostport: str) -> tuple[str, int | None, bool]:
    """``host[:port]`` → (host, port, ok). ``ok`` is False for a malformed port or bracket."""
    if hostport.startswith("["):
        close = hostport.find("]")
        if close < 0:
            return hostport, None, False
        host, tail = hostport[: close + 1], hostport[close + 1 :]
        if not tail:
            return host, None, True
        if not tail.startswith(":"):
            return host, None, False
        digits = tail[1:]
    else:
        host, sep, digits = hostport.rpartition(":")
        if not sep:
            return hostport, None, True
        if ":" in host:  # an IPv6 literal without brackets
            return hostport, None, False
    if not digits:
        return host, None, True
    if not (digits.isascii() and digits.isdigit()) or len(digits.lstrip("0")) > 5:
        return host, None, False
    port = int(digits)
    return host, port, port <= 65535


def _fold(host: str) -> str:
    return unicodedata.normalize("NFKC", host).translate(_IDEOGRAPHIC_DOTS).lower()


def _normalize(raw: str) -> tuple[str, IPAddress | None, bool]:
    """Host as written → (canonical host, IP if it is one, ok)."""
    if raw.startswith("[") and raw.endswith("]"):
        inner = unquote(raw[1:-1]).partition("%")[0]  # drop a zone id ("%25eth0" once decoded)
        try:
            ip6 = ipaddress.IPv6Address(inner)
        except ValueError:
            return raw.lower(), None, False
        return str(ipaddress.IPv6Address(int(ip6))), ip6, True
    try:
        decoded = unquote(raw, errors="strict")
    except UnicodeDecodeError:
        return raw.lower(), None, False
    name = _fold(decoded)
    if name.endswith("."):
        name = name[:-1]
    ip4 = _parse_ipv4(name)
    if isinstance(ip4, ipaddress.IPv4Address):
        return str(ip4), ip4, True
    if ip4 is _BAD_IP or not _FORBIDDEN_HOST_CHARS.isdisjoint(name):
        return name, None, False
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            return name, None, False
    elif "xn--" in name and not _valid_punycode(name):
        return name, None, False
    return name, None, True


def _valid_punycode(name: str) -> bool:
    """``xn--`` labels must decode, or resolvers and WHATWG parsers reject the host."""
    for label in name.split("."):
        if label.startswith("xn--"):
            try:
                if not label[4:] or not label[4:].encode("ascii").decode("punycode"):
                    return False
            except UnicodeError:
                return False
    return True


def _parse_ipv4(name: str) -> ipaddress.IPv4Address | _NotIp | _BadIp:
    """WHATWG / ``inet_aton`` IPv4: 1–4 parts, each decimal, ``0x`` hex or ``0`` octal."""
    parts = name.split(".")
    if not _ends_in_number(parts[-1]):
        return _NOT_IP
    if len(parts) > 4:
        return _BAD_IP
    numbers: list[int] = []
    for part in parts:
        n = _ipv4_number(part)
        if n is None:
            return _BAD_IP
        numbers.append(n)
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        return _BAD_IP
    value = numbers[-1]
    for i, n in enumerate(numbers[:-1]):
        value += n << (8 * (3 - i))
    return ipaddress.IPv4Address(value)


def _ends_in_number(last: str) -> bool:
    if not last or not last.isascii():
        return False
    if last.isdigit():
        return True
    if last[:2] in ("0x", "0X"):
        return all(c in "0123456789abcdefABCDEF" for c in last[2:])
    return False


def _ipv4_number(part: str) -> int | None:
    if not part or not part.isascii() or len(part) > 40:  # 40 digits already overflow any part
        return None
    if part[:2] in ("0x", "0X"):
        digits = part[2:]
        if not digits:
            return 0
        return int(digits, 16) if all(c in "0123456789abcdefABCDEF" for c in digits) else None
    if len(part) > 1 and part[0] == "0":
        return int(part, 8) if all(c in "01234567" for c in part) else None
    return int(part) if part.isdigit() else None


# ---------------------------------------------------------------- classification


def _embedded_ipv4(ip: IPAddress) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address routes to: mapped, translated, compatible, NAT64, 6to4, Teredo."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return []
    value = int(ip)
    low32 = ipaddress.IPv4Address(value & 0xFFFFFFFF)
    out: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        out.append(ip.ipv4_mapped)
    if ip in _SIIT or any(ip in net for net in _NAT64) or 1 < value < 2**32:
        out.append(low32)
    if ip.sixtofour is not None:
        out.append(ip.sixtofour)
    if ip.teredo is not None:
        out.append(ip.teredo[1])
    return out


def _classify_ip(ip: IPAddress, hits: _Hits, *, full: bool) -> None:
    if ip in tables.METADATA_IPS:
        hits.metadata("ssrf-metadata-ip")
    elif ip.is_link_local:
        hits.link_local()
    elif not full:
        return
    elif ip.is_loopback or ip.is_unspecified or ip in _THIS_NETWORK:
        hits.loopback("ssrf-loopback")
    elif any(ip in net for net in _PRIVATE_NETWORKS):
        hits.private("ssrf-private-network")


_LOOPBACK_SUFFIXES = frozenset(tables.LOOPBACK_SUFFIXES)
_PRIVATE_SUFFIXES = frozenset(tables.PRIVATE_SUFFIXES)
_IP_ECHO_SUFFIXES = frozenset(tables.IP_ECHO_SUFFIXES)
_EXFIL_DOMAINS = frozenset(tables.EXFIL_DOMAINS)


_MAX_TABLE_LABELS = max(
    d.count(".") + 1 for d in (*_LOOPBACK_SUFFIXES, *_PRIVATE_SUFFIXES, *_IP_ECHO_SUFFIXES, *_EXFIL_DOMAINS)
)


def _has_suffix(host: str, domains: frozenset[str]) -> bool:
    """Is ``host`` one of ``domains`` or a sub-domain of one (on a label boundary)?"""
    if host in domains:
        return True
    labels = host.rsplit(".", _MAX_TABLE_LABELS)  # linear even for absurdly long names
    return any(".".join(labels[i:]) in domains for i in range(1, len(labels)))


def _classify(host: str, ip: IPAddress | None, hits: _Hits, *, full: bool) -> None:
    """Hits for one reading of the host. ``full=False``: only the always-DENY metadata kinds."""
    if ip is not None:
        for addr in (ip, *_embedded_ipv4(ip)):
            _classify_ip(addr, hits, full=full)
        return
    if not host:
        return
    if host in tables.METADATA_HOSTNAMES:
        hits.metadata("ssrf-metadata-host")
        return
    if _has_suffix(host, _IP_ECHO_SUFFIXES):
        for addr in _echoed_ips(host):
            _classify_ip(addr, hits, full=full)
    if not full:
        return
    if host in tables.LOOPBACK_HOSTNAMES or _has_suffix(host, _LOOPBACK_SUFFIXES):
        hits.loopback("ssrf-loopback-host")
    elif _has_suffix(host, _PRIVATE_SUFFIXES):
        hits.private("ssrf-private-host")
    if _has_suffix(host, _EXFIL_DOMAINS):
        hits.exfil()


def _echoed_ips(host: str) -> list[ipaddress.IPv4Address]:
    """IPs spelled inside wildcard-DNS names: ``10.0.0.1.nip.io``, ``app-10-0-0-1.sslip.io``, hex."""
    out: list[ipaddress.IPv4Address] = []
    for m in _ECHO_DOTTED.finditer(host):
        try:
            out.append(ipaddress.IPv4Address(m.group(1).replace("-", ".")))
        except ValueError:
            continue
    out.extend(ipaddress.IPv4Address(int(m.group(1), 16)) for m in _ECHO_HEX.finditer(host))
    return out


_PLAIN_AUTHORITY = re.compile(r"[A-Za-z0-9.\-]*(?::[0-9]*)?")


def _classify_alternates(authority: str, hits: _Hits) -> None:
    """Every piece of the authority a lenient or buggy parser might take for the host.

    Pieces: split at ``@``, percent-decoded zero, one and two times, then split at whitespace and
    at the delimiters a decoder may have produced (``/ ? # \\ & ; , @``), with and without a
    ``:port``. Only the always-DENY kinds (metadata, link-local) are reported from these readings.
    """
    if _PLAIN_AUTHORITY.fullmatch(authority):
        return  # "host" or "host:port" in plain ASCII: every parser reads it the same way
    seen: set[str] = set()
    for segment in authority.split("@"):
        once = unquote(segment)
        for variant in {segment, once, unquote(once)}:
            for token in _ALT_SPLIT.split(variant):
                for candidate in (token, _split_port(token)[0], token.partition(":")[0]):
                    candidate = candidate.strip().rstrip(".")
                    if not candidate or candidate in seen:
                        continue
                    seen.add(candidate)
                    if ":" in candidate and not candidate.startswith("["):
                        candidate = f"[{candidate}]"  # an IPv6 literal someone forgot to bracket
                    host, ip, _ = _normalize(candidate)
                    _classify(host, ip, hits, full=False)


# ---------------------------------------------------------------- redaction

_REDACTED = "REDACTED"
_SENSITIVE_NAMES = frozenset(
    "key apikey sig signature password passwd pwd pass secret token code auth authorization session "
    "sessionid jsessionid phpsessid sid jwt bearer otp credential credentials awsaccesskeyid "
    "xamzsignature xamzcredential xamzsecuritytoken xgoogsignature xgoogcredential accesstoken "
    "refreshtoken idtoken clientsecret privatekey".split()
)
_SENSITIVE_PARTS = (
    "token",
    "secret",
    "passw",
    "signature",
    "apikey",
    "accesskey",
    "privatekey",
    "credential",
)
_NOT_SENSITIVE_NAMES = frozenset({"tokentype", "keyword", "keywords"})  # OAuth's token_type=bearer
_PARAM_SEPARATORS = re.compile(r"([&;])")
_PATH_PARAM = re.compile(r";([^;/?#=]*)=([^;/?#]*)")
_UNPARSEABLE = "[REDACTED:URL]"


@functools.lru_cache(maxsize=1024)  # parameter *names* only, never values
def _sensitive_name(name: str) -> bool:
    try:
        key = unquote_plus(name)
    except Exception:
        key = name
    key = "".join(c for c in key.lower() if c.isalnum())
    if key in _NOT_SENSITIVE_NAMES:
        return False
    return key in _SENSITIVE_NAMES or any(p in key for p in _SENSITIVE_PARTS) or key.endswith("key")


def _redact_params(params: str) -> str:
    pieces = _PARAM_SEPARATORS.split(params)
    for i in range(0, len(pieces), 2):
        name, eq, _value = pieces[i].partition("=")
        if eq and _sensitive_name(name):
            pieces[i] = f"{name}={_REDACTED}"
    return "".join(pieces)


# Credentials that services put in the URL path itself: the whole URL is the secret there.
_PATH_SECRETS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"(/bot)[0-9]{5,}:[A-Za-z0-9_\-]{20,}", r"\1" + _REDACTED),  # Telegram bot API
        (r"(/services/[A-Za-z0-9]+/[A-Za-z0-9]+/)[A-Za-z0-9]+", r"\1" + _REDACTED),  # Slack webhooks
        (r"(/api/webhooks/[0-9]+/)[A-Za-z0-9_\-]+", r"\1" + _REDACTED),  # Discord webhooks
        (
            # a path segment that starts like a well-known API key and contains a digit
            r"(?<=/)(?:gh[pousr]_|github_pat_|glpat-|xox[abposr]-|sk-|sk_live_|sk_test_|rk_live_|"
            r"rk_test_|AKIA|ASIA|AIza|hf_|npm_|pypi-)(?=[A-Za-z_\-]*[0-9])[A-Za-z0-9_\-]{8,}",
            _REDACTED,
        ),
    )
)


def _redact_path(path: str) -> str:
    path = _PATH_PARAM.sub(
        lambda m: f";{m.group(1)}={_REDACTED}" if _sensitive_name(m.group(1)) else m.group(0), path
    )
    for pattern, replacement in _PATH_SECRETS:
        path = pattern.sub(replacement, path)
    return path


def redact_url(url: str) -> str:
    """``url`` fit for spans, logs and exceptions: credentials and sensitive parameter values removed.

    ``user:pass@`` becomes ``REDACTED:REDACTED@`` (``REDACTED@`` without a password); values of
    sensitive-looking query/path parameters (token, key, sig, password, X-Amz-Signature …) become
    ``REDACTED`` while their names stay. The fragment is dropped: no HTTP client sends it, no
    detector reads it, and it is where OAuth's implicit flow puts ``access_token=…`` — whatever
    name it carries a secret under, it must not reach a span, a log or an approver's screen.
    Never raises; garbage becomes ``[REDACTED:URL]``.
    """
    try:
        return _redact(url)
    except Exception:
        return _UNPARSEABLE


def _redact(url: str) -> str:
    if not isinstance(url, str):
        return _UNPARSEABLE
    m = _SCHEME.match(url.lstrip(_C0_AND_SPACE))
    lead = len(url) - len(url.lstrip(_C0_AND_SPACE))
    start = lead + m.end() if m else 0
    head = url[:start]
    body = url[start:]
    slashes = len(body) - len(body.lstrip("/\\"))
    if m is None or slashes == 0:
        authority_at = 0 if m is None else -1
    else:
        authority_at = slashes
    if authority_at >= 0:
        body = body[:authority_at] + _redact_userinfo(body[authority_at:])
    body = body.partition("#")[0]  # the fragment: see redact_url
    body, question, query = body.partition("?")
    out = head + _redact_path(body)
    if question:
        out += "?" + _redact_params(query)
    return out


def _redact_userinfo(rest: str) -> str:
    """``user:pass@host/...`` → ``REDACTED:REDACTED@host/...``, also for passwords with ``/`` or ``?``."""
    authority = _until(rest, "/?#")
    at = authority.rfind("@")
    if at < 0:
        _host, colon, port = authority.rpartition(":")
        if not colon or port.isdigit() or "@" not in rest:
            return rest
        # "user:pa/ss@host": the "port" is no number, so the "@" further on ends the userinfo.
        at = rest.rfind("@")
    userinfo = rest[:at]
    masked = f"{_REDACTED}:{_REDACTED}" if ":" in userinfo else _REDACTED
    return masked + rest[at:]
