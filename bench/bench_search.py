"""Search latency through Datasette on a large synthetic database (not run by the test suite).

    .venv/bin/python bench/bench_search.py                 # 1,000,000 items
    .venv/bin/python bench/bench_search.py --rows 100000   # quick run
    .venv/bin/python bench/bench_search.py --http          # also over HTTP against a real server

The database (real schema: migrations, FTS5, the `articles` view) is built once with French
synthetic titles and summaries and cached in bench/.cache/search-<rows>.db. Terms are chosen by
frequency, from one in two items to none. For each term, median and p95 in milliseconds of:

- sqlite3 direct: the Recherche canned query's SQL, and the articles search's main query (arrival
  order, and by date as after a click on the date column), the floor for each
- floor: a `select 1` canned query through Datasette's JSON API (in process)
- recherche.json / HTML: the Recherche canned query
- articles.json?_search=: the table page's search as Veille serves it (the most recent matches,
  arrival order, count and 5 facets), without facets, and sorted by date; the HTML page as the
  search form submits it (Datasette redirects once) and as a link
- Datasette's own _search: the same view searched by Datasette itself (every match, counted,
  faceted, suggested facets, sorted by date), the "out of the box" figure
- no search: the articles page and JSON without a search (count and facets over every item)
- reading room (``--reading-room`` runs only this): La une (``/``), a story page, Articles
  unfiltered, Articles with a search and its facets, and Recherche, side by side with the floor
  in one run. The last 24 hours are topped up first (about a day's worth of items, grouped in
  stories of three) so that La une has a day of news whatever the cache's age. The Articles pages
  and Recherche pages are measured again at a "new address" (the whole-response cache off:
  ``response_cache_seconds: 0``), the cost of a search or page nobody viewed since the last
  commit, and the Articles pages "after a commit": each viewed right after a one-row write (in
  rounds of their own), a page's cost the first time it is viewed after the collector wrote. The views
  are interleaved (one of each per round, 30 rounds) and each ratio is the median over rounds of
  the page's time over that round's floor: other processes' load hits pages and floors alike.

Each line: median and p95 in ms, and the median as a multiple of the floor. Other processes on
the machine inflate everything: the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from veille.models import ITEM_TYPES, TIERS  # noqa: E402
from veille.plugins.datasette_veille import fts_query, table_search_query  # noqa: E402
from veille.store import Store  # noqa: E402
from veille.webapp import ensure_views, load_metadata, make_datasette  # noqa: E402

CACHE = ROOT / "bench" / ".cache"
SEED = 20261128

COMMON = (
    "la le les de des du un une et en pour sur avec dans par chez au aux nouvelle nouveau "
    "étude traitement prise charge recommandations soins santé médecin hôpital risque "
    "données résultats essai clinique prévention dépistage diagnostic suivi parcours "
    "médicament vaccin maladie chronique enfants adultes femmes France région rapport "
    "publication avis autorité agence mesures officines pharmaciens urgences service "
    "infirmiers population analyse cas surveillance efficacité sécurité qualité accès"
).split()
# (term, share of items whose summary carries it): the search terms measured below.
PLANTED = [
    ("patients", 0.5),
    ("épidémie", 0.1),
    ("vaccination", 0.02),
    ("bronchiolite", 0.002),
    ("drépanocytose", 0.0002),
]
TERMS = ["patients", "epidemie", "vaccination", "bronchiolite", "drepanocytose", "zzyzx", "cardio*", '"NOT (']


def check_item_keys(path: Path) -> None:
    """A cached database built before its loader filled ``item_keys`` answers every search with
    nothing (searches read their matches' keys there): refill it, and say so."""
    conn = sqlite3.connect(path)
    try:
        keys, items = (conn.execute(f"select count(*) from {t}").fetchone()[0] for t in ("item_keys", "items"))
        if keys != items:
            print(f"WARNING: item_keys holds {keys:,} rows for {items:,} items: refilled")
            from sqlite_utils import Database

            from veille.migrations import fill_item_keys

            fill_item_keys(Database(conn))
            conn.commit()
    finally:
        conn.close()


def build(path: Path, rows: int) -> None:
    """The real schema through Store, items without FTS triggers, then one index rebuild."""
    rng = random.Random(SEED)
    tmp = path.with_suffix(".tmp")
    for f in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        f.unlink(missing_ok=True)
    store = Store(str(tmp))
    db = store.db
    specialties = [r["slug"] for r in db.query("select slug from specialties")] or ["oncologie", "cardiologie"]
    triggers = [r["sql"] for r in db.query("select sql from sqlite_master where type = 'trigger' and tbl_name = 'items'")]
    for r in db.query("select name from sqlite_master where type = 'trigger' and tbl_name = 'items'"):
        db.execute(f"drop trigger [{r['name']}]")
    started = time.perf_counter()
    sources = [
        {"id": f"src-{n:03d}", "name": f"Source {n}", "kind": "feed", "url": f"https://example.org/{n}.xml",
         "tier": TIERS[n % len(TIERS)], "lang": "fr", "enabled": 1, "every": 3600, "error_count": 0}
        for n in range(200)
    ]
    start = datetime(2023, 11, 28, tzinfo=UTC)
    span = (datetime(2026, 11, 28, tzinfo=UTC) - start).total_seconds()
    type_weights = [2, 2, 3, 6, 2, 15, 3, 1, 66]

    tier_of = {s["id"]: s["tier"] for s in sources}
    tags: list[dict] = []

    def items():
        for n in range(rows):
            when = start + timedelta(seconds=span * n / rows + rng.uniform(-3600, 3600))
            title_words = rng.choices(COMMON, k=rng.randint(6, 10))
            summary_words = rng.choices(COMMON, k=rng.randint(20, 30))
            for term, share in PLANTED:
                if rng.random() < share:
                    summary_words.insert(rng.randrange(len(summary_words) + 1), term)
            title = " ".join(title_words).capitalize()
            iso = when.strftime("%Y-%m-%dT%H:%M:%SZ")
            item_id = f"b{n:09d}"
            mine = sorted(set(rng.sample(specialties, rng.choice((1, 1, 2))))) if rng.random() < 0.6 else []
            tags.extend({"item_id": item_id, "specialty": s, "score": 3.0, "evidence": "[]"} for s in mine)
            source_id = f"src-{rng.randrange(200):03d}"
            yield {
                "id": item_id, "source_id": source_id, "guid": f"g{n}",
                "url": f"https://example.org/a/{n}", "canonical_url": f"https://example.org/a/{n}",
                "title": title, "summary": " ".join(summary_words) + ".", "content": "",
                "published_at": iso, "fetched_at": iso, "lang": "fr",
                "item_type": rng.choices(ITEM_TYPES, type_weights)[0], "story_id": None,
                # m004's denormalised columns, as the store maintains them.
                "specialties": json.dumps(mine, separators=(",", ":")), "tier": tier_of[source_id],
            }

    with db.conn:
        db["sources"].insert_all(sources)
        db["items"].insert_all(items(), batch_size=10_000)
        db.execute(
            "insert into item_sources (item_id, source_id, guid, first_seen_at) "
            "select id, source_id, guid, fetched_at from items"
        )
        db["item_specialties"].insert_all(tags, batch_size=10_000)
    inserted = time.perf_counter()
    db.execute("insert into items_fts(items_fts) values('rebuild')")
    for sql in triggers:
        db.execute(sql)
    from veille.migrations import fill_facet_counts, fill_item_keys

    fill_facet_counts(db)  # the triggers that count facets and keep item_keys were off during the inserts
    fill_item_keys(db)
    db.execute("analyze")
    db.conn.commit()
    store.close()
    ensure_views(str(tmp))
    conn = sqlite3.connect(tmp)
    conn.execute("pragma wal_checkpoint(truncate)")
    conn.close()
    tmp.rename(path)
    print(f"built {rows:,} items in {inserted - started:.1f} s, FTS index in {time.perf_counter() - inserted:.1f} s")


def stats(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    return statistics.median(samples), samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]


class Table:
    """Prints one line per measurement: median, p95 and the median as a multiple of the floor."""

    def __init__(self) -> None:
        self.floor: float | None = None

    def header(self, title: str) -> None:
        print(f"\n{'term':<15}{'matches':>9} | {title:<50}{'median':>8} {'p95':>8} {'x floor':>8}  (ms)")

    def line(self, term: str, matches: int | str, label: str, samples: list[float] | None, note: str = "") -> None:
        if not samples:
            print(f"{term:<15}{matches:>9} | {label:<50}{'-':>8} {'-':>8} {'':>8}  {note}")
            return
        median, p95 = stats(samples)
        ratio = f"{median / self.floor:7.1f}x" if self.floor else ""
        count = f"{matches:,}" if isinstance(matches, int) else matches
        print(f"{term:<15}{count:>9} | {label:<50}{median:8.1f} {p95:8.1f} {ratio:>8}  {note}".rstrip())


def timed(fn, budget_s: float = 3.0, most: int = 25, least: int = 3) -> list[float]:
    out: list[float] = []
    spent = time.perf_counter()
    while len(out) < most and (len(out) < least or time.perf_counter() - spent < budget_s):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


async def atimed(fn, budget_s: float = 3.0, most: int = 25, least: int = 3) -> list[float]:
    out: list[float] = []
    spent = time.perf_counter()
    while len(out) < most and (len(out) < least or time.perf_counter() - spent < budget_s):
        t = time.perf_counter()
        await fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def bench_metadata() -> dict:
    metadata = load_metadata(ROOT / "datasette-metadata.json")
    metadata["databases"]["veille"]["queries"]["plancher"] = {"sql": "select 1 as un"}
    return metadata


def stock_metadata() -> dict:
    """Datasette's own table search on the articles view (what Veille does without its plugin's
    search): every match, counted, faceted, sorted by date."""
    metadata = bench_metadata()
    articles = metadata["databases"]["veille"]["tables"]["articles"]
    articles.pop("plugins", None)
    articles["fts_table"] = "items_fts"
    articles["fts_pk"] = "arrivee"
    return metadata


def search_window() -> int:
    articles = bench_metadata()["databases"]["veille"]["tables"]["articles"]
    return int(articles["plugins"]["veille"]["search"]["window"])


def form_url(term: str) -> str:
    """What the articles page's search form submits (Datasette's table.html: search box, empty
    filter row, sort select and its descending checkbox); Datasette answers with a redirect."""
    from urllib.parse import urlencode

    return "/veille/articles?" + urlencode({
        "_search": term, "_filter_column": "", "_filter_op": "exact", "_filter_value": "",
        "_sort": "date", "_sort_by_desc": "on",
    })


async def run_client(db_path: Path, terms: list[str], counts: dict[str, int], table: Table) -> None:
    from urllib.parse import quote

    ds = make_datasette(db_path, metadata=bench_metadata())
    stock = make_datasette(
        db_path, metadata=stock_metadata(),
        settings={"suggest_facets": True, "facet_time_limit_ms": 200, "sql_time_limit_ms": 5000},
    )
    await ds.invoke_startup()
    await stock.invoke_startup()

    async def get(app, url: str, ok: tuple[int, ...] = (200,)) -> int:
        r = await app.client.get(url, follow_redirects=True)
        if r.status_code not in ok:
            raise SystemExit(f"{url}: HTTP {r.status_code} {r.text[:300]}")
        return r.status_code

    floor = await atimed(lambda: get(ds, "/veille/plancher.json?_shape=array"), most=300)
    table.floor = stats(floor)[0]
    table.header("Datasette in process (ds.client)")
    table.line("-", "-", "floor: select 1 canned query (.json)", floor)
    for label, url in (("articles.json, no search (count + 5 facets)", "/veille/articles.json"),
                       ("articles HTML, no search", "/veille/articles")):
        table.line("-", "-", label, await atimed(lambda url=url: get(ds, url), budget_s=2.0, most=10))
    for term in terms:
        q = quote(term)
        paths = [
            ("recherche.json (canned, _shape=array)", f"/veille/recherche.json?texte={q}&specialite=&type=&depuis=&_shape=array"),
            ("recherche HTML (canned, form parameters)", f"/veille/recherche?texte={q}&specialite=&type=&depuis="),
            ("articles.json?_search= (count + 5 facets)", f"/veille/articles.json?_search={q}"),
            ("articles.json?_search=&_nofacet=1", f"/veille/articles.json?_search={q}&_nofacet=1"),
            ("articles.json?_search=&_sort_desc=date (a click)", f"/veille/articles.json?_search={q}&_sort_desc=date"),
            ("articles HTML, search form (redirect + page)", form_url(term)),
            ("articles HTML ?_search= (a link)", f"/veille/articles?_search={q}"),
        ]
        for label, url in paths:
            samples = await atimed(lambda url=url: get(ds, url), budget_s=2.0, most=15)
            table.line(term, counts.get(term, 0), label, samples)
        # Datasette's own search is slow on frequent terms: a few samples; a timeout is a 400.
        statuses: list[int] = []

        async def stock_get(url: str = f"/veille/articles.json?_search={q}", statuses: list[int] = statuses) -> None:
            statuses.append(await get(stock, url, ok=(200, 400)))

        samples = await atimed(stock_get, budget_s=1.0, most=5, least=2)
        note = "" if set(statuses) == {200} else "sql_time_limit (5 s) hit"
        table.line(term, counts.get(term, 0), "Datasette's own _search (stock settings) .json", samples, note)


def articles_search_sql(db_path: Path, order: str = "arrivee") -> str:
    """The articles page's main query for ?_search= (as Datasette writes it, one page + 1)."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    columns = [r[1] for r in conn.execute("pragma table_info(articles)")]
    conn.close()
    return (
        f"select {', '.join(columns)} from articles where arrivee in (select rowid from items_fts "
        f"where items_fts match escape_fts(:search) order by rowid desc limit {search_window()}) "
        f"order by {order} desc limit 51"
    )


def top_up_today(db_path: Path, per_day: int = 900) -> str:
    """Give the cached database a day of news ending now (items in stories of three, official
    first), unless the last hour already has some; returns a story id for the story page."""
    rng = random.Random(SEED + 1)
    conn = sqlite3.connect(db_path)
    now = datetime.now(UTC)
    recent = conn.execute("select count(*) from items where published_at >= ?",
                          [(now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")]).fetchone()[0]
    if not recent:
        sources = [r[0] for r in conn.execute("select id from sources order by id")]
        tiers = dict(conn.execute("select id, tier from sources"))
        start = conn.execute("select coalesce(max(rowid), 0) from items").fetchone()[0]
        items, stories, carriers = [], [], []
        for n in range(per_day):
            when = (now - timedelta(seconds=86_000 * (n + 1) / per_day)).strftime("%Y-%m-%dT%H:%M:%SZ")
            source = sources[rng.randrange(len(sources))]
            story = f"st{start + n - n % 3:010d}"
            item_id = f"t{start + n:09d}"
            title = " ".join(rng.choices(COMMON, k=8)).capitalize()
            summary = " ".join(rng.choices(COMMON, k=24)) + "."
            items.append((item_id, source, f"t{n}", f"https://example.org/t/{start + n}", title, summary, when, when,
                          rng.choices(ITEM_TYPES, [2, 2, 3, 6, 2, 15, 3, 1, 66])[0], story, '["pediatrie"]' if n % 5 == 0 else "[]",
                          tiers[source]))
            carriers.append((item_id, source, f"t{n}", when))
            if n % 3 == 0:
                stories.append((story, item_id, title, when, when))
        with conn:
            conn.executemany(
                "insert into items (id, source_id, guid, url, canonical_url, title, summary, content, published_at, fetched_at, "
                "lang, item_type, story_id, specialties, tier) values (?, ?, ?, ?, ?4, ?5, ?6, '', ?7, ?8, 'fr', ?9, ?10, ?11, ?12)",
                items,
            )
            conn.executemany("insert into item_sources (item_id, source_id, guid, first_seen_at) values (?, ?, ?, ?)", carriers)
            conn.executemany(
                "insert into stories (id, representative_item_id, title, first_seen_at, last_seen_at, item_count, source_count) "
                "values (?, ?, ?, ?, ?, 3, 3)", stories,
            )
            conn.executemany(
                "insert into item_specialties (item_id, specialty, score, evidence) values (?, 'pediatrie', 3.0, '[]')",
                [(i[0],) for i in items if i[10] != "[]"],
            )
        print(f"topped up the last 24 h: {per_day} items in {len(stories)} stories")
    story = conn.execute("select story_id from items where story_id is not null order by rowid desc limit 1").fetchone()[0]
    conn.close()
    return story


async def run_reading_room(db_path: Path, story: str, table: Table, rounds: int = 30) -> None:
    """The pages of issue 12, each against the floor, in one run.

    Interleaved: each round views the two floors and every page once, so that a burst of load
    from other processes hits them all alike; a page's ratio is the median over rounds of its
    time over the floor's time in that round. Then, in rounds of their own, the Articles pages
    each right after a commit (a one-row write, not timed), as a reader sees them after the
    collector wrote."""
    metadata = bench_metadata()
    ds = make_datasette(db_path, metadata=metadata)
    await ds.invoke_startup()
    # A page at an address not viewed since the last commit (a new search, another page): the
    # whole-response cache off, the rest as served (plugins.veille.response_cache_seconds: 0).
    metadata["plugins"]["veille"]["response_cache_seconds"] = 0
    fresh = make_datasette(db_path, metadata=metadata)
    await fresh.invoke_startup()
    writer = sqlite3.connect(db_path)

    def commit() -> None:  # a real change: SQLite writes nothing for a row left as it was
        with writer:
            writer.execute("update sources set last_fetch_at = ? where id = (select min(id) from sources)",
                           [datetime.now(UTC).isoformat()])

    async def get(app, url: str) -> None:  # noqa: ANN001
        r = await app.client.get(url, follow_redirects=True)
        if r.status_code != 200:
            raise SystemExit(f"{url}: HTTP {r.status_code} {r.text[:300]}")

    pages = [
        ("La une /", "/"),
        ("story page /histoires/<id>", f"/histoires/{story}"),
        ("Articles HTML, unfiltered", "/veille/articles"),
        ("Articles HTML, search epidemie + facets", "/veille/articles?_search=epidemie"),
        ("Articles HTML, search patients + facets", "/veille/articles?_search=patients"),
        ("Recherche HTML, epidemie", "/veille/recherche?texte=epidemie&specialite=&type=&depuis="),
        ("Recherche HTML, epidemie + Pédiatrie + date", "/veille/recherche?texte=epidemie&specialite=pediatrie&type=&depuis=01/01/2025"),
    ]
    floors = [("floor: select 1 canned query (.json)", ds, "/veille/plancher.json?_shape=array", False),
              ("floor: select 1 canned query (HTML page)", ds, "/veille/plancher", False)]
    steady = floors + [(label, ds, url, False) for label, url in pages]
    steady += [(f"{label} (new address)", fresh, url, False) for label, url in pages[2:]]
    after = floors + [(f"{label} (after a commit)", ds, url, True) for label, url in pages[2:5]]
    for _, app, url, _ in steady:  # warm the caches (source names, labels, SQLite pages)
        await get(app, url)
    samples: dict[str, list[float]] = {}
    ratios: dict[str, tuple[list[float], list[float]]] = {}
    for views in (steady, after):
        phase: dict[str, list[float]] = {label: [] for label, _, _, _ in views}
        for n in range(rounds):
            for label, app, url, written in views[n % len(views):] + views[:n % len(views)]:  # each starts a round in turn
                if written:
                    commit()
                t = time.perf_counter()
                await get(app, url)
                phase[label].append((time.perf_counter() - t) * 1000)
        json_floor, html_floor = phase[floors[0][0]], phase[floors[1][0]]
        for label, values in phase.items():
            if label not in samples:
                samples[label] = values
                ratios[label] = ([t / f for t, f in zip(values, json_floor, strict=True)],
                                 [t / f for t, f in zip(values, html_floor, strict=True)])
    writer.close()
    table.floor = stats(samples[floors[0][0]])[0]
    print(f"\n{rounds} interleaved rounds; x json / x html: median over rounds of the page's time over that round's floor")
    print(f"{'page':<58}{'median':>8} {'p95':>8} {'x json':>8} {'x html':>8}  (ms)")
    for label, values in samples.items():
        median, p95 = stats(values)
        by_json, by_html = (statistics.median(r) for r in ratios[label])
        verdict = "" if label.startswith("floor") else ("within 5x the HTML floor" if by_html < 5 else "over 5x the HTML floor")
        print(f"{label:<58}{median:8.1f} {p95:8.1f} {by_json:7.1f}x {by_html:7.1f}x  {verdict}".rstrip())


def run_sqlite(db_path: Path, terms: list[str], table: Table) -> dict[str, int]:
    metadata = json.loads((ROOT / "datasette-metadata.json").read_text(encoding="utf-8"))
    recherche = metadata["databases"]["veille"]["queries"]["recherche"]["sql"]
    articles = articles_search_sql(db_path)
    by_date = articles_search_sql(db_path, "date")
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    conn.create_function("veille_fts", 1, fts_query, deterministic=True)
    conn.create_function("escape_fts", 1, table_search_query, deterministic=True)
    print("\narticles search plan:", " / ".join(r[3] for r in conn.execute("explain query plan " + articles, {"search": "x"})))
    counts = {}
    table.header("sqlite3 direct (no Datasette)")
    for term in terms:
        q = fts_query(term)
        counts[term] = conn.execute("select count(*) from items_fts where items_fts match ?", [q]).fetchone()[0] if q else 0
        params = {"texte": term, "specialite": "", "type": "", "depuis": ""}
        table.line(term, counts[term], "Recherche SQL", timed(lambda params=params: conn.execute(recherche, params).fetchall()))
        table.line(term, counts[term], "articles search, main query (arrival order)",
                   timed(lambda term=term: conn.execute(articles, {"search": term}).fetchall()))
        table.line(term, counts[term], "articles search, main query (by date, a click)",
                   timed(lambda term=term: conn.execute(by_date, {"search": term}).fetchall()))
    conn.close()
    return counts


def run_http(db_path: Path, terms: list[str], table: Table) -> None:
    import socket
    import subprocess
    from urllib.parse import quote

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    meta_path = CACHE / "bench-metadata.json"
    meta_path.write_text(json.dumps(bench_metadata(), ensure_ascii=False), encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "veille", "--db", str(db_path), "serve", "--port", str(port), "--metadata", str(meta_path)],
        cwd=ROOT, stdout=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=30, follow_redirects=True) as client:
            for _ in range(100):
                try:
                    client.get("/-/versions.json")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            floor = timed(lambda: client.get("/veille/plancher.json?_shape=array").raise_for_status(), most=300)
            table.floor = stats(floor)[0]
            table.header("over HTTP (veille serve, httpx keep-alive)")
            table.line("-", "-", "floor: select 1 canned query (.json)", floor)
            for term in terms:
                q = quote(term)
                for label, url in (
                    ("recherche.json (canned, _shape=array)", f"/veille/recherche.json?texte={q}&specialite=&type=&depuis=&_shape=array"),
                    ("articles.json?_search= (count + 5 facets)", f"/veille/articles.json?_search={q}"),
                    ("articles HTML, search form (redirect + page)", form_url(term)),
                ):
                    samples = timed(lambda url=url: client.get(url).raise_for_status(), budget_s=2.0, most=15)
                    table.line(term, "", label, samples)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="items in the synthetic database")
    parser.add_argument("--http", action="store_true", help="also measure over HTTP against `veille serve`")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached database")
    parser.add_argument("--reading-room", action="store_true", help="only the reading room's pages (issue 12)")
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"search-{args.rows}.db"
    if args.rebuild or not path.exists():
        build(path, args.rows)
    else:
        ensure_views(str(path))
        check_item_keys(path)
    print(f"database: {path} ({path.stat().st_size / 1e6:.0f} MB, {args.rows:,} items)")
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)")
    table = Table()
    story = top_up_today(path)
    asyncio.run(run_reading_room(path, story, table))
    if args.reading_room:
        print(f"\nload average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        return
    counts = run_sqlite(path, TERMS, table)
    asyncio.run(run_client(path, TERMS, counts, table))
    if args.http:
        run_http(path, TERMS, table)
    print(f"\nload average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
