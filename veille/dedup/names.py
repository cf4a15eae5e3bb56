"""Names that make two titles different stories: drugs (ATC, read through :mod:`veille.vocab`,
the tagger's vocabulary) and places. Loaded once, folded for comparison.

* Drugs: the ATC table of ``veille/taxonomy/vocab/atc_fr.tsv`` (edsnlp's resources, BSD 3-clause,
  see that folder's README): ATC codes to French brand names and international non-proprietary
  names (INN), kept with the spelling rules dedup needs (length, everyday words, English INN).
* Countries: ISO 3166 names in English and French from pycountry; French regions and
  départements from pycountry's subdivisions; the largest cities of the French-speaking world
  and a few world capitals, written here.
"""

from __future__ import annotations

import functools
import gettext
import re
from dataclasses import dataclass

from veille.normalise import fold_words

__all__ = ["GENERIC_MAKERS", "Drug", "areas", "article_places", "drugs", "places", "supplement_drugs"]

# Names in the ATC table that are also ordinary words of titles.
_NOT_DRUG_NAMES = frozenset(
    """
    gel art solution divers cristal daily fer zinc mag muse alma acti alli dio ery femi lyso omix
    pilo toco calcium magnesium potassium sodium oxygene oxygen eau water air iode fluor charbon
    vitamine vitamines glucose sucre lait miel argile menthe levure ethanol alcool
    huile sel soufre fer2 orap keal fonx serc edex evra icaz itax ixel jext moex tobi yaz emla
    """.split()
)


_ACID = re.compile(r"^(\w{4,})ique acide$")
_SALT = re.compile(r"^(\w{4,}ate) de (?:sodium|potassium|calcium|magnesium|lithium)$|^(\w{4,}) (?:sodique|potassique|calcique|magnesique)$")
# Makers of generics: an INN with a maker's name ("Ibuprofène Mylan") is one generic, a product
# of its own, never the same as a brand ("Nurofen") or another maker's generic.
GENERIC_MAKERS = frozenset(
    """
    mylan viatris biogaran arrow sandoz teva zentiva cristers ratiopharm accord substipharm zydus
    almus krka evolugen eg winthrop medac aguettant panpharma
    """.split()
)


@dataclass(frozen=True)
class Drug:
    name: str  # folded
    codes: frozenset[str]  # ATC codes
    inn: bool  # an international non-proprietary name (a substance), not a brand


@functools.cache
def drugs() -> dict[str, Drug]:
    """Folded drug name (one or more words) -> Drug. English INN spellings are added for French
    ones ending in -e (amoxicilline -> amoxicillin, ibuprofene -> ibuprofen). Then the tagger's
    hand-written supplement (`supplement_drugs`): newer substances and brands, English INNs."""
    from veille.vocab import atc_drugs

    codes: dict[str, set[str]] = {}
    inn: dict[str, bool] = {}
    for entry in atc_drugs():
        folded = fold_words(entry.name)
        if len(folded) < 5 or folded in _NOT_DRUG_NAMES or len(folded.split()) > 3:
            continue
        substance = entry.kind == "inn"
        variants = _variants(folded, substance)
        salt = _SALT.match(folded)
        if salt:  # "valproate de sodium", "lévothyroxine sodique": titles say "valproate", the substance
            variants.append(salt.group(1) or salt.group(2))
            substance = True
        for v in variants:
            codes.setdefault(v, set()).add(entry.code)
            inn[v] = inn.get(v, False) or substance
    for name, (found, substance) in supplement_drugs(codes).items():
        if name not in codes:
            codes[name] = set(found)
            inn[name] = substance
    return {n: Drug(n, frozenset(c), inn[n]) for n, c in codes.items()}


def _variants(folded: str, substance: bool) -> list[str]:
    """How titles write a name of the table: itself, an English INN (-e dropped), an acid's
    two word orders ("valproique acide" -> "acide valproique", "valproic acid")."""
    variants = [folded]
    if substance and folded.endswith("e") and len(folded) > 6 and " " not in folded:
        variants.append(folded[:-1])
    acid = _ACID.match(folded)
    if acid:
        variants += [f"acide {acid.group(1)}ique", f"{acid.group(1)}ic acid"]
    return variants


