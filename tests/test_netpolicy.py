"""Which found URLs newsmon may request (crawler/net/policy.py); the e2e side is in
tests/test_e2e_network_policy.py."""

import pytest

from crawler.net.policy import (DEFAULT_PRIVATE_NETWORKS, ip_literal, is_private, parse_networks,
                               url_problem)

DEFAULTS = parse_networks(DEFAULT_PRIVATE_NETWORKS)


@pytest.mark.parametrize("url, problem", [
    ("https://example.com/a", None),
    ("http://[2001:db8::1]:8080/a", None),
    ("HTTP://Example.com/a b", None),             # a space in the path is encoded, not fatal
    ("file:///etc/passwd", "bad_scheme"),
    ("file://localhost/etc/passwd", "bad_scheme"),
    ("ftp://example.com/a", "bad_scheme"),
    ("javascript:alert(1)", "bad_scheme"),
    ("/relative/path", "bad_url"),
    ("http://[::1/a", "bad_url"),                 # IPv6 literal without its closing bracket
    ("http://[not-an-address]/a", "bad_url"),
    ("http://example.com:99999/a", "bad_url"),
    ("http://example.com:port/a", "bad_url"),
    ("http://exa mple.com/a", "bad_url"),
    ("http:///a", "bad_url"),
    ("http://" + "a" * 70 + ".com/", "bad_url"),  # a DNS label is at most 63 characters
])
def test_url_problem(url, problem):
    assert url_problem(url) == problem


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
    "0.0.0.0", "::1", "fe80::1", "fd00::1", "::ffff:169.254.169.254", "::ffff:10.0.0.1",
    "2002:a9fe:a9fe::1",                        # 6to4 wrapping of 169.254.169.254
    "224.0.0.1", "255.255.255.255",
])
def test_default_networks_cover_special_purpose_addresses(address):
    assert is_private(address, DEFAULTS)


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700::1111"])
def test_public_addresses_are_not_private(address):
    assert not is_private(address, DEFAULTS)


def test_custom_networks_replace_the_defaults():
    networks = parse_networks(["127.0.0.66/32", "169.254.0.0/16"])
    assert is_private("127.0.0.66", networks)
    assert is_private("::ffff:127.0.0.66", networks)   # the mapped form is the same host
    assert not is_private("127.0.0.1", networks)


def test_only_standard_literals_skip_the_resolver():
    assert str(ip_literal("[::1]")) == "::1"
    assert str(ip_literal("10.0.0.1")) == "10.0.0.1"
    # Other spellings are read by the resolver as the connection reads them.
    assert ip_literal("2852039166") is None and ip_literal("127.1") is None


def test_bad_network_is_an_error():
    with pytest.raises(ValueError):
        parse_networks(["10.0.0.1/8"])
