"""French labels on Datasette's pages: cells, column titles, facets, query parameters, messages.

Registered by :func:`veille.webapp.make_datasette`. The data keep their slugs (``pediatrie``,
``recall``, ``official``, source ids): facets, JSON and links stay stable; only what a reader
sees is translated:

- ``render_cell``: specialties (a JSON list of slugs) as labels, type and tier in French, a
  source id as its name, the story as a link to ``/histoires/<id>``, other carriers by name;
- template helpers (``extra_template_vars``) used by Veille's French templates: column titles,
  facet labels, filter operators, counts with French thousands, the query form's drop-downs
  and date pickers, and why a Recherche came back empty;
- SQL functions for the canned queries: ``veille_date`` (``25/11/2026`` or ``2026-11-25`` ->
  ``2026-11-25``, NULL when not a date), ``veille_specialty`` (``Pédiatrie`` -> ``pediatrie``),
  ``veille_type`` (``rappel`` -> ``recall``).
"""

from __future__ import annotations

import json
import re
import time
from datetime import date
from functools import lru_cache
from typing import Any

from datasette import hookimpl
from markupsafe import Markup, escape

from veille.arrange import TIER_LABELS, TYPE_LABELS
from veille.models import ITEM_TYPES, SPECIALTIES
from veille.normalise import fold_words
from veille.plugins import table_html

DATABASE = "veille"
SOURCE_CACHE_SECONDS = 30.0

COLUMN_TITLES = {
    "date": "Date", "titre": "Titre", "source": "Source", "niveau": "Niveau", "type": "Type",
    "langue": "Langue", "specialites": "Spécialités", "resume": "Résumé", "histoire": "Histoire",
    "autres_sources": "Aussi publié par", "lien": "Lien", "nb_sources": "Sources",
    "nb_articles": "Articles", "sources": "Sources", "premiere_vue": "Première vue",
    "source_principale": "Source principale", "libelle": "Spécialité", "specialite": "Code",
    "articles": "Articles", "histoires": "Histoires", "dernier_article": "Dernier article",
    "nom": "Nom", "etat": "État", "dernier_succes": "Dernier succès",
    "derniere_erreur": "Dernière erreur", "erreurs": "Erreurs", "prochaine_collecte": "Prochaine collecte",
    "dernier_nouvel_article": "Dernier nouvel article", "rythme_habituel_h": "Rythme habituel (h)",
    "silence_h": "Silence (h)", "raison": "Raison", "adresse": "Adresse", "arrivee": "Arrivée",
}
LOOKUPS = {
    "exact": "=", "not": "≠", "contains": "contient", "notcontains": "ne contient pas",
    "endswith": "finit par", "startswith": "commence par", "gt": ">", "gte": "≥", "lt": "<",
    "lte": "≤", "like": "comme (LIKE)", "notlike": "pas comme (NOT LIKE)", "glob": "motif (glob)",
    "in": "parmi", "notin": "hors de", "arraycontains": "liste contient",
    "arraynotcontains": "liste ne contient pas", "date": "date", "isnull": "est vide",
    "notnull": "n'est pas vide", "isblank": "est vide ou blanc", "notblank": "n'est pas blanc",
}
CRUMBS = {"home": "La une", "veille": "Base"}
ERRORS = (
    (re.compile(r"^Table not found: (.*)$"), "Table introuvable : {0}"),
    (re.compile(r"^Table not found$"), "Table introuvable."),
    (re.compile(r"^Row not found$"), "Ligne introuvable."),
    (re.compile(r"^Database not found: (.*)$"), "Base introuvable : {0}"),
    (re.compile(r"^Row not found: (.*)$"), "Ligne introuvable : {0}"),
    (re.compile(r"^Database not found$"), "Base introuvable"),
    (re.compile(r"^Not found$", re.IGNORECASE), "Cette page n'existe pas."),
    (re.compile(r"^SQL query took too long.*", re.S), "La requête a pris trop de temps : ajoutez un mot ou un filtre."),
    (re.compile(r"^Forbidden.*"), "Accès refusé."),
)
# What a French reader may type for a type (plus the French and English labels and the slugs).
TYPE_WORDS = {
    "rappel": "recall", "rappels": "recall", "retrait": "recall", "rupture": "shortage",
    "ruptures": "shortage", "tension": "shortage", "tensions": "shortage", "penurie": "shortage",
    "securite": "safety", "alerte": "safety", "recommandation": "guideline",
    "recommandations": "guideline", "autorisation": "approval", "amm": "approval", "etude": "study",
    "etudes": "study", "evenement": "event", "congres": "event", "emploi": "job", "poste": "job",
    "actualite": "news", "actualites": "news",
}
PARAMS = {
    "texte": "Mots", "specialite": "Spécialité", "type": "Type", "depuis": "Depuis le",
    "jusqua": "Jusqu'au",
}
DATE_PARAMS = {"depuis", "jusqua"}
_FR_DATE = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})\s*$")
_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?\s*$")


