"""fetch_state: the seen-set, listing validators and bounded retries of failed articles."""

import pytest

from crawler.archive.fetchstate import (
    MAX_ATTEMPTS, is_seen, listing_validators, record_failure, record_listing, record_outcome,
    urls_to_retry)


def test_a_304_keeps_the_validators_it_was_asked_with(db):
    record_listing(db, "http://h/feed", kind="feed", source="s", status=200, etag='"v1"',
                   last_modified="Fri, 01 May 2026 09:00:00 GMT")
    record_listing(db, "http://h/feed", kind="feed", source="s", status=304, etag=None, last_modified=None)
    assert listing_validators(db, "http://h/feed") == ('"v1"', "Fri, 01 May 2026 09:00:00 GMT")
    record_listing(db, "http://h/feed", kind="feed", source="s", status=200, etag='"v2"', last_modified=None)
    assert listing_validators(db, "http://h/feed") == ('"v2"', None)


@pytest.mark.parametrize("outcome, seen", [("stored", True), ("duplicate", True),
                                           ("not_article", True), ("listing", False)])
def test_seen_set(db, outcome, seen):
    record_outcome(db, ["http://h/a"], source="s", outcome=outcome)
    assert is_seen(db, "http://h/a") is seen


def test_a_failure_that_may_pass_is_retried_a_bounded_number_of_times(db):
    outcomes = [record_failure(db, "http://h/slow", source="s", reason="timeout")
                for _ in range(MAX_ATTEMPTS)]
    assert outcomes == ["error"] * (MAX_ATTEMPTS - 1) + ["gave_up"]
    assert urls_to_retry(db, "s") == []
    assert is_seen(db, "http://h/slow")


def test_retry_list_is_per_source_and_ends_when_the_page_works(db):
    record_failure(db, "http://h/500", source="s", reason="http_500")
    record_failure(db, "http://other/500", source="t", reason="http_500")
    assert urls_to_retry(db, "s") == ["http://h/500"]
    record_outcome(db, ["http://h/500"], source="s", outcome="stored", article_id=None)
    assert urls_to_retry(db, "s") == [] and is_seen(db, "http://h/500")


@pytest.mark.parametrize("reason", ["http_404", "http_410", "redirect_loop"])
def test_pages_gone_for_good_are_not_retried(db, reason):
    assert record_failure(db, "http://h/gone", source="s", reason=reason) == "gone"
    assert urls_to_retry(db, "s") == [] and is_seen(db, "http://h/gone")
