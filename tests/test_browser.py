"""The pages a user sees, in headless Chromium: `veille serve` started as a real process on a
database built by the real collect path. Screenshots go to test-artifacts/."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.test_serve import build_database

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} missing: run `bash scripts/test-deps.sh`"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    config, db = build_database(tmp_path_factory.mktemp("browser"))
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "veille", "--config", str(config), "--db", str(db), "serve", "--port", str(port)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/-/versions.json", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
            if proc.poll() is not None:
                pytest.fail(f"veille serve exited: {proc.stderr.read().decode()}")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def page(site):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
        page = context.new_page()
        page.set_default_timeout(10_000)
        yield page
        browser.close()


def column_texts(page, column: str) -> list[str]:
    return page.locator(f"table.rows-and-columns td.col-{column}").all_inner_texts()


def test_home_search_facet_and_today(site, page):
    page.goto(site + "/")
    assert page.locator("h1").inner_text() == "Veille médicale"
    page.screenshot(path=str(ARTIFACTS / "serve-1-accueil.png"), full_page=True)

    # Search without accents from the articles page.
    page.get_by_role("link", name="Articles", exact=True).first.click()
    page.fill("input[name=_search]", "epidemie")
    page.locator("input[name=_search]").press("Enter")
    page.wait_for_url("**_search=epidemie**")
    titles = column_texts(page, "titre")
    assert titles == ["Épidémie de bronchiolite : point de situation et recommandations"]
    link = page.get_by_role("link", name="Épidémie de bronchiolite : point de situation et recommandations")
    assert link.get_attribute("href").startswith("https://ansm.sante.fr/")
    page.screenshot(path=str(ARTIFACTS / "serve-2-recherche-epidemie.png"), full_page=True)

    # The oncologie facet keeps only oncology items.
    page.goto(site + "/veille/articles")
    all_rows = page.locator("table.rows-and-columns tbody tr").count()
    page.locator(".facet-info[data-column=specialites] a", has_text="oncologie").first.click()
    page.wait_for_url("**specialites__arraycontains=oncologie**")
    specialties = column_texts(page, "specialites")
    assert specialties and all("oncologie" in s for s in specialties)
    assert len(specialties) < all_rows
    assert any("Cancer du sein" in t for t in column_texts(page, "titre"))
    page.screenshot(path=str(ARTIFACTS / "serve-3-facette-oncologie.png"), full_page=True)

    # Aujourd'hui from the home page.
    page.goto(site + "/")
    page.get_by_role("link", name="Aujourd'hui").first.click()
    page.wait_for_url("**/veille/aujourdhui**")
    assert "Aujourd'hui" in page.locator("h1").inner_text()
    assert any(t.startswith("Cancer du poumon") for t in column_texts(page, "titre"))
    assert page.locator("td.col-atom_id").first.is_hidden()
    page.screenshot(path=str(ARTIFACTS / "serve-4-aujourdhui.png"), full_page=True)

    # No feed markup ran: a hostile title is shown as text.
    page.goto(site + "/veille/articles?_search=piegee")
    assert any("<script>" in t for t in column_texts(page, "titre"))
    assert page.evaluate("() => window.__xss === undefined")
