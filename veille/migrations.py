"""The whole schema, as sqlite-utils migrations applied on open. One small function per change."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("veille")
FTS_TOKENIZE = "unicode61 remove_diacritics 2"


@migrations()
def m001_initial(db: Database) -> None:
    db.table("sources").create(
        {
            "id": str,
            "name": str,
            "kind": str,
            "url": str,
            "tier": str,
            "lang": str,
            "enabled": int,
            "etag": str,
            "last_modified": str,
            "body_hash": str,
            "last_fetch_at": str,
            "last_success_at": str,
            "last_status": int,
            "last_error": str,
            "error_count": int,
            "next_fetch_at": str,
            "disabled_reason": str,
            "every": int,
            "config_url": str,
            "last_new_item_at": str,
        },
        pk="id",
        defaults={"error_count": 0, "enabled": 1},
        not_null={"name", "url"},
    )
    db.table("items").create(
        {
            "id": str,
            "source_id": str,
            "guid": str,
            "url": str,
            "canonical_url": str,
            "title": str,
            "summary": str,
            "content": str,
            "author": str,
            "published_at": str,
            "fetched_at": str,
            "updated_at": str,
            "lang": str,
            "content_hash": str,
            "extra": str,
        },
        pk="id",
        foreign_keys=[("source_id", "sources", "id")],
        not_null={"source_id", "title", "published_at", "fetched_at"},
    )
    db.table("items").create_index(["source_id", "guid"])
    db.table("items").create_index(["source_id", "content_hash"])
    db.table("items").create_index(["published_at"])
    db.table("item_sources").create(
        {"item_id": str, "source_id": str, "guid": str, "first_seen_at": str},
        pk=("item_id", "source_id"),
        foreign_keys=[("item_id", "items", "id"), ("source_id", "sources", "id")],
    )
    db.table("item_sources").create_index(["source_id", "guid"])
    db.table("fetches").create(
        {
            "id": int,
            "source_id": str,
            "started_at": str,
            "duration_ms": int,
            "http_status": int,
            "outcome": str,
            "items_new": int,
            "items_seen": int,
            "error": str,
        },
        pk="id",
        foreign_keys=[("source_id", "sources", "id")],
    )
    db.table("fetches").create_index(["source_id", "started_at"])
    # Triggers keep the index in step with every insert, update and delete; items are written
    # with INSERT ... ON CONFLICT DO UPDATE, so rowids stay stable and index rows = table rows.
    db.table("items").enable_fts(
        ["title", "summary", "content"], fts_version="FTS5", create_triggers=True, tokenize=FTS_TOKENIZE
    )


@migrations()
def m002_stories_and_tags(db: Database) -> None:
    """Deduplication into stories, specialties and item types."""
    db.table("items").add_column("item_type", str, not_null_default="news")
    db.table("items").add_column("story_id", str)
    db.table("items").create_index(["story_id"])
    db.table("items").create_index(["item_type", "published_at"])
    db.table("stories").create(
        {
            "id": str,
            "representative_item_id": str,
            "title": str,
            "first_seen_at": str,
            "last_seen_at": str,
            "item_count": int,
            "source_count": int,
        },
        pk="id",
        foreign_keys=[("representative_item_id", "items", "id")],
    )
    db.table("stories").create_index(["last_seen_at"])
    # Why an item joined its story: the item it matched and how similar they were.
    db.table("story_links").create(
        {"item_id": str, "story_id": str, "matched_item_id": str, "similarity": float, "method": str},
        pk="item_id",
        foreign_keys=[("item_id", "items", "id"), ("story_id", "stories", "id")],
    )
    db.table("specialties").create({"slug": str, "label_fr": str, "label_en": str}, pk="slug")
    db.table("item_specialties").create(
        {"item_id": str, "specialty": str, "score": float, "evidence": str},
        pk=("item_id", "specialty"),
        foreign_keys=[("item_id", "items", "id"), ("specialty", "specialties", "slug")],
    )
    db.table("item_specialties").create_index(["specialty", "item_id"])


@migrations()
def m004_denormalised_item_facets(db: Database) -> None:
    """The item's specialties (a JSON array of slugs) and its source's tier, kept on the row so
    that browsing and facets need no join or subquery per item (searching 1M items in Datasette)."""
    db.table("items").add_column("specialties", str, not_null_default="[]")
    db.table("items").add_column("tier", str)
    db.execute(
        "update items set specialties = coalesce((select json_group_array(specialty) from "
        "(select specialty from item_specialties x where x.item_id = items.id order by specialty)), '[]')"
    )
    db.execute("update items set tier = (select tier from sources s where s.id = items.source_id)")
    db.table("items").create_index(["tier", "published_at"])


@migrations()
def m005_fts_update_trigger_on_text_only(db: Database) -> None:
    """Reindex an item only when its text changes: updating its type, story or specialties must
    not rewrite its full-text entry (three times per new item, measured in bench_collect)."""
    db.execute("drop trigger if exists items_au")
    db.execute(
        """
        create trigger items_au after update of title, summary, content on items begin
          insert into items_fts (items_fts, rowid, title, summary, content)
            values ('delete', old.rowid, old.title, old.summary, old.content);
          insert into items_fts (rowid, title, summary, content)
            values (new.rowid, new.title, new.summary, new.content);
        end
        """
    )


@migrations()
def m006_content_hash_index(db: Database) -> None:
    """'Same content in this source' looks items up by content hash alone (then checks the
    source through item_sources): without this index each lookup scanned the whole table."""
    db.table("items").create_index(["content_hash"])


@migrations()
def m007_i9b_clean_source_names(db: Database) -> None:
    """Names and errors written before they were cleaned may hold a feed title's terminal escapes
    or control characters, which the health page's Atom cannot carry (it answered 500)."""
    from veille.normalise import clean_name

    for row in db.execute("select id, name, last_error from sources").fetchall():
        name = clean_name(row[1] or "") or row[0]
        error = clean_name(row[2], 1000) if row[2] else row[2]
        if (name, error) != (row[1], row[2]):
            db.execute("update sources set name = ?, last_error = ? where id = ?", [name, error, row[0]])


