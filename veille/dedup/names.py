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

__all__ = ["GENERIC_MAKERS", "Drug", "article_places", "drugs", "places", "supplement_drugs"]

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
_SALT = re.compile(r"^(\w{4,}ate) de (?:sodium|potassium|calcium|magnesium|lithium)$")
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
        if salt:  # "valproate de sodium": titles say "valproate", the substance
            variants.append(salt.group(1))
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
    return out


@functools.cache
def article_places() -> frozenset[str]:
    """French départements whose names are ordinary words ("Lot", "Cher", "Manche", "Somme",
    "Var"): places only after a département's article ("du Lot", "dans la Manche", "de l'Ain"),
    see `veille.dedup.features`."""
    import pycountry

    names = {fold_words(sub.name) for sub in pycountry.subdivisions.get(country_code="FR") or ()}
    return frozenset(n for n in names if n in _NOT_PLACES)
