"""URL identity: one article, one URL, whatever link led to it.

Feeds and newsletters decorate links with tracking parameters and fragments;
the archive's `url` column and the seen-set use the cleaned form, so a re-run
reached through another campaign link is still recognised.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import tldextract

TRACKING_PREFIXES = ("utm_", "mtm_", "pk_", "hsa_", "_hs", "oly_", "vero_", "ga_")
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid",
    "igshid", "mc_cid", "mc_eid", "mkt_tok", "_ga", "_gl", "ocid", "cmpid", "s_kwcid",
    "wt_mc", "wt.mc_id", "sr_share", "ncid", "rss", "taid", "spm", "share", "at_medium",
    "at_campaign", "cid_source", "guccounter", "guce_referrer", "guce_referrer_sig",
})
DEFAULT_PORTS = {"http": 80, "https": 443}


def is_tracking_param(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def clean_url(url: str) -> str:
    """Strip tracking parameters and the fragment; lowercase scheme and host.

    An IPv6 literal keeps its brackets (`hostname` drops them). A URL that
    cannot be parsed (port out of range, broken IPv6 literal) raises
    ValueError: callers check it with crawler.net.policy.url_problem first."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    netloc = host if port in (None, DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not is_tracking_param(k)]
    return urlunsplit((scheme, netloc, parts.path or "/", urlencode(query, doseq=True), ""))


def registered_domain(host: str) -> str:
    """'bbc.co.uk' for 'www.bbc.co.uk' (public suffix list); an IP address stays itself."""
    return _domains(host).top_domain_under_public_suffix or host


# The public suffix list snapshot shipped with tldextract: no download, no cache files.
_domains = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def on_site(url: str, page_url: str, allowed_hosts=()) -> bool:
    """Whether a link found on `page_url` stays on its site (or goes to an allowed host).

    The site is the registered domain, as Scrapy's allowed_domains would have
    it; for IP hosts, the same address."""
    host = (urlsplit(url).hostname or "").lower()
    page_host = (urlsplit(page_url).hostname or "").lower()
    return host in allowed_hosts or registered_domain(host) == registered_domain(page_host)


def site_of(url: str) -> tuple[str, int | None]:
    """(host without 'www.', effective port): what counts as one outlet."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    return host, parts.port or DEFAULT_PORTS.get(parts.scheme.lower())


def same_site(a: str, b: str) -> bool:
    return site_of(a) == site_of(b)


def preferred_url(fetched_url: str, canonical: str | None) -> str:
    """The page's canonical/og:url when it stays on the same site, else the fetched URL."""
    if canonical and canonical.startswith(("http://", "https://")) and same_site(canonical, fetched_url):
        return clean_url(canonical)
    return clean_url(fetched_url)