@migrations()
def m008_i12_fetched_at_index(db: Database) -> None:
    """The digest and La une find late arrivals (published before the period, first seen in it)
    by first-seen time: without this index that lookup scanned the whole table."""
    db.table("items").create_index(["fetched_at"], if_not_exists=True)


@migrations()
def m009_i13_watches(db: Database) -> None:
    """Watches (definitions mirrored from feeds.yaml for the web pages), their hits (one per
    story per watch: the primary key is what makes a second carrier of a story silent) and the
    notifications waiting to be delivered or retried."""
    db.table("watches").create(
        {"name": str, "query": str, "definition": str, "created_at": str, "updated_at": str,
         "last_spike_day": str},
        pk="name",
    )
    db.table("watch_hits").create(
        {"watch": str, "story_key": str, "item_id": str, "matched_at": str},
        pk=("watch", "story_key"),
        foreign_keys=[("item_id", "items", "id")],
    )
    db.table("watch_hits").create_index(["watch", "matched_at"])
    db.table("watch_hits").create_index(["item_id"])
    db.table("watch_deliveries").create(
        {"id": int, "watch": str, "target": str, "kind": str, "payload": str, "created_at": str,
         "attempts": int, "next_attempt_at": str, "last_error": str, "last_attempt_at": str,
         "delivered_at": str, "gave_up_at": str},
        pk="id",
        defaults={"attempts": 0},
    )
    db.table("watch_deliveries").create_index(["delivered_at", "gave_up_at", "next_attempt_at"])
    db.table("watch_deliveries").create_index(["watch", "created_at"])


