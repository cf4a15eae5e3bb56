"""The CLI lets no bad data in (issue 9): a clear one-line error naming the option or the input,
feeds.yaml untouched; and what a user needs to undo: remove by address, purge a removed source."""

from __future__ import annotations

import hashlib
import os
import resource
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from tests.helpers import collect_all, rows, run_cli
from veille.config import load_config

RSS = (
    '<rss version="2.0"><channel><title>Fil</title>'
    "<item><title>Rappel de lots</title><link>https://ansm.sante.fr/a/1</link><guid>a1</guid></item>"
    "</channel></rss>"
)


def last_line(result) -> str:
    return result.output.strip().splitlines()[-1]


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "feeds.yaml"
    path.write_text(
        "# mes sources\nsources:\n  - id: ansm\n    name: ANSM\n    url: https://ansm.sante.fr/rss/actualites\n",
        encoding="utf-8",
    )
    return path


def test_an_address_in_capitals_is_a_duplicate(config, db):
    before = config.read_text(encoding="utf-8")
    for address in ("HTTPS://ANSM.SANTE.FR/rss/actualites", "https://Ansm.Sante.Fr/rss/actualites/"):
        result = run_cli(config, db, "sources", "add", address, "--no-check")
        assert result.exit_code == 2
        assert last_line(result) == "Error: this address is already followed as 'ansm' (ANSM); nothing was added"
    assert config.read_text(encoding="utf-8") == before


def test_a_new_address_is_stored_with_a_lower_case_host(config, db):
    result = run_cli(config, db, "sources", "add", "HTTPS://WWW.HAS-SANTE.FR/Flux/RSS", "--no-check", "--name", "HAS")
    assert result.exit_code == 0, result.output
    assert load_config(str(config)).source("has").url == "https://www.has-sante.fr/Flux/RSS"


@pytest.mark.parametrize(
    "address, message",
    [
        ("https://hello world", "'https://hello world': 'hello world' is not a valid host name"),
        ("https://@ansm", "'https://@ansm': a user name or password in the address ('…@') is not supported"),
        ("https://ansm.sante.fr:99999/rss", "'https://ansm.sante.fr:99999/rss': the port must be a number from 1 to 65535"),
        ("https://ansm.sante.fr/a b", "'https://ansm.sante.fr/a b': spaces and control characters must be percent-encoded (%20)"),
        ("pubmed:", "'pubmed:': nothing after 'pubmed:'; write it like pubmed:\"heart failure\"[ti]"),
        ('pubmed:""', "'pubmed:\"\"': nothing after 'pubmed:'; write it like pubmed:\"heart failure\"[ti]"),
    ],
)
def test_no_check_still_checks_the_syntax(config, db, address, message):
    before = config.read_text(encoding="utf-8")
    result = run_cli(config, db, "sources", "add", address, "--no-check")
    assert result.exit_code == 2
    assert last_line(result) == f"Error: {message}"
    assert config.read_text(encoding="utf-8") == before


@pytest.mark.parametrize(
    "option, message",
    [
        (["--lang", "français"], "--lang 'français' must be a language code such as fr or en"),
        (["--id", "mon flux"], "--id 'mon flux' must be a slug: lower-case letters, digits, '-' or '_' (e.g. mon-flux)"),
        (["--every", "3000000d"], "--every: interval '3000000d' is too long: the maximum is 31d"),
        (["--every", "bientôt"], "--every: invalid interval 'bientôt': write it like 30m, 2h or 1d"),
        (["--name", "  "], "--name is empty"),
    ],
)
def test_bad_options_are_blamed_not_feeds_yaml(config, db, option, message):
    result = run_cli(config, db, "sources", "add", "https://www.has-sante.fr/rss", "--no-check", *option)
    assert result.exit_code == 2
    assert last_line(result) == f"Error: {message}"
    assert "feeds.yaml" not in result.output


@pytest.mark.parametrize(
    "address, kind, tier",
    [
        ("@someone@med-mastodon.com", "mastodon", "social"),
        ("santepubliquefr.bsky.social", "bluesky", "social"),
        ("https://www.youtube.com/channel/UCQ1bWmiwCgj0_KDpDYdBvNw", "youtube", "social"),
        ('pubmed:"heart failure"[ti]', "pubmed", "journal"),
        ("https://www.egora.fr/rss", "feed", "press"),
    ],
)
def test_new_sources_get_the_tier_of_their_kind(config, db, address, kind, tier):
    result = run_cli(config, db, "sources", "add", address, "--no-check")
    assert result.exit_code == 0, result.output
    added = load_config(str(config)).sources[-1]
    assert (added.kind, added.tier) == (kind, tier)


def test_tier_option_wins_over_the_kind_default(config, db):
    assert run_cli(config, db, "sources", "add", "@has@med-mastodon.com", "--no-check", "--tier", "official").exit_code == 0
    assert load_config(str(config)).sources[-1].tier == "official"


