"""What newsmon may fetch: http(s) URLs, and nothing private unless private pointed to it.

Every URL newsmon finds in content (a feed item, a sitemap entry, a link on a
section page, a redirect's Location) was written by someone else. Fetched
blindly, a feed could make the crawler read the server's own network (the
cloud metadata address, an admin page on localhost) and store the answer in a
searchable archive. So a found URL must be http(s), must parse (one broken
link is counted, never fatal), and must not connect to a private address,
unless the listing that named it is itself private (an intranet feed may
link to its intranet). URLs written in the config are trusted as written.

What is private is a list of networks (`[crawl] private_networks`); the
default is every IANA special-purpose range, so a public web server cannot
point newsmon anywhere but the public internet.

No Scrapy here: the config loader uses this module, and the scheduler daemon
loads configs without ever importing Scrapy.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

ALLOWED_SCHEMES = ("http", "https")

# IANA special-purpose registries (IPv4 and IPv6), minus nothing: none of these
# is a public news server.
DEFAULT_PRIVATE_NETWORKS = (
    "0.0.0.0/8",          # "this network" (0.0.0.0 reaches the local host on Linux)
    "10.0.0.0/8",         # RFC 1918
    "100.64.0.0/10",      # carrier-grade NAT
    "127.0.0.0/8",        # loopback
    "169.254.0.0/16",     # link-local, cloud metadata (169.254.169.254)
    "172.16.0.0/12",      # RFC 1918
    "192.0.0.0/24",       # IETF protocol assignments
    "192.0.2.0/24",       # documentation
    "192.88.99.0/24",     # 6to4 relay anycast
    "192.168.0.0/16",     # RFC 1918
    "198.18.0.0/15",      # benchmarking
    "198.51.100.0/24",    # documentation
    "203.0.113.0/24",     # documentation
    "224.0.0.0/4",        # multicast
    "240.0.0.0/4",        # reserved, broadcast
    "::/128",             # unspecified
    "::1/128",            # loopback
    "::ffff:0:0/96",      # IPv4-mapped
    "64:ff9b::/96",       # NAT64
    "64:ff9b:1::/48",     # local-use NAT64
    "100::/64",           # discard-only
    "2001::/23",          # IETF protocol assignments (Teredo, ORCHIDv2, ...)
    "2001:db8::/32",      # documentation
    "2002::/16",          # 6to4
    "fc00::/7",           # unique-local
    "fe80::/10",          # link-local
    "ff00::/8",           # multicast
)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_network(text: str) -> Network:
    """A CIDR ('10.0.0.0/8') or a single address; ValueError says what is wrong."""
    return ipaddress.ip_network(text.strip(), strict=True)


def parse_networks(texts) -> tuple[Network, ...]:
    return tuple(parse_network(text) for text in texts)


def url_problem(url: str) -> str | None:
    """'bad_scheme', 'bad_url', or None when `url` can be requested at all."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError:
        return "bad_url"
    if not parts.scheme:
        return "bad_url"
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        return "bad_scheme"
    host = parts.hostname
    if not host or any(c.isspace() for c in host):
        return "bad_url"
    if "[" in parts.netloc:
        return None if ip_literal(host) is not None else "bad_url"
    try:
        host.encode("idna")
    except UnicodeError:
        return "bad_url"
    return None


def ip_literal(host: str | None) -> Address | None:
    """The address when `host` is written as a standard IP literal, else None.

    Other spellings ('2852039166', '0x7f.1', '127.1') are not literals here:
    they go through the resolver, which reads them the way the connection will.
    """
    try:
        return ipaddress.ip_address((host or "").strip("[]"))
    except ValueError:
        return None


def is_private(address: str | Address, networks: tuple[Network, ...]) -> bool:
    """Whether connecting to `address` reaches private space.

    An IPv6 address that embeds an IPv4 one (mapped, 6to4) is private when
    either form is: '::ffff:169.254.169.254' is the metadata address."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    forms = [ip]
    if ip.version == 6:
        forms += [embedded for embedded in (ip.ipv4_mapped, ip.sixtofour) if embedded]
    return any(form in network for form in forms for network in networks
               if form.version == network.version)
