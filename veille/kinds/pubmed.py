"""PubMed searches through NCBI E-utilities: esearch (the newest PMIDs for the query), then
esummary (their titles, journals, DOIs), both as JSON.

Address in feeds.yaml: the query, as typed in PubMed (``"heart failure"[ti] AND france[ad]``).
NCBI allows 3 requests per second, 10 with an API key: the key is read from the environment
variable ``NCBI_API_KEY`` (never from feeds.yaml), and every request to E-utilities waits its
turn on one pacer per collect run.
Settings: ``settings.pubmed.eutils`` (default https://eutils.ncbi.nlm.nih.gov/entrez/eutils),
``settings.pubmed.email`` (sent as NCBI asks, optional), ``settings.pubmed.max_results``
(PMIDs per fetch, default 50); ``settings.pubmed.web`` (item links, default
https://pubmed.ncbi.nlm.nih.gov).
"""

from __future__ import annotations

import os
import re
import weakref
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from veille.errors import ParseError
from veille.fetch import Fetcher
from veille.kinds._common import Pacer, Recognised, failed, get_json, setting, with_document
from veille.models import Entry, Feed, Fetched, Settings, Source, SourceState
from veille.parse import json_document, parse_date

EUTILS = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"
WEB = "https://pubmed.ncbi.nlm.nih.gov"
API_KEY_ENV = "NCBI_API_KEY"
MAX_RESULTS = 50
TOOL = "veille"
LANGS = {"eng": "en", "fre": "fr", "ger": "de", "spa": "es", "ita": "it", "por": "pt", "dut": "nl"}
_pacers: weakref.WeakKeyDictionary[Fetcher, Pacer] = weakref.WeakKeyDictionary()


def recognise(text: str) -> Recognised | None:
    """``pubmed:"query"``, ``pubmed:query``, or a PubMed search URL (``…/?term=…``)."""
    text = text.strip()
    if text.lower().startswith("pubmed:"):
        query = text[7:].strip()
        if len(query) >= 2 and query[0] == query[-1] and query[0] in "\"'" and query.count(query[0]) == 2:
            query = query[1:-1].strip()
        return Recognised("pubmed", query, name=f"PubMed: {query}") if query else None
    if "://" in text:
        parts = urlsplit(text)
        if (parts.hostname or "").lower() in ("pubmed.ncbi.nlm.nih.gov", "www.ncbi.nlm.nih.gov"):
            term = parse_qs(parts.query).get("term")
            if term and term[0].strip():
                return Recognised("pubmed", term[0].strip(), name=f"PubMed: {term[0].strip()}")
    return None


def rate(api_key: str | None) -> float:
    return 10.0 if api_key else 3.0


async def _get(fetcher: Fetcher, source: Source, url: str, api_key: str | None) -> tuple[Fetched, Any]:
    pacer = _pacers.setdefault(fetcher, Pacer())
    await pacer.wait(rate(api_key))
    return await get_json(fetcher, source, url)


async def fetch(fetcher: Fetcher, source: Source, state: SourceState, settings: Settings) -> Fetched:
    base = setting(settings, "pubmed", "eutils", EUTILS)
    conf = settings.section("pubmed")
    api_key = os.environ.get(API_KEY_ENV) or None
    common = {"db": "pubmed", "retmode": "json", "tool": TOOL}
    if isinstance(conf.get("email"), str):
        common["email"] = conf["email"]
    if api_key:
        common["api_key"] = api_key
    limit = conf.get("max_results")
    retmax = limit if isinstance(limit, int) and 0 < limit <= 500 else MAX_RESULTS
    search_url = f"{base}/esearch.fcgi?" + urlencode({**common, "term": source.url, "retmax": retmax, "sort": "pub_date"})
    search, doc = await _get(fetcher, source, search_url, api_key)
    if search.error:
        return failed(search, _explain(search))
    result = doc.get("esearchresult") if isinstance(doc, dict) else None
    if not isinstance(result, dict):
        message = doc.get("error") if isinstance(doc, dict) else None
        return failed(search, f"PubMed refused the search: {message or 'no esearchresult in its answer'}")
    if result.get("ERROR"):
        return failed(search, f"PubMed refused the query {source.url!r}: {result['ERROR']}")
    ids = [str(i) for i in result.get("idlist") or [] if str(i).isdigit()]
    meta = {"query": source.url, "count": result.get("count"), "web": setting(settings, "pubmed", "web", WEB)}
    if not ids:
        return with_document(search, {"result": {"uids": []}, "veille": meta})
    summary_url = f"{base}/esummary.fcgi?" + urlencode({**common, "id": ",".join(ids)})
    summary, sdoc = await _get(fetcher, source, summary_url, api_key)
    if summary.error:
        return failed(summary, _explain(summary))
    if not isinstance(sdoc, dict) or not isinstance(sdoc.get("result"), dict):
        message = sdoc.get("error") if isinstance(sdoc, dict) else None
        return failed(summary, f"PubMed esummary failed: {message or 'no result in its answer'}")
    return with_document(summary, {**sdoc, "veille": meta}, started=search)


