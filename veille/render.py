"""A Digest -> Markdown, HTML, JSON or Atom text.

Every piece of feed text arrives cleaned by news.clean() and is escaped here for its format
(Markdown escapes, HTML escaped then passed through nh3, XML by ElementTree); links are kept
only when they are http(s)."""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import nh3

from veille.arrange import DEFAULT_BASE_URL, TEXT, TIER_LABELS, Digest, Entry, SourceRef
from veille.errors import VeilleError
from veille.news import safe_url
from veille.normalise import utc_iso

FORMATS = ("md", "html", "json", "atom")
SCHEMA_VERSION = 1
SCHEMA_ID = "https://github.com/veille/veille/blob/main/docs/digest-schema.json"


def _local(moment: datetime, digest: Digest) -> datetime:
    return moment.astimezone(ZoneInfo(digest.period.timezone))


def _when(moment: datetime, digest: Digest) -> str:
    local = _local(moment, digest)
    return local.strftime("%d/%m/%Y %H:%M" if digest.lang == "fr" else "%Y-%m-%d %H:%M")


def _heading(digest: Digest) -> str:
    t = TEXT[digest.lang]
    if re.match(r"^\d{4}-\d{2}-\d{2}$", digest.period.label):
        day = date.fromisoformat(digest.period.label)
        return f"{t['title']} — {day.strftime('%d/%m/%Y') if digest.lang == 'fr' else day.isoformat()}"
    return f"{t['title']} — {_when(digest.period.end, digest)}"


def _period_line(digest: Digest) -> str:
    t = TEXT[digest.lang]
    n = len(digest.entries)
    return (
        f"{t['period']}{_colon(digest.lang)}{t['from']} {_when(digest.period.start, digest)} {t['to']} "
        f"{_when(digest.period.end, digest)} ({digest.period.timezone}) · {n} "
        f"{t['story'] if n == 1 else t['stories']}"
    )


def _counts(digest: Digest) -> tuple[str, str]:
    spec = " · ".join(f"{digest.specialty_label(s)} {n}" for s, n in digest.specialty_counts)
    kinds = " · ".join(f"{digest.type_label(k)} {n}" for k, n in digest.type_counts)
    return spec, kinds


def _filters_line(digest: Digest) -> str | None:
    specs, types = digest.filters
    if not specs and not types:
        return None
    parts = [digest.specialty_label(s) for s in specs] + [digest.type_label(k) for k in types]
    return TEXT[digest.lang]["filters"] + _colon(digest.lang) + ", ".join(parts)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#|~!&])")


