"""A table page's first view without Datasette's per-cell hook loop, its permission merge on
every view, or a cold page cache after each commit (bench/bench_search.py --reading-room, rows
"new address" and "after a commit"), showing exactly what Datasette showed. Real databases
from the collect path, Datasette through its test client."""

from __future__ import annotations

import asyncio
import shutil

import datasette.views.table as table_view
import pytest

from tests.test_serve import build_database
from veille.plugins.datasette_veille import DEFAULT_MMAP_BYTES
from veille.plugins.table_cells import ORIGINAL_ATTRIBUTE, plain_display
from veille.plugins.table_html import RenderedRow, table_rows
from veille.store import Store
from veille.webapp import load_metadata, make_datasette

HOSTILE_TITLE = '<script>alert(1)</script><img src=x onerror=alert(2)>'
HOSTILE_LINK = "javascript:alert(3)"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_database(tmp_path_factory.mktemp("cells"))


def both_ways(ds, table: str, sql: str, link_column: bool = False):  # noqa: ANN001, ANN201
    """(Veille's display, Datasette's own) for the rows of ``sql`` shown as ``table``'s page."""
    original = getattr(table_view, ORIGINAL_ATTRIBUTE)

    async def run():  # noqa: ANN202
        await ds.invoke_startup()
        results = await ds.get_database("veille").execute(sql)
        rows = list(results.rows)
        description = [(c,) for c in results.columns]
        ours = await table_view.display_columns_and_rows(ds, "veille", table, description, rows, link_column=link_column,
                                                         truncate_cells=0, sortable_columns={"date"})
        theirs = await original(ds, "veille", table, description, rows, link_column=link_column,
                                truncate_cells=0, sortable_columns={"date"})
        return ours, theirs

    return asyncio.run(run())


def shown_cells(row) -> list[dict]:  # noqa: ANN001
    return [c for c in row.cells if not c["column"].startswith("atom_") and c["column"] not in ("arrivee", "lien", "id")]


def test_articles_cells_are_datasettes_own_written_once(built, tmp_path):
    db = tmp_path / "hostile.db"
    shutil.copy(built[1], db)
    with Store(str(db)) as store, store.immediate() as conn:  # feed text an attacker controls
        conn.execute("update items set title = ?, url = ?, summary = ? where rowid = (select min(rowid) from items)",
                     [HOSTILE_TITLE, HOSTILE_LINK, "https://example.org/a?b=<c>"])
    ds = make_datasette(db)
    (columns, ours), (their_columns, theirs) = both_ways(ds, "articles", "select * from articles order by arrivee limit 30")
    assert columns == their_columns and len(ours) == len(theirs) > 5
    for mine, datasettes in zip(ours, theirs, strict=True):
        assert isinstance(mine, RenderedRow)
        assert shown_cells(mine) == shown_cells(datasettes)  # same labels, links, dates, &nbsp;
        assert [c["raw"] for c in mine.cells] == [c["raw"] for c in datasettes.cells]
        assert mine.html == table_rows("articles", [datasettes])  # the <tr> the template wrote before
    page = "".join(row.html for row in ours)
    assert "<script" not in page and "onerror=alert(2)>" not in page and HOSTILE_LINK not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<a href="https://example.org/a?b=&lt;c&gt;">' in page  # a bare URL cell, escaped as Datasette does


def test_pages_with_a_link_column_or_blobs_keep_datasettes_loop(built):
    ds = make_datasette(built[1])
    (_, ours), (_, theirs) = both_ways(ds, "sources", "select * from sources", link_column=True)
    assert ours and not any(isinstance(r, RenderedRow) for r in ours)
    assert [r.cells for r in ours] == [r.cells for r in theirs]
    (_, blobs), _ = both_ways(ds, "sources", "select id, x'00ff' as name from sources limit 2")
    assert blobs and not any(isinstance(r, RenderedRow) for r in blobs)
    assert plain_display("", 0) == "&nbsp;" and plain_display(None, 0) == "&nbsp;"
    assert plain_display("x" * 20, 5) == "xxxxx\u2026" and plain_display(7, 0) == "7"


def test_a_table_allow_block_still_refuses_every_view(built):
    metadata = load_metadata()
    metadata["databases"]["veille"]["tables"]["articles"]["allow"] = {"id": "root"}
    ds = make_datasette(built[1], metadata=metadata)
    for _ in range(2):  # the second answer comes from the kept permission
        assert asyncio.run(ds.client.get("/veille/articles")).status_code == 403
    cookies = {"ds_actor": ds.sign({"a": {"id": "root"}}, "actor")}
    assert asyncio.run(ds.client.get("/veille/articles", cookies=cookies)).status_code == 200
    assert asyncio.run(ds.client.get("/veille/sources")).status_code == 200
    ds._metadata_local = load_metadata()  # another metadata object: computed again
    assert asyncio.run(ds.client.get("/veille/articles")).status_code == 200


def test_reads_are_not_memory_mapped_unless_asked(built):
    def mapped(ds) -> int:  # noqa: ANN001
        async def run() -> int:
            await ds.invoke_startup()
            return (await ds.get_database("veille").execute("pragma mmap_size")).first()[0]

        return asyncio.run(run())

    # Mapped reads cost more than they saved once searches read item_keys (datasette_veille).
    assert DEFAULT_MMAP_BYTES == 0 and mapped(make_datasette(built[1])) == 0
    metadata = load_metadata()
    metadata["plugins"]["veille"]["mmap_bytes"] = 1 << 26
    assert mapped(make_datasette(built[1], metadata=metadata)) == 1 << 26


def test_facet_links_are_datasettes_own(built):
    from datasette.utils import path_with_added_args
    from datasette.utils.asgi import Request

    from veille.plugins.facets import adding_links

    ds = make_datasette(built[1])
    for query in (b"", b"_search=%C3%A9pid%C3%A9mie&type=news", b"_next=25&_size=25&niveau=official", b"a=&b=c+d"):
        request = Request.fake(f"/veille/articles?{query.decode()}" if query else "/veille/articles")
        link = adding_links(ds, request)
        for arg, value in (("source", "src-1"), ("specialites__arraycontains", "pédiatrie"), ("titre", "a&b=c d#e?/+%")):
            assert link(arg, value) == ds.absolute_url(request, ds.urls.path(path_with_added_args(request, {arg: value})))


def test_request_args_are_parsed_once_per_request(built):
    from datasette.utils.asgi import Request

    make_datasette(built[1])  # installs Veille's plugins and patches
    request = Request({"type": "http", "query_string": b"_search=epidemie&_facet=source&_facet=type"}, None)
    first = request.args
    assert request.args is first and first.getlist("_facet") == ["source", "type"]
    assert first.get("_search") == "epidemie"
    request.scope["query_string"] = b"_search=patients"  # a changed query string is parsed again
    assert request.args.get("_search") == "patients" and request.args is not first
    other = Request({"type": "http", "query_string": b"_search=epidemie&_facet=source&_facet=type"}, None)
    assert other.args is not first and other.args.getlist("_facet") == ["source", "type"]
