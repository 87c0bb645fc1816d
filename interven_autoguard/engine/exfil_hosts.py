"""Destination reference tables: cloud-metadata endpoints, private-network names, exfiltration hosts.

Domains in the suffix tables match themselves and every sub-domain on a label boundary
(``x.webhook.site`` yes, ``webhook.site.evil.com`` and ``evilwebhook.site`` no).
"""

from __future__ import annotations

import ipaddress

# Instance-metadata / host-agent endpoints. Reaching them from an agent leaks cloud credentials.
METADATA_IPS: frozenset[ipaddress.IPv4Address | ipaddress.IPv6Address] = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure IMDS, OCI, DigitalOcean, OpenStack, Hetzner ...
        "169.254.170.2",  # AWS ECS task metadata / credentials
        "169.254.170.23",  # AWS EKS Pod Identity agent
        "169.254.169.123",  # AWS time sync
        "169.254.169.253",  # AWS VPC DNS resolver
        "169.254.0.23",  # Tencent Cloud metadata
        "100.100.100.200",  # Alibaba Cloud metadata
        "168.63.129.16",  # Azure WireServer (extension config, certificates)
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "fd00:ec2::23",  # AWS EKS Pod Identity agent over IPv6
        "fd00:ec2::123",  # AWS time sync over IPv6
        "fd20:ce::254",  # GCP metadata over IPv6
    )
)

# Names that resolve to a metadata endpoint inside the respective cloud.
METADATA_HOSTNAMES: frozenset[str] = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.tencentyun.com",
        "metadata.packet.net",
        "metadata.platformequinix.com",
        "metadata.azure.internal",
    }
)

# Names that always mean this machine.
LOOPBACK_HOSTNAMES: frozenset[str] = frozenset(
    {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback", "loopback"}
)
LOOPBACK_SUFFIXES: tuple[str, ...] = (
    "localhost",  # RFC 6761: *.localhost is loopback
    "localtest.me",  # public wildcard DNS → 127.0.0.1
    "lvh.me",
    "vcap.me",
    "lacolhost.com",
    "localhost.direct",
)

# Private-by-convention DNS suffixes (cluster DNS, corporate split horizon, mDNS, home routers).
PRIVATE_SUFFIXES: tuple[str, ...] = (
    "internal",
    "local",
    "localdomain",
    "home.arpa",
    "lan",
    "intranet",
    "corp",
)

# Wildcard-DNS services whose names encode the IP they resolve to (``169.254.169.254.nip.io``,
# ``a9fea9fe.nip.io``, ``app-10-0-0-1.sslip.io``) or DNS-rebinding helpers (``rbndr.us``, ``1u.ms``).
IP_ECHO_SUFFIXES: tuple[str, ...] = (
    "nip.io",
    "sslip.io",
    "xip.io",
    "traefik.me",
    "nip.direct",
    "rbndr.us",
    "1u.ms",
    "backname.io",
)

# Request catchers, paste sites, anonymous file drops, tunnels and out-of-band interaction servers:
# places an injected agent sends data to. Sub-domains included.
EXFIL_DOMAINS: tuple[str, ...] = (
    # paste sites
    "pastebin.com", "paste.ee", "hastebin.com", "hastebin.skyra.pw", "ghostbin.com", "ghostbin.co",
    "rentry.co", "rentry.org", "dpaste.com", "dpaste.org", "paste.rs", "termbin.com", "ix.io",
    "sprunge.us", "controlc.com", "justpaste.it", "privatebin.net", "pastes.io", "paste.c-net.org",
    "pastie.io", "katb.in",
    # request catchers / webhook testers
    "webhook.site", "requestbin.net", "requestbin.com", "requestbin.io", "pipedream.net",
    "beeceptor.com", "requestcatcher.com", "hookbin.com", "postb.in", "ptsv2.com", "ptsv3.com",
    "mockbin.org", "requestinspector.com", "requestrepo.com", "webhook.cool", "typedwebhook.tools",
    "smee.io",
    # anonymous file drops
    "transfer.sh", "file.io", "0x0.st", "temp.sh", "bashupload.com", "oshi.at", "tmpfiles.org",
    "filebin.net", "catbox.moe", "litterbox.catbox.moe", "gofile.io", "anonfiles.com", "keep.sh",
    "uguu.se", "pixeldrain.com", "send.vis.ee", "ufile.io",
    # tunnels to someone's laptop
    "ngrok.io", "ngrok-free.app", "ngrok.app", "ngrok-free.dev", "ngrok.dev", "ngrok.pizza",
    "trycloudflare.com", "serveo.net", "serveousercontent.com", "loca.lt", "localtunnel.me",
    "localhost.run", "lhr.life", "lhr.rocks", "pagekite.me", "bore.pub", "pinggy.io", "pinggy.link",
    "pinggy.online", "tunnelto.dev", "telebit.cloud", "localxpose.io", "loclx.io", "devtunnels.ms",
    "zrok.io",
    # out-of-band interaction (OAST) and DNS loggers
    "interact.sh", "interactsh.com", "oast.pro", "oast.live", "oast.site", "oast.online", "oast.fun",
    "oast.me", "burpcollaborator.net", "oastify.com", "dnslog.cn", "dnslog.link", "ceye.io",
    "canarytokens.com", "canarytokens.org", "xss.ht", "bxss.me", "dig.pm", "eyes.sh",
)  # fmt: skip