def test_remove_by_address_then_purge_the_removed_source(server, tmp_path, db):
    path = tmp_path / "feeds.yaml"
    url = server.add("/egora.xml", RSS)
    path.write_text(f"sources:\n  - id: egora\n    name: Egora\n    url: {url}\n", encoding="utf-8")
    collect_all(path, db)
    assert len(rows(db, "select 1 from items where source_id = 'egora'")) == 1
    result = run_cli(path, db, "sources", "remove", url.upper().replace("/EGORA.XML", "/egora.xml"))
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"removed 'egora' from {path}\nits items stay; `veille sources purge egora` deletes them\n"
    )
    # Removed from feeds.yaml: `remove --purge` cannot find it any more, `purge` can.
    again = run_cli(path, db, "sources", "remove", "egora", "--purge")
    assert again.exit_code == 2 and "no source with id or address 'egora'" in again.output
    purged = run_cli(path, db, "sources", "purge", "egora")
    assert purged.exit_code == 0, purged.output
    assert purged.output == "purged 1 items that only 'egora' carried\n"
    assert rows(db, "select * from items") == [] and rows(db, "select * from sources") == []
    unknown = run_cli(path, db, "sources", "purge", "egora")
    assert unknown.exit_code == 2
    assert last_line(unknown) == f"Error: no source 'egora' in {db}: nothing to purge"


def test_purge_refuses_a_source_still_configured(config, db):
    result = run_cli(config, db, "sources", "purge", "ansm")
    assert result.exit_code == 2
    assert last_line(result) == (
        f"Error: 'ansm' is still in {config}; `veille sources remove ansm --purge` removes it and its items"
    )


def test_digest_mail_to_with_a_newline_is_refused(tmp_path, db):
    result = run_cli(tmp_path / "feeds.yaml", db, "digest", "--mail-to", "moi@chu.fr\nBcc: tous@chu.fr")
    assert result.exit_code == 2
    assert last_line(result) == (
        "Error: --mail-to: 'moi@chu.fr\\nBcc: tous@chu.fr' spans several lines; "
        "give one address per list entry (- a@b.fr)"
    )


# --- a full disk ------------------------------------------------------------------------------------

def _limited(max_bytes: int):
    """In the child: files cannot grow past ``max_bytes`` (EFBIG, as a full disk gives ENOSPC),
    and the signal that would kill the process for it is ignored, so the write call fails."""

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))

    return apply


# Big enough for SQLite's 32 KB WAL index (opening the database maps it), too small for the rest.
FILE_LIMIT = 40_000


def veille_on_a_full_disk(config, db, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "veille", "--config", str(config), "--db", str(db), *args],
        capture_output=True, text=True, preexec_fn=_limited(FILE_LIMIT), timeout=60,
        env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"),
    )


def test_full_disk_during_sources_add_leaves_feeds_yaml_untouched(config, db):
    before = config.read_text(encoding="utf-8")
    config.write_text(before + "# " + "x" * FILE_LIMIT + "\n", encoding="utf-8")  # bigger than the limit
    before = config.read_text(encoding="utf-8")
    done = veille_on_a_full_disk(config, db, "sources", "add", "https://www.egora.fr/rss", "--no-check")
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == (
        f"Error: {config}: could not write (File too large; a full disk or a read-only directory?); "
        "the file is unchanged"
    )
    assert config.read_text(encoding="utf-8") == before
    assert sorted(p.name for p in config.parent.iterdir() if p.name.startswith(".feeds-")) == []


def words(n: int) -> str:
    """Eight words no other item shares (so that dedup keeps 300 stories apart)."""
    return " ".join(hashlib.sha256(f"{n}-{k}".encode()).hexdigest()[:9] for k in range(8))


def test_full_disk_during_digest_out(server, tmp_path, db):
    now = datetime.now(UTC)
    items = "".join(
        f"<item><title>Lot {words(n)}</title><link>https://ansm.sante.fr/ruptures/{n}</link><guid>r{n}</guid>"
        f"<pubDate>{format_datetime(now - timedelta(minutes=n))}</pubDate>"
        f"<description>Lot {words(n + 1000)}</description></item>"
        for n in range(300)
    )
    config = tmp_path / "feeds.yaml"
    url = server.add("/r.xml", f'<rss version="2.0"><channel><title>ANSM</title>{items}</channel></rss>')
    config.write_text(f"sources:\n  - id: ansm\n    name: ANSM\n    url: {url}\n", encoding="utf-8")
    collect_all(config, db)
    assert len(run_cli(config, db, "digest").output) > FILE_LIMIT  # the digest cannot fit
    out = tmp_path / "digest.md"
    done = veille_on_a_full_disk(config, db, "digest", "--out", str(out))
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip() == f"Error: could not write {out}: File too large (nothing was written; a full disk?)"
    assert not out.exists() and [p for p in tmp_path.iterdir() if p.name.startswith(".digest")] == []


def test_full_disk_during_collect_s_source_sync(tmp_path, db):
    # 400 sources (an OPML import): recording them takes more than the disk has left.
    config = tmp_path / "feeds.yaml"
    config.write_text("sources:\n" + "".join(
        f"  - {{id: source-{n}, name: Source {n}, url: 'https://flux{n}.example.org/rss.xml'}}\n" for n in range(400)
    ), encoding="utf-8")
    done = veille_on_a_full_disk(config, db, "collect")
    assert done.returncode == 2, done.stderr
    message = done.stderr.strip()
    assert message.startswith("Error: could not record the sources in the database (") and "\n" not in message
    assert message.endswith("); nothing was collected")
    assert rows(db, "select * from sources") == []


def test_enable_and_disable_take_the_address_too(config, db):
    assert run_cli(config, db, "sources", "disable", "HTTPS://ANSM.SANTE.FR/rss/actualites").output == "disabled 'ansm'\n"
    assert load_config(str(config)).source("ansm").enabled is False
    assert run_cli(config, db, "sources", "enable", "https://ansm.sante.fr/rss/actualites").output == "enabled 'ansm'\n"
    assert load_config(str(config)).source("ansm").enabled is True
    assert "# mes sources" in config.read_text(encoding="utf-8")
