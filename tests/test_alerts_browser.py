"""The alert pages in headless Chromium, served by a real `veille serve` process on a database
built by a real collect. Screenshots go to test-artifacts/."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import one, run_cli
from tests.test_alerts import ANSM, rss, write_feeds
from tests.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, served

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not __import__("os").path.exists(CHROMIUM), reason=f"{CHROMIUM} missing: run `bash scripts/test-deps.sh`"),
]


def test_follow_a_watch_from_the_home_page(tmp_path, db, server):
    from playwright.sync_api import sync_playwright

    hostile = ("Lévothyrox <img src=x onerror=window.__xss=1> rappel", "https://ansm.example/x", "<script>window.__xss=2</script>")
    server.add("/ansm.xml", rss("ANSM", ANSM + [hostile]))
    config = write_feeds(tmp_path, server, 25, "watches:\n  - name: levothyrox\n    query: levothyrox\n")
    assert run_cli(config, db, "collect").exit_code == 0
    story = one(db, "select story_id from items where url = 'https://ansm.example/levo-1'")["story_id"]
    with served(config, db) as base:
        ARTIFACTS.mkdir(exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR").new_page()
            page.set_default_timeout(10_000)
            page.goto(base + "/")
            page.get_by_role("link", name="Alertes", exact=True).click()
            page.wait_for_url("**/alertes")
            assert page.locator("h1").inner_text() == "Alertes"
            page.get_by_role("link", name="levothyrox").click()
            page.wait_for_url("**/alertes/levothyrox")
            assert page.locator("h1").inner_text() == "Alerte « levothyrox »"
            items = page.locator("ul.veille-hits li").all_inner_texts()
            assert len(items) == 2 and any(t.startswith(ANSM[0][0]) for t in items)
            assert any("<img src=x onerror=window.__xss=1>" in t for t in items)  # shown as text
            assert page.evaluate("() => window.__xss === undefined")
            assert page.get_by_role("link", name=ANSM[0][0]).get_attribute("href") == "https://ansm.example/levo-1"
            assert page.locator(f'a[href="/histoires/{story}"]').count() == 1
            page.screenshot(path=str(ARTIFACTS / "alertes-1-levothyrox.png"), full_page=True)
            atom = page.get_by_role("link", name="S'abonner (Atom)").get_attribute("href")
            assert atom == "/alertes/levothyrox.atom"
            response = httpx.get(base + atom, timeout=5)
            assert response.status_code == 200 and response.text.count("<entry>") == 2
            browser.close()
