import pytest

from crawler.net.urls import clean_url, on_site, preferred_url, same_site


@pytest.mark.parametrize("raw, clean", [
    ("http://127.0.0.1:8000/a?utm_source=rss&utm_medium=feed", "http://127.0.0.1:8000/a"),
    ("https://Example.COM/story?id=7&fbclid=abc#comments", "https://example.com/story?id=7"),
    ("https://example.com:443/x?gclid=1&mc_cid=2&mc_eid=3&page=2", "https://example.com/x?page=2"),
    ("http://example.com:80", "http://example.com/"),
    ("https://example.com/a?UTM_Campaign=x&q=a+b", "https://example.com/a?q=a+b"),
])
def test_clean_url_strips_tracking_and_fragments(raw, clean):
    assert clean_url(raw) == clean


def test_clean_url_keeps_meaningful_parameters_in_order():
    assert clean_url("https://e.com/p?b=2&a=1&utm_x=3") == "https://e.com/p?b=2&a=1"


def test_same_site_ignores_www_but_not_ports():
    assert same_site("https://www.e.com/a", "https://e.com/b")
    assert not same_site("http://127.0.0.1:8000/a", "http://127.0.0.1:8001/a")
    assert not same_site("http://127.0.0.1:8000/a", "http://127.0.0.2:8000/a")


def test_preferred_url_uses_canonical_only_on_the_same_site():
    fetched = "http://127.0.0.1:8000/story?id=5&utm_source=x"
    assert preferred_url(fetched, "http://127.0.0.1:8000/stories/five") == "http://127.0.0.1:8000/stories/five"
    assert preferred_url(fetched, "https://frontiernews.example/x") == "http://127.0.0.1:8000/story?id=5"
    assert preferred_url(fetched, None) == "http://127.0.0.1:8000/story?id=5"
    assert preferred_url(fetched, "/relative") == "http://127.0.0.1:8000/story?id=5"


def test_clean_url_keeps_ipv6_literals_bracketed():
    assert clean_url("http://[2001:DB8::1]:8080/a?utm_source=x#f") == "http://[2001:db8::1]:8080/a"
    assert clean_url("https://[::1]/") == "https://[::1]/"


@pytest.mark.parametrize("link, page, allowed, expected", [
    ("https://news.example.co.uk/a", "https://www.example.co.uk/ai/", (), True),   # same registered domain
    ("https://partner.example.com/a", "https://www.example.co.uk/ai/", (), False),
    ("https://cdn.example.com/a", "https://www.example.co.uk/ai/", ("cdn.example.com",), True),
    ("http://127.0.0.2:80/a", "http://127.0.0.1:80/", (), False),                  # IP hosts: the same address
    ("http://127.0.0.1:81/a", "http://127.0.0.1:80/", (), True),
])
def test_on_site(link, page, allowed, expected):
    assert on_site(link, page, allowed) is expected