def supplement_drugs(known: dict[str, set[str]]) -> dict[str, tuple[frozenset[str], bool]]:
    """The tagger's hand-written supplement (``atc_extra.tsv``) as dedup needs it: folded name
    -> (codes, is a substance). Its codes stop at the ATC subgroup, which several drugs share
    ("Leqembi" and "Kisunla" are both N06DX): each substance gets a code of its own, subgroup
    and name ("N06DX:lecanemab"), or the full codes of ``known`` (the ATC table) when it is a
    substance the table names otherwise ("acetaminophen" = "paracetamol", N02BE01). A brand
    shares its substance's code (fourth column, "LEQEMBI" -> "lécanémab"), else has its own."""
    from veille.vocab import ATC_EXTRA_FILE, atc_drugs, atc_supplement_same

    same = atc_supplement_same()
    out: dict[str, tuple[frozenset[str], bool]] = {}

    def identity(code: str, folded: str) -> frozenset[str]:
        for v in (folded, folded[:-1] if folded.endswith("e") else folded + "e"):
            if v in known:
                return frozenset(known[v])
        return frozenset({f"{code}:{folded}"})

    for entry in atc_drugs(ATC_EXTRA_FILE):
        folded = fold_words(entry.name)
        if len(folded) < 5 or folded in _NOT_DRUG_NAMES or len(folded.split()) > 3:
            continue
        target = fold_words(same.get(entry.name, entry.name))
        found = identity(entry.code, target)
        substance = entry.kind != "brand"
        names = _variants(folded, substance)
        if target != folded:  # the substance a brand is, even when the table lacks it ("nirsevimab")
            names += _variants(target, True)
        for i, name in enumerate(names):
            is_inn = substance or i > 0 and name in _variants(target, True)
            old = out.get(name)
            out[name] = (found | old[0], old[1] or is_inn) if old else (found, is_inn)
    return out


# Cities and capitals that title writers name (folded); pycountry has countries and French
# subdivisions, not cities.
_CITIES = {
    "FR": "paris lyon marseille toulouse nice nantes strasbourg montpellier bordeaux lille rennes "
    "reims toulon grenoble dijon angers nimes brest tours limoges amiens perpignan metz besancon "
    "orleans rouen mulhouse caen nancy poitiers avignon pau bayonne ajaccio bastia cayenne "
    "pointe-a-pitre fort-de-france saint-denis mamoudzou noumea papeete clermont-ferrand "
    "saint-etienne le-havre la-rochelle",
    "BE": "bruxelles brussels liege anvers antwerp gand ghent charleroi namur",
    "CH": "geneve geneva lausanne berne bern zurich bale basel",
    "CA": "montreal quebec ottawa toronto vancouver",
    "GB": "londres london manchester birmingham edinburgh glasgow",
    "US": "new-york washington chicago boston atlanta seattle texas californie california floride florida",
    "MA": "rabat casablanca marrakech",
    "DZ": "alger algiers oran",
    "TN": "tunis",
    "SN": "dakar",
    "CI": "abidjan",
    "CD": "kinshasa goma kivu",
    "CM": "yaounde douala",
    "DE": "berlin munich hambourg hamburg",
    "ES": "madrid barcelone barcelona",
    "IT": "rome roma milan",
    "CN": "pekin beijing shanghai wuhan",
    "JP": "tokyo",
    "IN": "delhi mumbai kerala",
    "BR": "rio brasilia",
}
_NOT_PLACES = frozenset(
    """
    lot cher ain var nord orne aube gard indre tarn gers jura manche marne meuse oise somme yonne
    loire vienne doubs creuse aude lozere cantal drome isere sarthe mayenne vendee savoie
    chad jersey guinea turkey georgia jordan niger mali oman china chine france
    """.split()
) - {"france", "chine", "china"}


@functools.cache
def places() -> dict[str, tuple[str, bool]]:
    """Folded place name (words joined by spaces) -> (ISO 3166-1 alpha-2 code of its country,
    whether the name is the whole country)."""
    import pycountry

    out: dict[str, tuple[str, bool]] = {}
    translations: gettext.NullTranslations
    try:
        translations = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
    except OSError:  # no French catalogue: English names only
        translations = gettext.NullTranslations()
    french = translations.gettext
    for country in pycountry.countries:
        code = country.alpha_2
        names = {country.name, getattr(country, "common_name", country.name), french(country.name)}
        for name in names:
            for part in re.split(r",|\(", name)[:1]:
                folded = fold_words(part)
                if folded and folded not in _NOT_PLACES and len(folded) > 3:
                    out.setdefault(folded, (code, True))
    for sub in pycountry.subdivisions.get(country_code="FR") or ():
        folded = fold_words(sub.name)
        if folded and folded not in _NOT_PLACES and len(folded) > 3:
            out.setdefault(folded, ("FR", False))
    for code, cities in _CITIES.items():
        for city in cities.split():
            out.setdefault(city.replace("-", " "), (code, False))
    # Names that titles use for the whole of a country.
    for name, code in {"etats unis": "US", "usa": "US", "royaume uni": "GB", "uk": "GB", "rdc": "CD",
                       "angleterre": "GB", "england": "GB"}.items():
        out[name] = (code, True)
    out["idf"] = ("FR", False)
    for name, codes in _area_names().items():
        if name not in out:
            out[name] = (codes[0][:2], False)
    return out