def md_escape(text: str) -> str:
    """Feed text that Markdown shows literally: the punctuation that can start emphasis, code,
    links, HTML or entities is escaped (feed text never starts a line, so - + . # are harmless)."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def _md_url(url: str) -> str:
    # The <...> destination form takes any URL except <, > and line ends; encode those.
    return "<" + quote(url, safe="/:?#[]@!$&'()*+,;=%-._~") + ">"


def _md_entry_meta(e: Entry, digest: Digest) -> str:
    tier = TIER_LABELS[digest.lang].get(e.source.tier, e.source.tier)
    parts = [f"{md_escape(e.source.name)} ({tier})", _when(e.published_at, digest), digest.type_label(e.item_type)]
    if e.specialties:
        parts.append(", ".join(digest.specialty_label(s) for s in e.specialties))
    return " · ".join(parts)


def _md_title(e: Entry) -> str:
    return f"[{md_escape(e.title)}]({_md_url(e.url)})" if e.url else md_escape(e.title)


def render_markdown(digest: Digest) -> str:
    t = TEXT[digest.lang]
    # Headings, labels and counts are Veille's own text; feed text (titles, source names) is
    # escaped where it is inserted.
    out = [f"# {_heading(digest)}", "", _period_line(digest)]
    filters = _filters_line(digest)
    if filters:
        out += ["", filters]
    if not digest.entries:
        out += ["", t["nothing"], ""]
        return "\n".join(out)
    spec, kinds = _counts(digest)
    out += [""]
    if spec:
        out.append(f"**{t['by_specialty']}**{_colon(digest.lang)}{spec}  ")
    out.append(f"**{t['by_type']}**{_colon(digest.lang)}{kinds}")
    if digest.spikes:
        out += ["", "## Pics d'activité", ""] + [f"- {md_escape(line)}" for line in digest.spikes]
    if digest.alerts:
        out += ["", f"## ⚠ {t['alerts']}", ""]
        for e in digest.alerts:
            out.append(f"- **{digest.type_label(e.item_type)}** — {_md_title(e)} — {md_escape(e.alert_from or e.source.name)}")
    for group in digest.groups:
        out += ["", f"## {digest.specialty_label(group.specialty)} ({len(group.entries)})", ""]
        for e in group.entries:
            flag = "⚠ " if e.alert else ""
            out.append(f"- {flag}{_md_title(e)}  ")
            line = f"  {_md_entry_meta(e, digest)}"
            if e.summary:
                line += f"  \n  {md_escape(e.summary)}"
            if e.also:
                line += f"  \n  {t['also']}{_colon(digest.lang)}" + ", ".join(md_escape(s.name) for s in e.also)
            out.append(line)
    out.append("")
    return "\n".join(out)


CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; "
    "form-action 'none'"
)
CSS = """
body{margin:0;padding:16px;background:#f6f7f9;color:#1d2330;font:15px/1.45 -apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
main{max-width:760px;margin:0 auto;background:#fff;padding:20px 24px;border:1px solid #dde1e7;border-radius:6px}
h1{font-size:22px;margin:0 0 6px}h2{font-size:18px;margin:24px 0 8px;padding-bottom:4px;border-bottom:1px solid #dde1e7}
p{margin:4px 0}ul{padding-left:20px;margin:6px 0}li{margin:0 0 10px}
a{color:#0b57d0}.meta,.period,.also{color:#555e6d;font-size:13px}.counts{font-size:14px}
.alerts{background:#fff4e5;border:1px solid #f0b46c;border-radius:6px;padding:8px 14px;margin-top:14px}
.alerts h2{border:0;margin:6px 0;color:#8a4b00}.flag{color:#b3261e;font-weight:bold}
""".strip()
_HTML_TAGS = {"main", "header", "section", "h1", "h2", "p", "ul", "li", "a", "span", "strong", "em"}


def _colon(lang: str) -> str:
    return " : " if lang == "fr" else ": "  # French typography puts a space before the colon


def _h(text: str) -> str:
    return html.escape(text, quote=True)


def _html_title(e: Entry) -> str:
    if e.url:
        return f'<a href="{_h(e.url)}">{_h(e.title)}</a>'
    return f"<span>{_h(e.title)}</span>"


def render_html(digest: Digest) -> str:
    """A self-contained page: inline CSS, no script, a restrictive CSP, nh3 over the body."""
    t = TEXT[digest.lang]
    body = ["<main>", "<header>", f"<h1>{_h(_heading(digest))}</h1>", f'<p class="period">{_h(_period_line(digest))}</p>']
    filters = _filters_line(digest)
    if filters:
        body.append(f'<p class="period">{_h(filters)}</p>')
    if digest.entries:
        spec, kinds = _counts(digest)
        if spec:
            body.append(f'<p class="counts"><strong>{_h(t["by_specialty"])}</strong>{_colon(digest.lang)}{_h(spec)}</p>')
        body.append(f'<p class="counts"><strong>{_h(t["by_type"])}</strong>{_colon(digest.lang)}{_h(kinds)}</p>')
    body.append("</header>")
    if not digest.entries:
        body.append(f"<p>{_h(t['nothing'])}</p>")
    if digest.spikes:
        body += ['<section class="spikes">', "<h2>Pics d'activité</h2>", "<ul>"]
        body += [f"<li>{_h(line)}</li>" for line in digest.spikes]
        body += ["</ul>", "</section>"]
    if digest.alerts:
        body += ['<section class="alerts">', f"<h2>⚠ {_h(t['alerts'])}</h2>", "<ul>"]
        for e in digest.alerts:
            body.append(
                f'<li><span class="flag">{_h(digest.type_label(e.item_type))}</span> — {_html_title(e)} '
                f'<span class="meta">— {_h(e.alert_from or e.source.name)}</span></li>'
            )
        body += ["</ul>", "</section>"]
    for group in digest.groups:
        body += ["<section>", f"<h2>{_h(digest.specialty_label(group.specialty))} ({len(group.entries)})</h2>", "<ul>"]
        for e in group.entries:
            flag = '<span class="flag">⚠</span> ' if e.alert else ""
            tier = TIER_LABELS[digest.lang].get(e.source.tier, e.source.tier)
            meta = [f"{e.source.name} ({tier})", _when(e.published_at, digest), digest.type_label(e.item_type)]
            if e.specialties:
                meta.append(", ".join(digest.specialty_label(s) for s in e.specialties))
            item = f"<li>{flag}<strong>{_html_title(e)}</strong>"
            item += f'<p class="meta">{_h(" · ".join(meta))}</p>'
            if e.summary:
                item += f'<p class="summary">{_h(e.summary)}</p>'
            if e.also:
                item += f'<p class="also">{_h(t["also"])}{_colon(digest.lang)}{_h(", ".join(s.name for s in e.also))}</p>'
            body.append(item + "</li>")
        body += ["</ul>", "</section>"]
    body.append("</main>")
    fragment = "\n".join(body)
    # Defence in depth: whatever slipped through the escaping, only these tags, classes and
    # http(s) links survive.
    safe = nh3.clean(
        fragment,
        tags=_HTML_TAGS,
        attributes={"a": {"href"}, "*": {"class"}},
        url_schemes={"http", "https"},
        link_rel="noopener noreferrer",
    )
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{digest.lang}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_h(_heading(digest))}</title>\n<style>\n{CSS}\n</style>\n</head>\n<body>\n"
        f"{safe}\n</body>\n</html>\n"
    )


def to_data(digest: Digest) -> dict[str, Any]:
    """The digest as plain data, following docs/digest-schema.json."""

    def ref(s: SourceRef) -> dict[str, str]:
        return {"id": s.id, "name": s.name, "tier": s.tier}

    def story(e: Entry) -> dict[str, Any]:
        return {
            "id": e.story_id,
            "title": e.title,
            "url": e.url,
            "published_at": utc_iso(e.published_at),
            "source": ref(e.source),
            "also_reported_by": [ref(s) for s in e.also],
            "source_count": e.source_count,
            "official": e.official,
            "type": e.item_type,
            "type_label": digest.type_label(e.item_type),
            "alert": e.alert,
            "alert_from": e.alert_from,
            "summary": e.summary,
            "specialties": [{"slug": s, "label": digest.specialty_label(s)} for s in e.specialties],
        }

    return {
        "$schema": SCHEMA_ID,
        "version": SCHEMA_VERSION,
        "title": _heading(digest),
        "lang": digest.lang,
        "timezone": digest.period.timezone,
        "period": {"label": digest.period.label, "start": utc_iso(digest.period.start), "end": utc_iso(digest.period.end)},
        "filters": {"specialties": list(digest.filters[0]), "types": list(digest.filters[1])},
        "counts": {
            "stories": len(digest.entries),
            "by_specialty": [{"slug": s, "label": digest.specialty_label(s), "count": n} for s, n in digest.specialty_counts],
            "by_type": [{"type": k, "label": digest.type_label(k), "count": n} for k, n in digest.type_counts],
        },
        "alerts": [e.story_id for e in digest.alerts],
        "groups": [
            {"specialty": g.specialty, "label": digest.specialty_label(g.specialty), "stories": [e.story_id for e in g.entries]}
            for g in digest.groups
        ],
        "stories": [story(e) for e in digest.entries],
        **({"spikes": list(digest.spikes)} if digest.spikes else {}),
        "message": None if digest.entries else TEXT[digest.lang]["nothing"],
    }


def render_json(digest: Digest) -> str:
    return json.dumps(to_data(digest), ensure_ascii=False, indent=2) + "\n"


ATOM = "http://www.w3.org/2005/Atom"


def _feed_id(digest: Digest) -> str:
    specs, types = digest.filters
    suffix = "".join(f";specialty={s}" for s in specs) + "".join(f";type={k}" for k in types)
    return f"tag:veille,2026:digest/{digest.lang}/{digest.period.label}{suffix}"


def render_atom(digest: Digest, self_url: str | None = None) -> str:
    """An Atom 1.0 document: feed id/title/updated/link, and per story id/title/updated/link."""
    ET.register_namespace("", ATOM)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            el.text = text
        return el

    feed = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": digest.lang})
    sub(feed, "id", _feed_id(digest))
    sub(feed, "title", _heading(digest))
    sub(feed, "subtitle", _period_line(digest))
    updated = max((e.updated_at or e.published_at for e in digest.entries), default=digest.period.end)
    sub(feed, "updated", utc_iso(min(updated, digest.period.end) if digest.entries else digest.period.end))
    sub(feed, "link", rel="alternate", type="text/html", href=safe_url(digest.base_url) or DEFAULT_BASE_URL)
    if self_url and safe_url(self_url):
        sub(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    author = sub(feed, "author")
    sub(author, "name", "Veille")
    sub(feed, "generator", "Veille")
    t = TEXT[digest.lang]
    for e in digest.entries:
        entry = sub(feed, "entry")
        sub(entry, "id", f"tag:veille,2026:story/{e.story_id}")
        sub(entry, "title", (f"⚠ {digest.type_label(e.item_type)}{_colon(digest.lang)}" if e.alert else "") + e.title)
        sub(entry, "updated", utc_iso(e.updated_at or e.published_at))
        sub(entry, "published", utc_iso(e.published_at))
        if e.url:
            sub(entry, "link", rel="alternate", href=e.url)
        a = sub(entry, "author")
        sub(a, "name", e.source.name)
        for s in e.specialties:
            sub(entry, "category", term=s, label=digest.specialty_label(s), scheme="tag:veille,2026:specialty")
        sub(entry, "category", term=e.item_type, label=digest.type_label(e.item_type), scheme="tag:veille,2026:type")
        summary = [_md_entry_meta_plain(e, digest)]
        if e.summary:
            summary.append(e.summary)
        if e.also:
            summary.append(t["also"] + _colon(digest.lang) + ", ".join(s.name for s in e.also))
        sub(entry, "summary", "\n".join(summary), type="text")
    ET.indent(feed)
    return "<?xml version='1.0' encoding='utf-8'?>\n" + ET.tostring(feed, encoding="unicode") + "\n"


def _md_entry_meta_plain(e: Entry, digest: Digest) -> str:
    tier = TIER_LABELS[digest.lang].get(e.source.tier, e.source.tier)
    parts = [f"{e.source.name} ({tier})", _when(e.published_at, digest), digest.type_label(e.item_type)]
    if e.specialties:
        parts.append(", ".join(digest.specialty_label(s) for s in e.specialties))
    return " · ".join(parts)


def mail_subject(digest: Digest) -> str:
    t = TEXT[digest.lang]
    n = len(digest.entries)
    alerts = f", {len(digest.alerts)} ⚠" if digest.alerts else ""
    return f"{_heading(digest)} ({n} {t['story'] if n == 1 else t['stories']}{alerts})"


def render(digest: Digest, fmt: str, *, self_url: str | None = None) -> str:
    if fmt == "md":
        return render_markdown(digest)
    if fmt == "html":
        return render_html(digest)
    if fmt == "json":
        return render_json(digest)
    if fmt == "atom":
        return render_atom(digest, self_url=self_url)
    raise VeilleError(f"unknown format {fmt!r} (one of: {', '.join(FORMATS)})")