@migrations()
def m010_i10_story_rules(db: Database) -> None:
    """Stories say which rule joined each item (in words a reader understands), which story a
    follow-up continues, and their representative's language."""
    db.table("story_links").add_column("rule", str)
    db.table("story_links").add_column("reason", str)
    db.table("stories").add_column("follows_story_id", str)
    db.table("stories").add_column("lang", str)


# The other sources of an item, in source id order (what the Articles page shows beside it).
OTHER_SOURCES_OF = (
    "(select group_concat(source_id) from (select x.source_id from item_sources x "
    "where x.item_id = {item} and x.source_id <> {owner} order by x.source_id))"
)
# The unfiltered Articles page's facets, counted over the whole archive (articles view column ->
# items column); specialties are a JSON array, counted per element.
COUNTED_FACETS = {"source": "source_id", "niveau": "tier", "type": "item_type", "langue": "lang"}
SPECIALTY_FACET = "specialites"
_ELEMENTS = "json_each(case when json_valid({0}) then {0} else '[]' end) j where j.type = 'text'"


def _count_facets(row: str, delta: int) -> list[str]:
    """The statements adding ``delta`` to the counts of one row's values (``new`` or ``old``)."""
    if delta > 0:
        upsert = " on conflict (facet, value) do update set n = n + 1"
        statements = [
            f"insert into facet_counts (facet, value, n) select '{facet}', {row}.{column}, 1 "
            f"where {row}.{column} is not null{upsert}"
            for facet, column in COUNTED_FACETS.items()
        ]
        statements.append(
            f"insert into facet_counts (facet, value, n) select '{SPECIALTY_FACET}', j.value, 1 from "
            + _ELEMENTS.format(f"{row}.specialties") + upsert
        )
        return statements
    statements = [
        f"update facet_counts set n = n - 1 where facet = '{facet}' and value = {row}.{column}"
        for facet, column in COUNTED_FACETS.items()
    ]
    statements.append(
        f"update facet_counts set n = n - 1 where facet = '{SPECIALTY_FACET}' and value in "
        f"(select j.value from {_ELEMENTS.format(f'{row}.specialties')})"
    )
    return statements


def fill_facet_counts(db: Database) -> None:
    """Count every item's facet values again (after writing items with the triggers off)."""
    db.execute("delete from facet_counts")
    for facet, column in COUNTED_FACETS.items():
        db.execute(
            f"insert into facet_counts (facet, value, n) select '{facet}', {column}, count(*) from items "
            f"where {column} is not null group by {column}"
        )
    db.execute(
        f"insert into facet_counts (facet, value, n) select '{SPECIALTY_FACET}', j.value, count(*) from items, "
        + _ELEMENTS.format("items.specialties") + " group by j.value"
    )


@migrations()
def m011_i12speed_article_page_data(db: Database) -> None:
    """What the Articles page reads, kept current by triggers so that a page costs no
    per-row subquery and no scan (bench/bench_search.py --reading-room):

    - ``items.other_sources``: the other sources that carried an item (source ids joined by
      commas, NULL when none). The view read them with a correlated subquery, which SQLite
      computes for every row it sorts (a search's 1,000 matches by date: half its SQL on 1M items).
    - ``facet_counts``: how many items have each source, tier, type, language and specialty, the
      unfiltered page's facets over the whole archive (five window scans on every commit before).
    """
    db.table("items").add_column("other_sources", str)
    db.execute(
        "update items set other_sources = " + OTHER_SOURCES_OF.format(item="items.id", owner="items.source_id")
        + " where id in (select item_id from item_sources group by item_id having count(*) > 1)"
    )
    of_new = OTHER_SOURCES_OF.format(item="new.item_id", owner="items.source_id")
    of_old = OTHER_SOURCES_OF.format(item="old.item_id", owner="items.source_id")
    db.execute(
        "create trigger item_sources_other_ai after insert on item_sources "
        "when new.source_id <> coalesce((select source_id from items where id = new.item_id), new.source_id) "
        f"begin update items set other_sources = {of_new} where id = new.item_id; end"
    )
    db.execute(
        "create trigger item_sources_other_ad after delete on item_sources "
        f"begin update items set other_sources = {of_old} where id = old.item_id; end"
    )
    db.execute(
        "create trigger items_other_au after update of source_id on items "
        "when new.source_id is not old.source_id begin update items set other_sources = "
        + OTHER_SOURCES_OF.format(item="new.id", owner="new.source_id") + " where id = new.id; end"
    )
    db.execute("create table facet_counts (facet text not null, value text not null, n integer not null, "
               "primary key (facet, value)) without rowid")
    fill_facet_counts(db)
    db.execute(f"create trigger items_facets_ai after insert on items begin {'; '.join(_count_facets('new', 1))}; end")
    db.execute(f"create trigger items_facets_ad after delete on items begin {'; '.join(_count_facets('old', -1))}; end")
    for facet, column in {**COUNTED_FACETS, SPECIALTY_FACET: "specialties"}.items():
        old = [s for s in _count_facets("old", -1) if f"'{facet}'" in s]
        new = [s for s in _count_facets("new", 1) if f"'{facet}'" in s]
        db.execute(
            f"create trigger items_facets_au_{column} after update of {column} on items "
            f"when old.{column} is not new.{column} begin {'; '.join(old + new)}; end"
        )


