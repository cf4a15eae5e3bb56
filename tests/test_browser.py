"""The pages a user sees, in headless Chromium: `veille serve` started as a real process on a
database built by the real collect path. Screenshots go to test-artifacts/."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.helpers import rows
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
def built(tmp_path_factory):
    return build_database(tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="module")
def built_db(built):
    return built[1]


@contextmanager
def served(config: Path, db: Path) -> Iterator[str]:
    """A real `veille serve` process on a free port: its base URL once it answers."""
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
def site(built):
    with served(*built) as base:
        yield base


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


def test_la_une_filter_story_search_recherche(site, page, built_db):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    # La une: today's stories, the alert box, links to every story.
    page.goto(site + "/")
    assert page.title() == "La une — Veille médicale"
    assert page.locator("h1").inner_text() == "La une"
    assert page.locator("#alertes").is_visible()
    assert page.locator(".veille-story").count() >= 5
    page.screenshot(path=str(ARTIFACTS / "salle-1-la-une.png"), full_page=True)

    # Filter a specialty; La une remembers it (cookie) when reopened without a parameter.
    page.select_option("#specialite", "pharmacologie")
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_url("**specialite=pharmacologie**")
    groups = page.locator(".veille-group h2").all_inner_texts()
    assert groups and all(g.startswith("Pharmacologie, médicament") for g in groups)
    page.goto(site + "/")
    assert page.locator("#specialite").input_value() == "pharmacologie"
    assert page.locator(".veille-group h2").all_inner_texts() == groups
    page.screenshot(path=str(ARTIFACTS / "salle-2-la-une-pharmacologie.png"), full_page=True)

    # Open a story from La une.
    page.locator(".veille-story h3 a").first.click()
    page.wait_for_url("**/histoires/**")
    assert page.locator(".veille-story-item").count() >= 2
    assert page.locator(".veille-representative .veille-label").inner_text() == "Article représentatif"
    assert "Relié à l'histoire : titres proches" in page.locator(".veille-story-items").inner_text()
    page.screenshot(path=str(ARTIFACTS / "salle-3-histoire.png"), full_page=True)
    page.goto(site + "/?specialite=")

    # Search without accents from the box on every page.
    page.fill("#veille-q", "epidemie")
    page.locator("#veille-q").press("Enter")
    page.wait_for_url("**_search=epidemie**")
    assert "Épidémie de bronchiolite : point de situation et recommandations" in column_texts(page, "titre")
    # French labels, nothing cut off at 1,280 px.
    assert page.locator("table.rows-and-columns th.col-specialites").inner_text().startswith("Spécialités")
    page.screenshot(path=str(ARTIFACTS / "salle-4-articles-epidemie.png"), full_page=True)
    right = page.evaluate("() => document.querySelector('table.rows-and-columns').getBoundingClientRect().right")
    assert right <= 1280, right
    page.screenshot(path=str(ARTIFACTS / "salle-4-articles-epidemie.png"), full_page=True)
    # The column menu (the cog beside a column title) speaks French and shows no SQL type.
    page.locator("table.rows-and-columns th.col-date svg.dropdown-menu-icon").click()
    menu = page.locator(".dropdown-menu").first
    assert menu.is_visible()
    assert "Trier par ordre croissant" in menu.inner_text() and "Masquer cette colonne" in menu.inner_text()
    assert "Sort" not in menu.inner_text() and "TEXT" not in menu.inner_text()
    page.screenshot(path=str(ARTIFACTS / "salle-4b-articles-menu-colonne.png"))
    page.keyboard.press("Escape")

    # Recherche: words, a specialty from the drop-down, a French date typed in the picker.
    page.goto(site + "/veille/recherche")
    assert page.title() == "Recherche — Veille médicale"
    assert page.locator("text=Run SQL").count() == 0 and page.locator("#sql-query").count() == 0
    page.fill("#qp-texte", "epidemie")
    page.select_option("#qp-specialite", label="Pédiatrie")
    # The calendar fills the field in JJ/MM/AAAA...
    page.locator("input.veille-picker").fill("2026-11-01")
    assert page.locator("#qp-depuis").input_value() == "01/11/2026"
    # ... and a date typed in French is what the form sends.
    page.fill("#qp-depuis", "01/11/2026")
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_url("**texte=epidemie**")
    assert "depuis=01%2F11%2F2026" in page.url, page.url
    assert page.locator("#qp-depuis").input_value() == "01/11/2026"
    expected = [r["title"] for r in rows(built_db, (
        "select i.title from items i join item_specialties x on x.item_id = i.id and x.specialty = 'pediatrie' "
        "where i.rowid in (select rowid from items_fts where items_fts match 'epidemie') and i.published_at >= '2026-11-01' "
        "order by i.published_at desc"))]
    shown = column_texts(page, "titre")
    if expected:
        assert shown == expected
    else:
        assert "Aucun résultat" in page.locator(".zero-results").inner_text()
    page.screenshot(path=str(ARTIFACTS / "salle-5-recherche-pediatrie-date.png"), full_page=True)

    # A search that finds nothing says which filter emptied it.
    page.select_option("#qp-specialite", label="Odontologie")
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_url("**specialite=odontologie**")
    assert "mais aucun en Odontologie" in page.locator(".zero-results").inner_text()
    page.screenshot(path=str(ARTIFACTS / "salle-6-recherche-vide.png"), full_page=True)
    # A date that is not one says so.
    page.fill("#qp-depuis", "32/13/2026")
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_url("**32%2F13%2F2026**")
    assert "n'est pas comprise" in page.locator(".zero-results").inner_text()

    # No feed markup ran anywhere.
    for path in ("/", "/veille/articles?_search=piegee", "/veille/aujourdhui"):
        page.goto(site + path)
    assert page.evaluate("() => window.__xss === undefined") and dialogs == []


def test_home_search_facet_and_today(site, page):
    page.goto(site + "/veille/articles")
    page.screenshot(path=str(ARTIFACTS / "serve-1-articles.png"), full_page=True)

    # Search without accents from the articles page.
    page.fill("#_search", "epidemie")
    page.locator("#_search").press("Enter")
    page.wait_for_url("**_search=epidemie**")
    titles = column_texts(page, "titre")
    assert titles == ["Épidémie de bronchiolite : point de situation et recommandations"]
    link = page.get_by_role("link", name="Épidémie de bronchiolite : point de situation et recommandations")
    assert link.get_attribute("href").startswith("https://ansm.sante.fr/")
    page.screenshot(path=str(ARTIFACTS / "serve-2-recherche-epidemie.png"), full_page=True)

    # The oncologie facet keeps only oncology items.
    page.goto(site + "/veille/articles")
    all_rows = page.locator("table.rows-and-columns tbody tr").count()
    page.locator(".facet-info[data-column=specialites] a", has_text="Oncologie").first.click()
    page.wait_for_url("**specialites__arraycontains=oncologie**")
    specialties = column_texts(page, "specialites")
    assert specialties and all("Oncologie" in s for s in specialties)
    assert len(specialties) < all_rows
    assert any("Cancer du sein" in t for t in column_texts(page, "titre"))
    page.screenshot(path=str(ARTIFACTS / "serve-3-facette-oncologie.png"), full_page=True)

    # Aujourd'hui (the table) from the database page.
    page.goto(site + "/veille/aujourdhui")
    assert "Aujourd'hui" in page.locator("h1").inner_text()
    assert any(t.startswith("Cancer du poumon") for t in column_texts(page, "titre"))
    assert page.locator("td.col-atom_id").first.is_hidden()
    page.screenshot(path=str(ARTIFACTS / "serve-4-aujourdhui.png"), full_page=True)

    # No feed markup ran: a hostile title is shown as text.
    page.goto(site + "/veille/articles?_search=piegee")
    assert any("<script>" in t for t in column_texts(page, "titre"))
    assert page.evaluate("() => window.__xss === undefined")


def test_recherche_pages_with_suivant_and_precedent(page, built, tmp_path):
    """More than a page of results: "Page suivante" continues by date, "Page précédente" goes back."""
    import shutil

    from tests.helpers import copies_of_items

    db = tmp_path / "pages.db"
    shutil.copy(built[1], db)
    copies_of_items(db, 3)
    with served(built[0], db) as base:
        page.goto(base + "/veille/recherche")
        page.get_by_role("button", name="Afficher").click()
        page.wait_for_url("**texte=**")
        first = iso_dates(page)
        assert len(first) == 25 and page.locator(".veille-page").inner_text() == "Page 1"
        assert page.get_by_role("link", name="← Page précédente").count() == 0
        page.get_by_role("link", name="Page suivante →").click()
        page.wait_for_url("**page=2**")
        second = iso_dates(page)
        assert len(second) == 25 and max(second) <= min(first) and page.locator(".veille-page").inner_text() == "Page 2"
        titles = page.locator("table.rows-and-columns td.col-titre").all_inner_texts()
        assert titles and page.locator("#qp-texte").input_value() == ""
        page.screenshot(path=str(ARTIFACTS / "salle-7-recherche-page-2.png"), full_page=True)
        page.get_by_role("link", name="← Page précédente").click()
        page.wait_for_url(lambda url: "page=" not in url)
        assert iso_dates(page) == first


def iso_dates(page) -> list[str]:
    return [t.get_attribute("datetime") for t in page.locator("table.rows-and-columns td.col-date time").all()]