def _explain(fetched: Fetched) -> str:
    if fetched.status == 429:
        return (
            "PubMed asks us to slow down (more than 3 requests per second without an API key; "
            f"set {API_KEY_ENV} for 10); Veille will wait before trying again"
        )
    return f"PubMed E-utilities: {fetched.error}"


def _date(record: dict[str, Any]) -> datetime | None:
    """The date the article entered PubMed, else its (e)publication date."""
    history = [h for h in record.get("history") or [] if isinstance(h, dict)]
    for status in ("pubmed", "entrez"):
        for entry in history:
            if entry.get("pubstatus") == status:
                moment = parse_date(str(entry.get("date") or ""))
                if moment:
                    return moment
    for key in ("sortpubdate", "epubdate", "pubdate"):
        raw = str(record.get(key) or "")
        moment = parse_date(raw)
        if moment:
            return moment
        match = re.match(r"^(\d{4})(?: (\w{3}))?(?: (\d{1,2}))?", raw)
        if match:
            try:
                return datetime.strptime(
                    f"{match.group(1)} {match.group(2) or 'Jan'} {match.group(3) or '1'}", "%Y %b %d"
                ).replace(tzinfo=UTC)
            except ValueError:
                continue
    return None


def _doi(record: dict[str, Any]) -> str | None:
    for aid in record.get("articleids") or []:
        if isinstance(aid, dict) and aid.get("idtype") == "doi" and aid.get("value"):
            return str(aid["value"]).strip()
    match = re.search(r"doi:\s*(10\.\S+)", str(record.get("elocationid") or ""))
    return match.group(1) if match else None


def record_entry(record: Any, *, web: str = WEB) -> Entry | None:
    if not isinstance(record, dict) or not str(record.get("uid", "")).isdigit():
        return None
    pmid = str(record["uid"])
    title = str(record.get("title") or "").strip()
    journal = str(record.get("fulljournalname") or record.get("source") or "").strip()
    names = [str(a.get("name")) for a in record.get("authors") or [] if isinstance(a, dict) and a.get("name")]
    authors = ", ".join(names[:6]) + (" et al." if len(names) > 6 else "")
    citation = " ".join(
        p for p in (
            f"{record.get('source') or journal}.",
            f"{record.get('pubdate')};" if record.get("pubdate") else "",
            f"{record.get('volume')}" + (f"({record.get('issue')})" if record.get("issue") else ""),
            f":{record.get('pages')}." if record.get("pages") else "",
        ) if p
    )
    doi = _doi(record)
    pubtypes = [str(t) for t in record.get("pubtype") or [] if isinstance(t, str)]
    summary_lines = [line for line in (authors, citation, f"DOI: {doi}" if doi else "", ", ".join(pubtypes)) if line]
    extra = [("pmid", pmid)]
    if doi:
        extra.append(("doi", doi))
    if journal:
        extra.append(("journal", journal))
    langs = record.get("lang") if isinstance(record.get("lang"), list) else []
    return Entry(
        guid=f"pmid:{pmid}",
        link=f"{web}/{pmid}/",
        title=title or None,
        summary="\n".join(summary_lines),
        author=authors or None,
        published=_date(record),
        lang=LANGS.get(str(langs[0])) if langs else None,
        extra=tuple(extra),
    )


def parse(body: bytes, *, url: str, options: dict[str, Any], max_items: int = 1000) -> Feed:
    """An esummary answer (JSON, version 2.0) -> Feed, in the order of its ``uids``."""
    doc = json_document(body, "a PubMed answer")
    result = doc.get("result") if isinstance(doc, dict) else None
    if not isinstance(result, dict):
        raise ParseError("not a PubMed answer: no 'result' in the esummary document")
    meta = doc.get("veille") if isinstance(doc.get("veille"), dict) else {}
    web = str(meta.get("web") or WEB)
    entries = []
    for uid in result.get("uids") or []:
        entry = record_entry(result.get(str(uid)), web=web)
        if entry is not None:
            entries.append(entry)
        if len(entries) >= max_items:
            break
    query = meta.get("query")
    return Feed(
        title=f"PubMed: {query}" if query else "PubMed",
        link=f"{web}/?{urlencode({'term': query, 'sort': 'date'})}" if query else None,
        lang=None,
        entries=tuple(entries),
    )
