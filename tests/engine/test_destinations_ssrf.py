"""``engine.destinations.assess``: metadata in every notation, private ranges, exfil hosts, garbage."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from interven_autoguard.engine import destinations
from interven_autoguard.engine.destinations import assess
from interven_autoguard.engine.types import DestinationAssessment


@pytest.fixture(autouse=True)
def _no_name_resolution(monkeypatch):
    """``assess`` must decide from the text alone: any resolver call fails the test."""

    def forbidden(*args, **kwargs):
        raise AssertionError(f"destination analysis tried to resolve/connect: {args!r}")

    for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr", "create_connection"):
        monkeypatch.setattr(socket, name, forbidden)


def types_of(a: DestinationAssessment) -> set[str]:
    return {h.type for h in a.hits}


def denied_as_metadata(url: str) -> bool:
    a = assess(url)
    return any(h.reason_code == "SSRF_METADATA" and h.decision == "DENY" for h in a.hits)


METADATA_URLS = [
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://169.254.169.254:80/",
    "http://2852039166/",  # decimal
    "http://0xa9fea9fe/",  # hex
    "http://0XA9FEA9FE/",
    "http://0xa9.0xfe.0xa9.0xfe/",  # dotted hex
    "http://0251.0376.0251.0376/",  # dotted octal
    "http://0251.254.169.254/",  # mixed octal / decimal
    "http://0xa9.254.0251.0xfe/",  # mixed everything
    "http://169.254.43518/",  # short form a.b.c (last part 16 bits)
    "http://169.16689662/",  # short form a.b (last part 24 bits)
    "http://00000000251.254.169.254/",  # long octal zero padding
    "http://[::ffff:169.254.169.254]/",  # IPv4-mapped IPv6
    "http://[::ffff:a9fe:a9fe]/",
    "http://[0:0:0:0:0:ffff:a9fe:a9fe]/",
    "http://[::a9fe:a9fe]/",  # IPv4-compatible
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64
    "http://[64:ff9b::169.254.169.254]/",
    "http://[::ffff:0:a9fe:a9fe]/",  # IPv4-translated (SIIT)
    "http://[2002:a9fe:a9fe::1]/",  # 6to4
    "http://169.254.169.254./",  # trailing dot
    "http://good.com@169.254.169.254/",  # userinfo trick
    "http://user:pass@169.254.169.254:80/",
    "http://169.254.169.254\\@good.com/",  # urllib3/WHATWG connect to the metadata IP
    "http://169.254.169.254:80@good.com/",  # a lenient parser may take the userinfo host
    "http://good.com@good.org@169.254.169.254/",
    "http://169.254.169.254%2f@good.com/",  # a decoder that turns %2f into "/" ends the host there
    "http://169.254.169.254%23@good.com/",
    "http://1.1.1.1 &@169.254.169.254# @3.3.3.3/",  # Orange Tsai's parser-confusion URL
    "http://1.1.1.1 &@2.2.2.2# @169.254.169.254/",
    "http://%31%36%39.%32%35%34.%31%36%39.%32%35%34/",  # percent-encoded host
    "http://%2531%2536%2539.254.169.254/",  # double percent-encoding
    "http://１６９.２５４.１６９.２５４/",  # full-width digits (NFKC)
    "http://169。254。169。254/",  # ideographic full stops
    "HTTP://169.254.169.254/",
    "  http://169.254.169.254/  ",
    "http://169.254.\t169.254/",  # tab removed by WHATWG parsers
    "http:\\\\169.254.169.254\\latest",  # backslashes as slashes
    "http:/169.254.169.254/",
    "https://metadata.google.internal/computeMetadata/v1/",
    "http://METADATA.GOOGLE.INTERNAL./",
    "http://metadata/computeMetadata/v1/",
    "http://metadata.goog/",
    "http://instance-data/latest/",
    "http://instance-data.ec2.internal/",
    "http://[fd00:ec2::254]/latest/",
    "http://100.100.100.200/latest/meta-data/",  # Alibaba
    "http://169.254.170.2/v2/credentials/abc",  # ECS task role
    "http://169.254.169.123/",  # AWS time sync
    "http://168.63.129.16/machine?comp=goalstate",  # Azure WireServer
    "http://169.254.169.254.nip.io/",  # wildcard DNS that echoes the IP
    "http://a9fea9fe.nip.io/",
    "http://app-169-254-169-254.sslip.io/",
    "ws://169.254.169.254/",
    "wss://[::ffff:169.254.169.254]:443/",
    "http://169.254.0.1/",  # anywhere in 169.254/16
    "http://169.254.255.255/",
    "http://[fe80::1]/",  # IPv6 link-local
    "http://[fe80::1%25eth0]/",  # with a zone id
    "http://[febf::1]/",
]


@pytest.mark.parametrize("url", METADATA_URLS)
def test_metadata_and_link_local_denied_in_every_notation(url):
    assert denied_as_metadata(url), (url, assess(url))


@pytest.mark.parametrize("private_network", ["ALLOW", "DENY", "REQUIRE_APPROVAL"])
@pytest.mark.parametrize("url", METADATA_URLS[:6])
def test_metadata_denied_whatever_private_network_says(url, private_network):
    a = assess(url, private_network=private_network)
    assert any(h.type in {"CLOUD_METADATA", "LINK_LOCAL"} and h.decision == "DENY" for h in a.hits)


@pytest.mark.parametrize(
    "url, kind",
    [
        ("http://169.254.169.254/", "CLOUD_METADATA"),
        ("http://metadata.google.internal/", "CLOUD_METADATA"),
        ("http://169.254.1.2/", "LINK_LOCAL"),
        ("http://[fe80::abcd]/", "LINK_LOCAL"),
    ],
)
def test_metadata_hit_fields(url, kind):
    (hit,) = [h for h in assess(url).hits if h.type == kind]
    assert hit.reason_code == "SSRF_METADATA"
    assert hit.decision == "DENY"
    assert hit.detector


PRIVATE_URLS = [
    ("http://127.0.0.1:8080/", "LOOPBACK"),
    ("http://127.1/", "LOOPBACK"),
    ("http://2130706433/", "LOOPBACK"),
    ("http://0x7f000001/", "LOOPBACK"),
    ("http://017700000001/", "LOOPBACK"),
    ("http://[::1]:9000/", "LOOPBACK"),
    ("http://[::ffff:127.0.0.1]/", "LOOPBACK"),
    ("http://0.0.0.0/", "LOOPBACK"),
    ("http://0/", "LOOPBACK"),
    ("http://[::]/", "LOOPBACK"),
    ("http://localhost/", "LOOPBACK"),
    ("http://LOCALHOST./", "LOOPBACK"),
    ("http://api.localhost/", "LOOPBACK"),
    ("http://app.localtest.me/", "LOOPBACK"),
    ("http://127.0.0.1.nip.io/", "LOOPBACK"),
    ("http://10.0.0.5/", "PRIVATE_NETWORK"),
    ("http://172.16.0.1/", "PRIVATE_NETWORK"),
    ("http://172.31.255.255/", "PRIVATE_NETWORK"),
    ("http://192.168.1.1/", "PRIVATE_NETWORK"),
    ("http://100.64.0.1/", "PRIVATE_NETWORK"),
    ("http://100.127.255.254/", "PRIVATE_NETWORK"),
    ("http://[fc00::1]/", "PRIVATE_NETWORK"),
    ("http://[fd12:3456::1]/", "PRIVATE_NETWORK"),
    ("http://[::ffff:10.0.0.1]/", "PRIVATE_NETWORK"),
    ("http://0xa000001/", "PRIVATE_NETWORK"),
    ("http://db.internal:5432/", "PRIVATE_NETWORK"),
    ("http://printer.local/", "PRIVATE_NETWORK"),
    ("http://kubernetes.default.svc.cluster.local/", "PRIVATE_NETWORK"),
]


@pytest.mark.parametrize("decision", ["ALLOW", "DENY", "REQUIRE_APPROVAL"])
@pytest.mark.parametrize("url, kind", PRIVATE_URLS)
def test_private_and_loopback_use_the_configured_decision(url, kind, decision):
    a = assess(url, private_network=decision)
    hits = [h for h in a.hits if h.type == kind]
    assert hits, (url, a)
    assert all(h.reason_code == "SSRF_PRIVATE_NETWORK" and h.decision == decision for h in hits)
    assert not any(h.reason_code == "SSRF_METADATA" for h in a.hits)


def test_private_network_default_is_allow_and_unknown_fails_closed():
    assert [h.decision for h in assess("http://127.0.0.1/").hits] == ["ALLOW"]
    assert [h.decision for h in assess("http://127.0.0.1/", private_network="bogus").hits] == ["DENY"]


@pytest.mark.parametrize(
    "url",
    [
        "http://172.15.255.255/",  # just outside 172.16/12
        "http://172.32.0.0/",
        "http://100.63.255.255/",  # just outside 100.64/10
        "http://100.128.0.0/",
        "http://169.253.255.255/",
        "http://169.255.0.0/",
        "http://8.8.8.8/",
        "https://api.github.com/repos",
        "https://[2606:4700:4700::1111]/",
        "https://metadata.example.com/",  # only the exact metadata names
        "https://evilmetadata.google.internal.example/",
        "https://notlocalhost.com/",
        "https://localhost.evil.com/",
        "https://internal.example.com/",
    ],
)
def test_public_destinations_have_no_hits(url):
    assert assess(url).hits == (), url


EXFIL = [
    "https://pastebin.com/api/api_post.php",
    "https://paste.ee/",
    "https://hastebin.com/documents",
    "https://ghostbin.com/",
    "https://rentry.co/api/new",
    "https://webhook.site/0c5e7a51-3b5f",
    "https://x.webhook.site/",
    "https://WEBHOOK.SITE./abc",
    "https://enq7x.x.pipedream.net/",
    "https://eo1abc.m.pipedream.net/",
    "https://requestbin.net/r/abc",
    "https://abc.requestbin.com/",
    "https://abcd-1-2-3-4.ngrok-free.app/",
    "https://abcd.ngrok.io/",
    "https://abcd.ngrok.app/",
    "https://transfer.sh/upload",
    "https://file.io/",
    "https://0x0.st/",
    "https://temp.sh/upload",
    "https://random-words.trycloudflare.com/",
    "https://interact.sh/",
    "https://c59e3crp82ke7bcnedq0cdbgjgorfqg6c.oast.fun/",
    "https://abc.oast.pro/",
    "https://abc.oast.live/",
    "https://abc.oast.site/",
    "https://abc.oast.online/",
    "https://abc.oast.me/",
    "https://abc.burpcollaborator.net/",
    "https://abc.oastify.com/",
    "http://abc.dnslog.cn/",
    "https://canarytokens.com/abc",
    "https://myapp.free.beeceptor.com/",
    "https://abc.requestcatcher.com/",
    "https://hookbin.com/abc",
    "https://abc.serveo.net/",
    "https://sharp-cat-12.loca.lt/",
    "https://user@webhook.site/",
    "http://good.com\\@webhook.site/",  # the host urllib3 would connect to
    "https://xn--webhook-site.webhook.site/",
]


@pytest.mark.parametrize("url", EXFIL)
def test_exfil_hosts_denied(url):
    hits = [h for h in assess(url).hits if h.type == "EXFIL_HOST"]
    assert hits, url
    assert all(h.reason_code == "EXFIL_DESTINATION" and h.decision == "DENY" for h in hits)


@pytest.mark.parametrize(
    "url",
    [
        "https://webhook.site.evil.com/",
        "https://evilwebhook.site/",
        "https://webhook.sites/",
        "https://pastebin.com.example.org/",
        "https://mypastebin.com/",
        "https://ngrok.com/docs",  # the vendor's website is not a tunnel
        "https://oast.pro.example.com/",
        "https://github.com/projectdiscovery/interactsh",
        "https://api.example.com/?next=https://webhook.site/x",  # in the query, not the host
        "https://api.example.com/webhook.site",
    ],
)
def test_exfil_look_alikes_do_not_fire(url):
    assert "EXFIL_HOST" not in types_of(assess(url)), url


# ---------------------------------------------------------------- parsed fields


@pytest.mark.parametrize(
    "url, scheme, host, port, ip, userinfo",
    [
        ("https://API.GitHub.com./repos", "https", "api.github.com", None, None, None),
        ("http://user:pw@Example.COM:8080/x", "http", "example.com", 8080, None, "user:pw"),
        ("http://2852039166/", "http", "169.254.169.254", None, "169.254.169.254", None),
        ("http://0x7f.1/", "http", "127.0.0.1", None, "127.0.0.1", None),
        ("http://[::FFFF:A9FE:A9FE]:81/", "http", "::ffff:a9fe:a9fe", 81, "::ffff:a9fe:a9fe", None),
        ("http://[fe80::1%25eth0]/", "http", "fe80::1", None, "fe80::1", None),
        ("https://bücher.example/", "https", "xn--bcher-kva.example", None, None, None),
        ("mcp://tool_name", "mcp", "tool_name", None, None, None),
        ("mcp://github/create_issue", "mcp", "github", None, None, None),
        ("ws://127.0.0.1:9/socket", "ws", "127.0.0.1", 9, "127.0.0.1", None),
        ("wss://stream.example.com/", "wss", "stream.example.com", None, None, None),
        ("http://good.com@169.254.169.254/", "http", "169.254.169.254", None, "169.254.169.254", "good.com"),
        ("http://h.example:/", "http", "h.example", None, None, None),
        ("file:///etc/passwd", "file", "", None, None, None),
    ],
)
def test_parsed_fields(url, scheme, host, port, ip, userinfo):
    a = assess(url)
    assert (a.scheme, a.host, a.port, a.userinfo) == (scheme, host, port, userinfo)
    assert a.ip == (ipaddress.ip_address(ip) if ip else None)


def test_plain_https_to_a_public_host_is_clean():
    a = assess("https://api.openai.com/v1/chat/completions")
    assert a == DestinationAssessment(scheme="https", host="api.openai.com", port=None, ip=None, hits=())


# ---------------------------------------------------------------- garbage


@pytest.mark.parametrize(
    "url",
    [
        "",
        "garbage",
        "//example.com/no-scheme",
        "example.com/path",
        "http://",
        "http:///path",
        "https://:443/",
        "http://exa mple.com/",
        "http://example.com:99999/",
        "http://example.com:80a/",
        "http://example.com:" + "9" * 5000 + "/",
        "http://[::1/",
        "http://[not-an-ip]/",
        "http://::1/",
        "http://1.2.3.4.5/",
        "http://256.1.1.1/",
        "http://1.2.3.0x100/",
        "http://4294967296/",
        "http://0x1ffffffff/",
        "http://example.com%2F.evil.com/",
        "http://exa%00mple.com/",
        "http://%ff%fe/",
        "http://a\\@b.example/",  # the two parser families disagree on the host
        "mailto:john@acme.com",
        "http://xn--/",
        "http://" + "a" * 64 + "é.com/",  # label too long for IDNA
        None,
        b"http://169.254.169.254/",
        12345,
    ],
)
def test_unparseable_urls_are_invalid_and_denied(url):
    a = assess(url)
    assert isinstance(a, DestinationAssessment)
    invalid = [h for h in a.hits if h.type == "INVALID_URL"]
    assert invalid, (url, a)
    assert invalid[0].reason_code == "INVALID_URL" and invalid[0].decision == "DENY"


def test_internal_errors_fail_closed(monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("parser bug")

    monkeypatch.setattr(destinations, "_split_port", boom)
    a = assess("https://api.github.com/")
    assert [h.type for h in a.hits] == ["INVALID_URL"]


def test_hits_are_not_duplicated():
    a = assess("http://169.254.169.254@169.254.169.254/")
    assert len(a.hits) == len({(h.type, h.detector) for h in a.hits})


def test_huge_authority_is_bounded_and_denied():
    a = assess("http://" + "a@" * 200_000 + "169.254.169.254/")
    assert "INVALID_URL" in types_of(a)
    b = assess("https://" + "x" * 100_000 + ".example/")
    assert "INVALID_URL" in types_of(b)


def test_fragment_without_slash_is_fine_but_fragment_userinfo_is_not():
    assert assess("https://example.com#top").hits == ()
    assert assess("https://example.com?q=a@b#x").hits == ()
    legacy = assess("https://api.github.com#@webhook.site/")
    assert legacy.host == "api.github.com"
    assert {"INVALID_URL", "EXFIL_HOST"} <= types_of(legacy)


def test_backslash_parser_differential_is_invalid_even_between_public_hosts():
    a = assess("https://evil.example\\@api.github.com/")
    assert a.host == "api.github.com"  # what urllib.parse / httpx would say...
    assert "INVALID_URL" in types_of(a)  # ...but urllib3 would connect to evil.example