def parse_date(value: object) -> str | None:
    """``25/11/2026``, ``25-11-2026``, ``2026-11-25`` -> ``2026-11-25``; None when not a date."""
    if not isinstance(value, str):
        return None
    match = _FR_DATE.match(value)
    try:
        if match:
            return date(int(match[3]), int(match[2]), int(match[1])).isoformat()
        match = _ISO_DATE.match(value)
        if match:
            return date(int(match[1]), int(match[2]), int(match[3])).isoformat()
    except ValueError:
        return None
    return None


def french_date(iso: str) -> str:
    return f"{iso[8:10]}/{iso[5:7]}/{iso[0:4]}"


@lru_cache(maxsize=1)
def specialty_labels() -> dict[str, str]:
    from veille.news import load_labels

    return {slug: fr for slug, (fr, _en) in load_labels(None).items()}


@lru_cache(maxsize=1)
def _specialty_words() -> dict[str, str]:
    words = {fold_words(slug): slug for slug in SPECIALTIES}
    for slug, label in specialty_labels().items():
        words[fold_words(label)] = slug
        words.setdefault(fold_words(label.split(",")[0]), slug)  # "Endocrinologie, diabétologie"
    return words


def canonical_specialty(value: object) -> object:
    """What a user typed or picked -> the slug (``Pédiatrie`` -> ``pediatrie``); '' stays ''."""
    if not isinstance(value, str) or not value.strip():
        return value
    return _specialty_words().get(fold_words(value), value.strip())


def canonical_type(value: object) -> object:
    if not isinstance(value, str) or not value.strip():
        return value
    word = fold_words(value)
    if word in ITEM_TYPES:
        return word
    for lang in ("fr", "en"):
        for slug, label in TYPE_LABELS[lang].items():
            if fold_words(label) == word:
                return slug
    return TYPE_WORDS.get(word, value.strip())


def tier_label(tier: object) -> str:
    label = TIER_LABELS["fr"].get(str(tier), str(tier))
    return label[:1].upper() + label[1:]


def column_title(column: str) -> str:
    return COLUMN_TITLES.get(column, column.replace("_", " ").capitalize())


def thousands(n: object) -> str:
    return f"{n:,}".replace(",", "\u202f") if isinstance(n, int) else str(n)


# What one row of each canned query is, as its page counts them.
QUERY_NOUNS = {
    "recherche": "article",
    "aujourdhui": "sujet",  # one row a story of the day, as in the digest
    "histoires": "histoire",
    "par_specialite": "spécialité",
    "sante_sources": "source",
}


def counted_rows(n: int, canned_query: object) -> str:
    """``25 articles``, ``1 article`` (French: the plural from 2), ``3 histoires``; ``3 lignes``
    for a query whose rows have no name (an SQL query typed by hand)."""
    noun = QUERY_NOUNS.get(str(canned_query), "ligne")
    return f"{thousands(n)} {noun}{'s' if abs(n) >= 2 else ''}"


def translate_error(message: object) -> str:
    text = str(message)
    for pattern, french in ERRORS:
        match = pattern.match(text)
        if match:
            return french.format(*match.groups())
    return text


def describe(text: str) -> str:
    """Datasette's ``human_description_en`` (``where type = "recall" sorted by date descending``)
    in French."""
    for old, new in (
        ("where ", "où "), (" and ", " et "), ("sorted by ", "triés par "), (" descending", " décroissant"),
        (" contains ", " contient "), (" is not ", " n'est pas "),
    ):
        text = text.replace(old, new)
    # Veille's search says `search matches "words"` (and the window note after it).
    return re.sub(r'search matches "(.*?)"(?= \(|$| et | triés )', r"recherche « \1 »", text)


