"""DedupPipeline: one row per canonical URL."""

import pytest

from crawler.archive import open_archive
from crawler.archive.articles import save_articles
from crawler.crawlarchive import CrawlArchive
from crawler.items import Rejected
from crawler.text.neardup import fingerprints
from pipelines.dedup import DedupPipeline

BODY = " ".join(f"Paragraph {i} reports on the chip export rules and their effect." for i in range(20))


@pytest.fixture
def pipeline(tmp_path):
    open_archive(tmp_path / "a.db").close()
    archive = CrawlArchive(str(tmp_path / "a.db"))
    yield DedupPipeline(archive)
    archive.close()


def test_new_article_passes_unchanged(pipeline):
    item = {"url": "http://h/a", "body": BODY}
    assert pipeline.process_item(dict(item)) == item


def test_same_url_twice_in_one_run_is_dropped(pipeline):
    pipeline.process_item({"url": "http://h/a", "body": BODY})
    with pytest.raises(Rejected) as caught:
        pipeline.process_item({"url": "http://h/a", "body": BODY})
    assert caught.value.reason == "duplicate_url"


def test_url_stored_by_an_earlier_run_is_dropped(pipeline, tmp_path):
    db = open_archive(tmp_path / "a.db")
    save_articles(db, [{"url": "http://h/old", "source": "s", "body": BODY,
                        "content_hash": fingerprints(BODY)[0], "fetched_urls": ["http://h/old"]}])
    with pytest.raises(Rejected):
        pipeline.process_item({"url": "http://h/old", "body": BODY})


def test_a_page_that_moved_to_a_stored_url_is_dropped(pipeline, tmp_path):
    db = open_archive(tmp_path / "a.db")
    save_articles(db, [{"url": "http://h/story", "source": "s", "body": BODY,
                        "content_hash": fingerprints(BODY)[0], "fetched_urls": ["http://h/story"]}])
    with pytest.raises(Rejected) as caught:   # fetched as /amp/story, canonical /story
        pipeline.process_item({"url": "http://h/story", "body": BODY,
                               "fetched_urls": ["http://h/amp/story", "http://h/story"]})
    assert caught.value.reason == "duplicate_url"