# Places pycountry lacks or names otherwise, with the areas they cover (ISO 3166-2 codes): the
# French regions before 2016, which news still names ("Bourgogne", "Lorraine", "Limousin"), by
# their départements; the French overseas by their usual names; the French cities of _CITIES by
# their département; regions and cities abroad whose French and English names differ. Two
# places that share an area are compatible ("Limousin" / "Haute-Vienne"; "Écosse" / "Scotland").
_AREAS = """
FR-67 FR-68 | alsace
FR-24 FR-33 FR-40 FR-47 FR-64 | aquitaine
FR-03 FR-15 FR-43 FR-63 | auvergne
FR-14 FR-50 FR-61 | basse normandie
FR-27 FR-76 | haute normandie
FR-21 FR-58 FR-71 FR-89 | bourgogne
FR-08 FR-10 FR-51 FR-52 | champagne ardenne | champagne
FR-25 FR-39 FR-70 FR-90 | franche comte
FR-11 FR-30 FR-34 FR-48 FR-66 | languedoc roussillon | languedoc
FR-19 FR-23 FR-87 | limousin
FR-54 FR-55 FR-57 FR-88 | lorraine
FR-09 FR-12 FR-31 FR-32 FR-46 FR-65 FR-81 FR-82 | midi pyrenees
FR-59 FR-62 | nord pas de calais
FR-02 FR-60 FR-80 | picardie
FR-16 FR-17 FR-79 FR-86 | poitou charentes | poitou
FR-01 FR-07 FR-26 FR-38 FR-42 FR-69 FR-69M FR-73 FR-74 | rhone alpes
FR-04 FR-05 FR-06 FR-13 FR-83 FR-84 | paca | provence
FR-06 | cote d azur | cote dazur
FR-64 | pays basque
FR-971 | guadeloupe
FR-972 | martinique
FR-973 | guyane | guyane francaise
FR-974 | la reunion | reunion | ile de la reunion
FR-976 | mayotte
FR-75C | paris
FR-69 FR-69M | lyon
FR-13 | marseille
FR-31 | toulouse
FR-06 | nice
FR-44 | nantes
FR-67 | strasbourg
FR-34 | montpellier
FR-33 | bordeaux
FR-59 | lille | roubaix | tourcoing
FR-35 | rennes
FR-51 | reims
FR-83 | toulon
FR-38 | grenoble
FR-21 | dijon
FR-49 | angers
FR-30 | nimes
FR-29 | brest
FR-37 | tours
FR-87 | limoges
FR-80 | amiens
FR-66 | perpignan
FR-57 | metz
FR-25 | besancon
FR-45 | orleans
FR-76 | rouen | le havre
FR-68 | mulhouse
FR-14 | caen
FR-54 | nancy
FR-86 | poitiers
FR-84 | avignon
FR-64 | pau | bayonne
FR-2A | ajaccio
FR-2B | bastia
FR-973 | cayenne
FR-971 | pointe a pitre
FR-972 | fort de france
FR-976 | mamoudzou
FR-63 | clermont ferrand
FR-42 | saint etienne
FR-17 | la rochelle
GB-SCT | ecosse | scotland
GB-WLS | pays de galles | wales
GB-NIR | irlande du nord | northern ireland
GB-LND | londres | london
DE-BY | baviere | bavaria
DE-BY-MUC | munich | munchen
DE-HH | hambourg | hamburg
ES-CT | catalogne | catalonia
ES-B | barcelone | barcelona
ES-AN | andalousie | andalusia
IT-25 | lombardie | lombardy
IT-MI | milan | milano
IT-RM | rome | roma
US-CA | californie | california
US-FL | floride | florida
US-TX | texas
US-NY | new york
BE-BRU | bruxelles | brussels
BE-VAN | anvers | antwerp
BE-VOV | gand | ghent
CH-GE | geneve | geneva
CH-BE | berne | bern
CH-BS | bale | basel
CN-BJ | pekin | beijing
DZ-16 | alger | algiers
"""


def _area_names() -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for line in _AREAS.strip().splitlines():
        codes, *names = (part.strip() for part in line.split("|"))
        for name in names:
            out[name] = tuple(codes.split())
    return out


@functools.cache
def areas() -> dict[str, frozenset[str]]:
    """Folded place name -> the ISO 3166-2 areas it covers: a French département itself, a
    region its départements (pycountry's parents), the places of ``_AREAS`` as written there.
    Whole countries have none (their ISO code says what they cover)."""
    import pycountry

    subs = list(pycountry.subdivisions.get(country_code="FR") or ())
    children: dict[str, set[str]] = {}
    for sub in subs:
        if sub.parent_code:
            children.setdefault(sub.parent_code, set()).add(sub.code)

    def leaves(code: str) -> set[str]:
        below = children.get(code)
        return {leaf for child in below for leaf in leaves(child)} if below else {code}

    out: dict[str, frozenset[str]] = {}
    for sub in subs:
        folded = fold_words(sub.name)
        if folded:
            out[folded] = frozenset(leaves(sub.code))
    for name, codes in _area_names().items():
        out.setdefault(name, frozenset(codes))
    out["idf"] = out.get("ile de france", frozenset({"FR-IDF"}))
    return out


@functools.cache
def article_places() -> frozenset[str]:
    """French départements whose names are ordinary words ("Lot", "Cher", "Manche", "Somme",
    "Var"): places only after a département's article ("du Lot", "dans la Manche", "de l'Ain"),
    see `veille.dedup.features`."""
    import pycountry

    names = {fold_words(sub.name) for sub in pycountry.subdivisions.get(country_code="FR") or ()}
    return frozenset(n for n in names if n in _NOT_PLACES)