def label_for(column: str, value: object, names: dict[str, str]) -> str | None:
    """The French text of a facet value or cell; None when the column is not a labelled one."""
    if value is None:
        return None
    text = str(value)
    if column == "specialites":
        return specialty_labels().get(text, text)
    if column == "type":
        return TYPE_LABELS["fr"].get(text, text)
    if column == "niveau":
        return tier_label(text)
    if column in ("source", "source_principale"):
        return names.get(text, text)
    if column == "langue":
        return {"fr": "français", "en": "anglais", "es": "espagnol", "de": "allemand"}.get(text, text)
    return None


def fresh_source_names(datasette) -> dict[str, str] | None:  # noqa: ANN001
    """The names read less than 30 s ago, or None (then :func:`source_names` reads them)."""
    cache = datasette.__dict__.get("_veille_source_names")
    if cache is None or time.monotonic() - cache["at"] > SOURCE_CACHE_SECONDS:
        return None
    return cache["names"]


async def source_names(datasette) -> dict[str, str]:  # noqa: ANN001
    """Source id -> name, read at most every 30 s."""
    cache = datasette.__dict__.setdefault("_veille_source_names", {"at": 0.0, "names": {}})
    if time.monotonic() - cache["at"] > SOURCE_CACHE_SECONDS:
        try:
            rows = await datasette.get_database(DATABASE).execute("select id, name from sources")
            cache["names"] = {r[0]: r[1] or r[0] for r in rows}
        except Exception:  # noqa: BLE001 - no sources table: ids are shown as they are
            cache["names"] = {}
        cache["at"] = time.monotonic()
    return cache["names"]


def _json_list(value: object) -> list[str] | None:
    if not isinstance(value, str) or not value.startswith("["):
        return None
    try:
        items = json.loads(value)
    except ValueError:
        return None
    return [str(i) for i in items if i is not None] if isinstance(items, list) else None


@hookimpl
def render_cell(row, value, column, table, database, datasette):  # noqa: ANN001, ANN201
    if database != DATABASE or table not in (None, "articles"):
        return None
    if column == "specialites":
        slugs = _json_list(value)
        if slugs is None:
            return None
        if not slugs:  # Datasette shows the raw "[]" when a plugin returns an empty string
            return Markup('<span class="veille-none" title="aucune spécialité">—</span>')
        return ", ".join(specialty_labels().get(s, s) for s in slugs)
    if column in ("type", "niveau", "langue") and isinstance(value, str):
        return label_for(column, value, {})
    if column == "histoire" and isinstance(value, str) and value:
        return Markup(f'<a href="/histoires/{escape(value)}">voir l\'histoire</a>')
    if column in ("source", "source_principale", "autres_sources", "sources") and isinstance(value, str) and value:
        fresh = fresh_source_names(datasette)
        if fresh is not None:  # the usual case: no coroutine per cell
            return ", ".join(fresh.get(s, s) for s in value.split(",") if s)

        async def inner():  # noqa: ANN202
            names = await source_names(datasette)
            return ", ".join(names.get(s, s) for s in value.split(",") if s)

        return inner
    return None


def param_widget(name: str, value: object) -> dict[str, Any]:
    """How the query form shows a parameter: a drop-down (specialty, type), a date picker
    (ISO value, shown JJ/MM/AAAA by the browser), or a text box."""
    label = PARAMS.get(name, name.replace("_", " ").capitalize())
    if name == "specialite":
        options = [("", "Toutes les spécialités")] + sorted(
            ((slug, specialty_labels().get(slug, slug)) for slug in SPECIALTIES), key=lambda o: fold_words(o[1]),
        )
        return {"kind": "select", "label": label, "options": options, "value": canonical_specialty(value or "")}
    if name == "type":
        options = [("", "Tous les types")] + [(t, TYPE_LABELS["fr"][t]) for t in ITEM_TYPES]
        return {"kind": "select", "label": label, "options": options, "value": canonical_type(value or "")}
    if name in DATE_PARAMS:
        iso = parse_date(value)
        # The field shows JJ/MM/AAAA (what was typed, when it was not a date); the picker, ISO.
        shown = french_date(iso) if iso else str(value or "")
        return {"kind": "date", "label": label, "value": iso or "", "shown": shown}
    return {"kind": "text", "label": label, "placeholder": "ex. bronchiolite, cardio*" if name == "texte" else ""}


