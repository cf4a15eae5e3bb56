from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner, Result

from veille.cli import cli
from veille.config import load_config
from veille.models import SourceResult
from veille.pipeline import collect
from veille.store import Store


def run_cli(config: Path | str, db: Path | str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), "--db", str(db), *args], catch_exceptions=False)


def rows(db: Path | str, sql: str, params: tuple = ()) -> list[dict]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def one(db: Path | str, sql: str, params: tuple = ()):
    result = rows(db, sql, params)
    assert len(result) == 1, result
    return result[0]


def collect_all(config_path: Path | str, db_path: Path | str, *ids: str) -> dict[str, SourceResult]:
    """Collect in-process (no CLI), one result per source id."""
    with Store(str(db_path)) as store:
        return {r.source_id: r for r in collect(load_config(str(config_path)), store, ids)}