@migrations()
def m012_i14collect_meta(db: Database) -> None:
    """Small facts about the database itself: which taxonomy its specialty labels come from, so
    that opening it does not load the tagger to find out (veille.store)."""
    db.table("veille_meta").create({"key": str, "value": str}, pk="key")


@migrations()
def m013_i10follow_ups_index(db: Database) -> None:
    """A story page lists the later stories that continue it ("Suites de l'histoire"): found by
    ``follows_story_id``, indexed so that the page reads them without a scan of every story."""
    db.table("stories").create_index(["follows_story_id"], if_not_exists=True)


ITEM_KEYS_COLUMNS = ("published_at", "item_type", "specialties", "tier", "source_id", "lang")


def fill_item_keys(db: Database) -> None:
    """``item_keys`` rebuilt from ``items`` (the migration's backfill; a bulk load that ran with
    the triggers off, such as bench/bench_search.py's, calls it too)."""
    columns = ", ".join(ITEM_KEYS_COLUMNS)
    db.execute("delete from item_keys")
    db.execute(f"insert into item_keys (item_rowid, {columns}) select rowid, {columns} from items")


@migrations()
def m014_i12search_item_keys(db: Database) -> None:
    """What searches filter, sort, count and facet their matches by, in rows of ~70 bytes:
    ``item_keys`` (one row per item, keyed by the item's rowid, kept by triggers). Reading
    these columns off the ~500-byte item rows was most of a search's SQL on 1M items, above
    all after a commit (every page read again): Recherche filters and sorts its 2,000 most
    recent matches here, testing the specialty in the item's ``specialties`` array (written
    with item_specialties by every writer path) instead of a lookup by item id, and a searched
    Articles page counts and facets its matches here (veille.plugins.search_keys;
    bench/bench_search.py --reading-room)."""
    columns = ", ".join(ITEM_KEYS_COLUMNS)
    new = ", ".join(f"new.{c}" for c in ITEM_KEYS_COLUMNS)
    db.execute("create table item_keys (item_rowid integer primary key, published_at text not null, "
               "item_type text, specialties text, tier text, source_id text, lang text)")
    fill_item_keys(db)
    db.execute(f"create trigger items_keys_ai after insert on items begin "
               f"insert into item_keys (item_rowid, {columns}) values (new.rowid, {new}); end")
    db.execute("create trigger items_keys_ad after delete on items begin "
               "delete from item_keys where item_rowid = old.rowid; end")
    assignments = ", ".join(f"{c} = new.{c}" for c in ITEM_KEYS_COLUMNS)
    db.execute(f"create trigger items_keys_au after update of rowid, {columns} on items begin "
               f"update item_keys set item_rowid = new.rowid, {assignments} where item_rowid = old.rowid; end")