async def why_empty(datasette, canned_query: str | None, params: dict[str, Any]) -> str:  # noqa: ANN001
    """Which filter of a Recherche left nothing, in a sentence."""
    if canned_query != "recherche":
        return "Aucun résultat."
    texte = str(params.get("texte") or "").strip()
    spec = str(params.get("specialite") or "").strip()
    kind = str(params.get("type") or "").strip()
    depuis = str(params.get("depuis") or "").strip()
    if depuis and parse_date(depuis) is None:
        return f"Aucun résultat : la date « {depuis} » n'est pas comprise ; écrivez-la JJ/MM/AAAA (par exemple 25/11/2026)."
    slug = canonical_specialty(spec)
    if spec and slug not in SPECIALTIES:
        return f"Aucun résultat : la spécialité « {spec} » n'existe pas ; choisissez-la dans la liste."
    item_type = canonical_type(kind)
    if kind and item_type not in ITEM_TYPES:
        return f"Aucun résultat : le type « {kind} » n'existe pas ; choisissez-le dans la liste."
    db = datasette.get_database(DATABASE)
    conditions: list[str] = []
    values: dict[str, Any] = {"texte": texte, "spec": slug, "type": item_type, "depuis": parse_date(depuis)}
    steps = []
    if texte:
        steps.append(("i.rowid in (select rowid from items_fts where items_fts match veille_fts(:texte) "
                      "order by rowid desc limit 2000)", f"aucun article ne contient « {texte} »"))
    if spec:
        steps.append(("i.id in (select item_id from item_specialties where specialty = :spec)",
                      f"aucun en {specialty_labels().get(str(slug), slug)}"))
    if kind:
        steps.append(("i.item_type = :type", f"aucun de type {TYPE_LABELS['fr'].get(str(item_type), item_type)}"))
    if depuis:
        steps.append(("i.published_at >= :depuis", f"aucun depuis le {french_date(str(values['depuis']))}"))
    said: list[str] = []
    for condition, sentence in steps:
        conditions.append(condition)
        found = await db.execute(f"select 1 from items i where {' and '.join(conditions)} limit 1", values)
        if not found.rows:
            if not said:
                return f"Aucun résultat : {sentence}."
            return f"Aucun résultat : des articles correspondent ({', '.join(said)}), mais {sentence}."
        said.append(sentence_ok(condition, texte, slug, item_type))
    return "Aucun résultat."


def sentence_ok(condition: str, texte: str, slug: object, item_type: object) -> str:
    if "items_fts" in condition:
        return f"« {texte} »"
    if "item_specialties" in condition:
        return specialty_labels().get(str(slug), str(slug))
    if "item_type" in condition:
        return TYPE_LABELS["fr"].get(str(item_type), str(item_type))
    return "date"


@hookimpl
def extra_template_vars(datasette, request):  # noqa: ANN001, ANN201
    async def inner() -> dict[str, Any]:
        names = await source_names(datasette)

        def facet_label(column: str, value: object, label: object) -> str:
            return label_for(column, value, names) or str(label if label is not None else "")

        async def empty(canned_query: str | None, params: dict[str, Any]) -> str:
            return await why_empty(datasette, canned_query, params)

        return {"veille_label": facet_label, "veille_why_empty": empty}

    return inner


def _plain_label(column: str, value: object, label: object) -> str:
    return label_for(column, value, {}) or str(label if label is not None else "")


async def _no_reason(canned_query: str | None, params: dict[str, Any]) -> str:
    return "Aucun résultat."


@hookimpl
def prepare_jinja2_environment(env):  # noqa: ANN001, ANN201
    """Helpers every Veille template may use, error pages included (extra_template_vars adds the
    ones that read the database: source names, why a search is empty)."""
    env.filters["veille_description"] = lambda text: escape(describe(str(text)))
    env.globals.update(
        veille_column_title=column_title,
        veille_label=_plain_label,
        veille_lookups=LOOKUPS,
        veille_count=thousands,
        veille_counted_rows=counted_rows,
        veille_crumb=lambda label: CRUMBS.get(str(label), label),
        veille_error=translate_error,
        veille_param=param_widget,
        veille_why_empty=_no_reason,
        veille_visible=table_html.visible,
        veille_table_rows=table_html.table_rows,
        veille_query_rows=table_html.query_rows,
        veille_facet_lists=table_html.facet_lists,
    )


@hookimpl
def prepare_connection(conn) -> None:  # noqa: ANN001
    conn.create_function("veille_date", 1, parse_date, deterministic=True)
    conn.create_function("veille_specialty", 1, canonical_specialty, deterministic=True)
    conn.create_function("veille_type", 1, canonical_type, deterministic=True)
