"""An alert rule as an Atom feed: the "deliver to RSS" of Google Alerts.

feedgen writes the XML (escaping, dates, namespaces), so the feed is valid
Atom for any title or summary. One entry per story the rule fired on (the
rows of crawler/web/queries.RULE_FEED), newest first; the entry id is the
story's, so a feed reader never shows a syndicated copy as a new item.
"""

from __future__ import annotations

from feedgen.feed import FeedGenerator

from crawler.text.utc import iso_now, parse_utc


def _describe(rule: dict) -> str:
    parts = []
    if rule.get("match"):
        parts.append(f"matching {rule['match']}")
    if rule.get("companies"):
        parts.append(f"naming {', '.join(rule['companies'])}")
    if rule.get("sources"):
        parts.append(f"from {', '.join(rule['sources'])}")
    return "Stories " + (" ".join(parts) if parts else "the rule fired on") + ", newest first."


def rule_feed_xml(rule: dict, rows: list[dict], *, self_url: str, home_url: str) -> bytes:
    """The Atom document for `rule` ({"name", "match", ...}) and its RULE_FEED rows."""
    feed = FeedGenerator()
    feed.id(self_url)
    feed.title(f"newsmon alert: {rule['name']}")
    feed.subtitle(_describe(rule))
    feed.link(href=self_url, rel="self", type="application/atom+xml")
    feed.link(href=home_url, rel="alternate", type="text/html")
    feed.generator("newsmon")
    feed.updated(parse_utc(rows[0]["fired"] if rows else iso_now()))
    for row in rows:  # newest first; feedgen prepends by default, so append explicitly
        entry = feed.add_entry(order="append")
        entry.id(f"urn:newsmon:story:{row['story_id']}")
        entry.title(row["title"] or row["url"])
        entry.link(href=row["url"], rel="alternate")
        entry.updated(parse_utc(row["fired"]))
        if row["published"]:
            entry.published(parse_utc(row["published"]))
        outlets = ", ".join(filter(None, [row["source"], row["also_on"]]))
        entry.author({"name": outlets or "newsmon"})
        for company in (row["companies"] or "").split(", "):
            if company:
                entry.category(term=company)
        entry.summary(row["summary"] or "")
    return feed.atom_str(pretty=True)
