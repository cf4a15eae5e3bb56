"""SQLite storage with sqlite-utils: one file, WAL, IMMEDIATE transactions, each source all or nothing."""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlite_utils import Database

from veille.errors import StoreError
from veille.migrations import migrations
from veille.models import Source, SourceState
from veille.store_write import SourceWrite, WriteOutcome, write_one

if TYPE_CHECKING:  # veille.stories (dedup, tagging) is imported when items are written
    from veille.stories import StoryBook

SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 10_000
REMOVED = "removed from feeds.yaml"
# What the specialty labels are read from (veille.tag); its fingerprint is kept in veille_meta.
SPECIALTIES_FILE = Path(__file__).resolve().parent / "taxonomy" / "specialties.yaml"


def check_database_file(path: str) -> None:
    """Refuse a file that exists but is not a SQLite database: never overwrite it."""
    p = Path(path)
    if not p.exists() or p.stat().st_size == 0:
        return
    with p.open("rb") as f:
        header = f.read(16)
    if header != SQLITE_MAGIC:
        raise StoreError(
            f"{path} is not a SQLite database; Veille will not touch it. "
            "Move it away or choose another file with --db."
        )


class Store:
    def __init__(self, path: str, *, readonly: bool = False):
        self.path = path
        check_database_file(path)
        if not readonly:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        try:
            if readonly:
                conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
            else:
                conn = sqlite3.connect(path, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self.db = Database(conn)
            if not readonly:
                self.db.execute("PRAGMA journal_mode = WAL")
                self.db.execute("PRAGMA synchronous = NORMAL")
                # Each source's savepoint gives its statements a statement journal, a temporary
                # file by default: kept in memory, the writer of a first collect spends a fifth
                # less CPU (0.59 -> 0.47 ms per item of 300 feeds x 20). Only this connection's
                # temporary data; the file and its durability are unchanged.
                self.db.execute("PRAGMA temp_store = MEMORY")
                migrations.apply(self.db)
                self._sync_specialties()
        except sqlite3.DatabaseError as e:
            raise StoreError(
                f"{path} cannot be used as a database ({e}); it was left untouched. "
                "If it is corrupt, restore a backup or move it away."
            ) from e

    def _sync_specialties(self) -> None:
        """The specialties table mirrors the packaged taxonomy's labels. They are read from the
        built tagger, which takes a fifth of a second to load: only when the taxonomy file is
        not the one the labels were last taken from."""
        key = hashlib.sha1(SPECIALTIES_FILE.read_bytes()).hexdigest()
        found = self.db.execute("select value from veille_meta where key = 'specialties'").fetchone()
        if found and found[0] == key:
            return
        from veille.stories import sync_specialties

        with self.immediate() as db:
            sync_specialties(db)
            db.execute("insert or replace into veille_meta (key, value) values ('specialties', ?)", [key])

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def immediate(self, retries: int = 5) -> Iterator[Database]:
        """One write transaction taken with BEGIN IMMEDIATE (a deferred one that reads first would
        fail with 'database is locked' when another writer got in). Retries the BEGIN when busy."""
        for attempt in range(retries):
            try:
                self.db.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) and "busy" not in str(e) or attempt == retries - 1:
                    raise StoreError(f"the database is busy or read-only: {e}") from e
                time.sleep(0.2 * (attempt + 1))
        try:
            yield self.db
        except BaseException:
            self.db.conn.rollback()
            raise
        else:
            try:
                self.db.conn.commit()
            except sqlite3.Error:
                self.db.conn.rollback()
                raise

    # --- sources -----------------------------------------------------------------------------

    def sync_sources(self, sources: Iterable[Source]) -> None:
        """Make the sources table reflect feeds.yaml; sources no longer configured are disabled,
        never deleted (their items stay)."""
        rows = {r["id"]: r for r in self.db.query("select * from sources")}
        configured = set()
        with self.immediate() as db:
            for s in sources:
                configured.add(s.id)
                row = rows.get(s.id)
                values = {
                    "id": s.id,
                    "name": s.name,
                    "kind": s.kind,
                    "tier": s.tier,
                    "lang": s.lang,
                    "every": s.every,
                    "config_url": s.url,
                }
                if row is None or row["config_url"] != s.url:
                    # New source, or the user changed its address: start afresh.
                    values.update(url=s.url, etag=None, last_modified=None, body_hash=None,
                                  disabled_reason=None, error_count=0, next_fetch_at=None)
                reason = values.get("disabled_reason", row["disabled_reason"] if row else None)
                if reason == REMOVED:
                    values["disabled_reason"] = reason = None
                values["enabled"] = int(s.enabled and not reason)
                if row is None:
                    db.execute(
                        f"insert into sources ({', '.join(f'[{k}]' for k in values)}) "
                        f"values ({', '.join('?' * len(values))})",
                        list(values.values()),
                    )
                    continue
                changed = {k: v for k, v in values.items() if k != "id" and row[k] != v}
                if changed:
                    # Plain SQL, and only for sources that changed: sqlite-utils' update
                    # introspects the table on every call (3,000 sources, every collect).
                    db.execute(
                        f"update sources set {', '.join(f'[{k}] = ?' for k in changed)} where id = ?",
                        [*changed.values(), s.id],
                    )
                    if "tier" in changed:
                        db.execute("update items set tier = ? where source_id = ?", [s.tier, s.id])
            for source_id, row in rows.items():
                if source_id not in configured and row["disabled_reason"] != REMOVED:
                    db.table("sources").update(source_id, {"enabled": 0, "disabled_reason": REMOVED})

    def states(self) -> dict[str, SourceState]:
        out = {}
        for r in self.db.query("select * from sources"):
            out[r["id"]] = SourceState(
                id=r["id"],
                url=r["url"],
                etag=r["etag"],
                last_modified=r["last_modified"],
                body_hash=r["body_hash"],
                error_count=r["error_count"] or 0,
                next_fetch_at=datetime.fromisoformat(r["next_fetch_at"].replace("Z", "+00:00"))
                if r["next_fetch_at"]
                else None,
                disabled_reason=r["disabled_reason"],
            )
        return out

    def source_rows(self) -> list[dict]:
        return list(self.db.query("select * from sources order by id"))

    def enable_source(self, source_id: str) -> bool:
        """Undo a 410 or backoff: the next collect fetches the source again."""
        with self.immediate() as db:
            cur = db.execute(
                "update sources set enabled = 1, disabled_reason = null, error_count = 0, "
                "next_fetch_at = null where id = ? and coalesce(disabled_reason, '') != ?",
                [source_id, REMOVED],
            )
            return cur.rowcount > 0

    def purge_source(self, source_id: str) -> int:
        """Delete a source, its fetches, and the items no other source carried; the stories it
        touched are recomputed."""
        from veille.stories import refresh_stories, tier_rank_sql

        with self.immediate() as db:
            stories = [
                r[0]
                for r in db.execute(
                    "select distinct i.story_id from items i join item_sources s on s.item_id = i.id "
                    "where s.source_id = ? and i.story_id is not null",
                    [source_id],
                )
            ]
            db.execute("delete from item_sources where source_id = ?", [source_id])
            orphans = [
                r[0]
                for r in db.execute(
                    "select id from items where source_id = ? and id not in "
                    "(select item_id from item_sources)",
                    [source_id],
                ).fetchall()
            ]
            self._delete_items(db, orphans)
            # Items that other sources also carried now belong to the best-ranked of them.
            best = (
                "(select s.source_id from item_sources s join sources so on so.id = s.source_id "
                f"where s.item_id = items.id order by {tier_rank_sql('so.tier')}, "
                "s.first_seen_at limit 1)"
            )
            db.execute(
                f"update items set source_id = {best}, "
                f"tier = (select tier from sources where id = {best}) where source_id = ?",
                [source_id],
            )
            refresh_stories(db, stories)
            db.execute("delete from fetches where source_id = ?", [source_id])
            db.execute("delete from sources where id = ?", [source_id])
        return len(orphans)

    def _delete_items(self, db: Database, ids: Sequence[str]) -> None:
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            for table in self._item_child_tables(db):
                db.execute(f"delete from [{table}] where item_id in ({marks})", chunk)
            db.execute(f"delete from items where id in ({marks})", chunk)

    def _item_child_tables(self, db: Database) -> list[str]:
        return [
            t
            for t in db.table_names()
            if t != "items" and not t.startswith("items_fts") and "item_id" in db[t].columns_dict
        ]

    # --- items -------------------------------------------------------------------------------

    def story_book(self, now: datetime) -> StoryBook:
        from veille.stories import StoryBook

        return StoryBook(self.db, now)

    def write_source(self, source: Source, **kwargs: Any) -> WriteOutcome:
        """Everything one fetch of one source changes, in one transaction: all or nothing."""
        outcome = self.write_sources([SourceWrite(source, **kwargs)])[0]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def write_sources(self, writes: Sequence[SourceWrite]) -> list[WriteOutcome | Exception]:
        """Several sources' writes in one transaction (one commit), each source all or nothing
        within it: a source whose write fails is rolled back to its savepoint and gets its
        exception in the list, the others are kept. A failure of the transaction itself (its
        BEGIN or COMMIT, or an error after which SQLite rolled back everything: a full disk)
        raises, and nothing of the group is stored."""
        out: list[WriteOutcome | Exception] = []
        with self.immediate() as db:
            for write in writes:
                db.execute("SAVEPOINT source_write")
                try:
                    outcome = write_one(db, write)
                except Exception as e:  # noqa: BLE001 - this source's failure only (see the docstring)
                    if not db.conn.in_transaction:
                        raise  # SQLite gave up the whole transaction: the group is lost
                    db.execute("ROLLBACK TO source_write")
                    db.execute("RELEASE source_write")
                    out.append(e)
                else:
                    db.execute("RELEASE source_write")
                    out.append(outcome)
        return out

    # Reads the pipeline needs before a source's transaction (no network call may happen in it).

    def known_item_ids(self, ids: Sequence[str]) -> set[str]:
        known: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            known.update(r[0] for r in self.db.execute(f"select id from items where id in ({marks})", chunk))
        return known

    def previous_page_text(self, source_id: str) -> str | None:
        """The text of the last stored version of a page (None before the first)."""
        row = self.db.execute(
            "select content, summary from items where source_id = ? order by fetched_at desc, rowid desc limit 1",
            [source_id],
        ).fetchone()
        return (row[0] or row[1] or "") if row else None

    # --- checks ------------------------------------------------------------------------------

    def integrity(self) -> str:
        return str(self.db.execute("PRAGMA integrity_check").fetchone()[0])

    def fts_consistent(self) -> bool:
        """Index rows = table rows, and FTS5's own integrity check against the items table."""
        try:
            self.db.execute("insert into items_fts(items_fts, rank) values ('integrity-check', 1)")
        except sqlite3.DatabaseError:
            return False
        return bool(
            self.db.execute("select count(*) from items").fetchone()[0]
            == self.db.execute("select count(*) from items_fts_docsize").fetchone()[0]
        )
