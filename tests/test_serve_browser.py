"""`newsmon serve` end to end, in a real browser: Chromium from Debian through Playwright.

One scenario for the module: the real `newsmon crawl` of the fixture web with
an alert rule delivering to a local webhook, then the real `newsmon serve` as
a child process on a free port, then Chromium (`/usr/bin/chromium`, Debian's
package; Playwright never downloads a browser here) drives the pages.
Screenshots of the home page and the dashboard are saved as artifacts in the
test's temporary folder, or in $NEWSMON_TEST_ARTIFACTS when set (CI keeps them).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import feedparser
import pytest

from conftest import newsmon_env, serve_alert_sinks, unused_port
from fixtureweb import SEED, SEED_PATH, SYNDICATED_PATH, Entry, article_page, serve_fixture_web, \
    to_toml, write_config_file

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SEED_TITLE = SEED["title"]
CHARTS = ("company-stories", "source-stories", "alerts-per-day", "source-health")
LATE_PATH = "/ai-labs/late-breaking-distillation-ruling"
LATE_TITLE = "Court rules on distillation of rival models in landmark AI case"


def _playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright is not installed: pip install -e '.[test]'")
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed: apt-get install -y chromium")
    return sync_playwright


def _get(url: str, timeout: float = 10.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _wait_until_serving(base: str, process: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"newsmon serve exited {process.returncode}: "
                                 f"{process.stderr.read()[-2000:]}")
        try:
            if _get(base + "/", timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"newsmon serve did not answer at {base} in {timeout} s")


def _count(db_path, sql: str, params=()) -> int:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        return conn.execute(sql, params).fetchone()[0]


@pytest.fixture(scope="module")
def site(tmp_path_factory, run_newsmon):
    """A crawled archive with a fired alert rule, served by `newsmon serve` on a free port."""
    sync_playwright = _playwright()
    folder = tmp_path_factory.mktemp("serve")
    artifacts = Path(os.environ.get("NEWSMON_TEST_ARTIFACTS") or folder)
    artifacts.mkdir(parents=True, exist_ok=True)
    with serve_fixture_web() as web, serve_alert_sinks() as sinks:
        hook = sinks.webhook()
        config = write_config_file(web, folder)
        with open(config, "a", encoding="utf-8") as handle:
            handle.write(to_toml({"alerts": [
                {"name": "distillation", "match": 'distill* OR "model distillation"',
                 "notify": [hook.url("/distillation"), hook.url("/copy")]}]}))
        crawl = run_newsmon("crawl", "--config", config, timeout=120)
        assert crawl.returncode == 0, crawl.stderr[-2000:]
        port = unused_port()
        base = f"http://127.0.0.1:{port}"
        process = subprocess.Popen(
            [sys.executable, "-m", "crawler.cli", "serve", "--config", str(config),
             "--port", str(port), "--log-level", "warning"],
            cwd=folder, env=newsmon_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True)
        try:
            _wait_until_serving(base, process)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    yield {"base": base, "port": port, "db": folder / "newsmon.db", "web": web,
                           "config": config, "browser": browser, "artifacts": artifacts,
                           "run_newsmon": run_newsmon}
                finally:
                    browser.close()
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def page(site):
    context = site["browser"].new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def _seed_id(site) -> int:
    return _count(site["db"], "SELECT id FROM articles WHERE url LIKE ?", [f"%{SEED_PATH}"])


def test_dashboard_renders_every_chart_with_data_and_nothing_from_outside(site, page):
    requested, chart_rows = [], {}

    def on_response(response):
        if "/newsmon.json?sql=" in response.url:
            chart_rows[response.url] = len(response.json()["rows"])

    page.on("request", lambda request: requested.append(request.url))
    page.on("response", on_response)
    page.goto(site["base"] + "/-/dashboards/newsmon")
    for slug in CHARTS:
        page.wait_for_selector(f"#chart-{slug} canvas, #chart-{slug} svg.marks")
    page.wait_for_load_state("networkidle")
    assert len(chart_rows) == len(CHARTS) and all(rows > 0 for rows in chart_rows.values()), chart_rows
    for slug in CHARTS:  # the chart is drawn: its marks (lines, bars, arcs) are in the SVG
        marks = page.locator(f"#chart-{slug} svg g.role-mark path").count()
        assert marks > 0, slug
    outside = [url for url in requested if not url.startswith(site["base"])]
    assert outside == [], "the dashboard must work offline"
    shot = site["artifacts"] / "dashboard.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20000
    print(f"dashboard screenshot: {shot}")


def test_chart_sql_can_be_opened_and_edited(site, page):
    page.goto(site["base"] + "/-/dashboards/newsmon/source-health")
    page.click("text=View and edit SQL")
    page.wait_for_selector("table.rows-and-columns")
    assert "newsmon_health" in page.url or "newsmon_health" in page.content()
    assert page.locator("table.rows-and-columns td.col-health").count() >= 1


def test_home_page_shows_the_seed_story_with_its_copy_and_the_feed(site, page):
    page.goto(site["base"] + "/")
    stories = page.locator("#newest-stories li", has_text=SEED_TITLE)
    assert stories.count() == 1
    assert "also on aiwire" in stories.inner_text()
    feeds = page.locator('link[rel="alternate"][type="application/atom+xml"]')
    assert feeds.count() == 1
    assert feeds.get_attribute("href").endswith("/-/feeds/distillation.atom")
    assert page.locator("#alert-feeds a", has_text="distillation").count() == 1
    page.screenshot(path=str(site["artifacts"] / "home.png"), full_page=True)


def test_latest_stories_show_the_seed_once_with_its_copy_also_on(site, page):
    page.goto(site["base"] + "/newsmon/latest_stories")
    rows = page.locator("table.rows-and-columns tbody tr", has_text=SEED_TITLE)
    assert rows.count() == 1
    assert rows.locator("td.col-also_on").inner_text().strip() == "aiwire"
    assert rows.locator("td.col-copies").inner_text().strip() == "2"
    rows.locator("td.col-story_id a").click()          # the story and all its copies
    page.wait_for_selector("table.rows-and-columns")
    urls = page.locator("td.col-url").all_inner_texts()
    assert any(SEED_PATH in url for url in urls) and any(SYNDICATED_PATH in url for url in urls)
    assert page.locator("td.col-role").all_inner_texts() == ["original", "copy"]


def test_company_facet_filters_mentions(site, page):
    page.goto(site["base"] + "/newsmon/mentions")
    page.locator(".facet-info[data-column=company] a", has_text="Nvidia").first.click()
    page.wait_for_url("**company=Nvidia**")
    companies = page.locator("table.rows-and-columns td.col-company").all_inner_texts()
    expected = _count(site["db"], "SELECT COUNT(*) FROM mentions WHERE company = 'Nvidia'")
    assert companies and set(companies) == {"Nvidia"} and len(companies) == expected
    total = _count(site["db"], "SELECT COUNT(*) FROM mentions")
    assert total > expected


def test_search_from_the_home_page_finds_the_seed_story(site, page):
    page.goto(site["base"] + "/")
    page.fill("input[name=q]", "distill*")
    page.press("input[name=q]", "Enter")
    page.wait_for_selector("table.rows-and-columns")
    rows = page.locator("table.rows-and-columns tbody tr", has_text=SEED_TITLE)
    assert rows.count() == 1                              # one row per story, not per copy
    assert "**distill" in rows.locator("td.col-snippet").inner_text()
    page.goto(site["base"] + "/newsmon/search?q=distill*&company=nvidia")
    assert page.locator("table.rows-and-columns tbody tr", has_text=SEED_TITLE).count() == 0


def test_the_rule_feed_lists_the_seed_story_once(site, page):
    page.goto(site["base"] + "/")
    href = page.locator('link[rel="alternate"][type="application/atom+xml"]').get_attribute("href")
    response = page.request.get(site["base"] + href)
    assert response.status == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.body())
    assert not feed.bozo, feed.get("bozo_exception")
    titles = [entry.title for entry in feed.entries]
    assert titles.count(SEED_TITLE) == 1, titles          # two channels, two copies: one entry
    seed = next(entry for entry in feed.entries if entry.title == SEED_TITLE)
    assert seed.link.endswith(SEED_PATH) and "aiwire" in seed.author
    assert len({entry.id for entry in feed.entries}) == len(feed.entries)
    assert page.request.get(site["base"] + "/-/feeds/no-such-rule.atom").status == 404


def test_writes_through_the_web_are_refused(site, page):
    before = _count(site["db"], "SELECT COUNT(*) FROM articles")
    # Datasette accepts statements starting with WITH; the read-only connection refuses the write.
    page.goto(site["base"] + "/newsmon?sql=" + urllib.request.quote(
        "with doomed as (select 1) delete from articles"))
    assert "readonly database" in page.content()
    page.goto(site["base"] + "/newsmon?sql=" + urllib.request.quote("delete from articles"))
    assert "Statement must be a SELECT" in page.content()
    for path in ("/newsmon/latest_stories", "/newsmon/-/query", "/newsmon/articles/-/insert"):
        response = page.request.post(site["base"] + path, form={"sql": "delete from articles"})
        assert response.status == 405, (path, response.status)
    assert _count(site["db"], "SELECT COUNT(*) FROM articles") == before > 0


def test_binds_to_loopback_only_by_default(site):
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.2:{site['port']}/", timeout=3)


def test_a_crawl_writes_while_serving_and_the_page_shows_it(site, page):
    """Last in the module: it changes the archive the other tests read."""
    page_html = article_page(LATE_TITLE, [
        "A court ruled that training a model by distillation from a rival's system can breach "
        "the rival's terms of service, in a case watched closely by every AI lab.",
        "The judge said outputs obtained through an API remain subject to the contract under "
        "which they were obtained, whatever copyright law says about them.",
        "Lawyers for the defendant said they would appeal, and that the ruling would chill "
        "research on model compression across the industry."], "2026-05-03T08:00:00Z")
    site["web"].frontier.publish(LATE_PATH, page_html, Entry(LATE_PATH, LATE_TITLE,
                                                             "2026-05-03T08:00:00Z"))
    crawl = site["run_newsmon"]("crawl", "--config", site["config"], timeout=120)
    assert crawl.returncode == 0, crawl.stderr[-2000:]
    page.goto(site["base"] + "/newsmon/latest_stories")
    assert page.locator("table.rows-and-columns tbody tr", has_text=LATE_TITLE).count() == 1
