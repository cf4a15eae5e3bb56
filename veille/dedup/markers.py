"""Markers that tell two near-identical titles apart: editions (typed), drug classes, variants
of a pathogen, trial names, negated words, acids and substances the ATC table lacks. Pure.

Each marker is a small set; two titles whose sets of one kind are both non-empty and disjoint
tell different stories (see `veille.dedup.similarity.conflict`). They read the cleaned ASCII
title (`veille.dedup.text.clean_title`), case kept.

* **Editions** are typed, ``week:47``, ``month:3``, ``year:2025``, ``lot:24a0312``: two titles
  differ when they share a type and no value of it, so "bilan mensuel, mars 2025" and "février
  2025" differ by month though they share the year, and "semaine 02 2026" / "semaine 03 2026"
  by week.
* **Drug classes** (``benzodiazépines``, ``antihypertenseurs``, ``fluoroquinolones``, ``ISRS``):
  a class is not a product (a class and one of its drugs can be one story), two classes are two
  stories.
* **Variants**: the letter or number that names a serogroup, a clade, a type or a hepatitis
  (``méningocoque B`` / ``ACWY``, ``clade Ib`` / ``Ia``, ``hépatite B`` / ``C``, ``diabète de type
  1`` / ``2``).
* **Trials**: an acronym next to ``trial``/``essai``/``study`` (``FIND-CKD trial``, ``essai
  SELECT``): two named trials are two stories.
* **Negations**: the words after ``non``/``non-``, ``sans``, ``without``: "non-diabetic" and
  "diabetes" are two populations.
* **Place-named diseases**: the place words inside a disease's name (``Crimée-Congo``, ``West
  Nile``, ``encéphalite japonaise``) are not places (`place_free_words`).
"""

from __future__ import annotations

import re

from veille.dedup.names import drugs
from veille.dedup.text import distinguishing, word_info

__all__ = [
    "acids",
    "drug_classes",
    "editions",
    "is_month",
    "negated",
    "place_free_words",
    "trials",
    "variants",
]

_NONE: frozenset[str] = frozenset()
_MONTHS = {
    "janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
    "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12,
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
}
# Month names that are also ordinary words ("Mars" the planet or brand, "may", "march") count
# only next to a day or a year: "15 mars", "mars 2025", "May 2025".
_AMBIGUOUS_MONTHS = frozenset({"mars", "may", "march"})
_MONTH = re.compile(r"\b(" + "|".join(_MONTHS) + r")\b", re.IGNORECASE)
_DAY_BEFORE = re.compile(r"\b[0-9]{1,2}\s+$")
_YEAR_AFTER = re.compile(r"\s+(?:19|20)[0-9]{2}\b")
_EDITION_TYPES = {
    "semaine": "week", "semaines": "week", "sem": "week", "week": "week", "wk": "week",
    "lot": "lot", "lots": "lot", "batch": "lot",
    "saison": "season", "season": "season",
}
_EDITION = re.compile(
    r"\b(semaines?|sem|week|wk|numeros?|number|no|n|bulletin|lots?|batch|editions?|issues?|"
    r"vol|volume|episodes?|ep|rapport|report|saison|season)\s*[:#o]?\s*([0-9][0-9a-z-]*)"
    r"|\b[swSW]([0-9]{1,2})\b|\b((?:19|20)[0-9]{2}(?:[-/](?:19|20)?[0-9]{2}\b)?)\b",
    re.IGNORECASE,
)


# A lot or batch code that starts with letters: "lot X1234", "batch AB2417C" (the digits-first
# codes are editions of _EDITION).
_LOT_CODE = re.compile(r"\b(?:lots?|batch(?:es)?)\s*(?:n\s*o?\s*)?[:#]?\s*([A-Za-z]{1,4}[0-9][0-9A-Za-z-]*)\b", re.IGNORECASE)


_BULLETIN = re.compile(r"\b(?:hebdomadaire|weekly|bulletin|point epidemiologique|point de situation|situation update)\b", re.IGNORECASE)
_DAY_MONTH = re.compile(r"\b([0-9]{1,2})\s+(" + "|".join(_MONTHS) + r")\b", re.IGNORECASE)


def _number(value: str) -> str:
    value = value.lower()
    return value.lstrip("0") or "0" if value.isdigit() else value


def is_month(word: str) -> bool:
    """Whether a word (ASCII, any case) names a month."""
    return word.lower() in _MONTHS


def editions(cleaned: str) -> frozenset[str]:
    """Typed edition numbers: ``week:47``, ``issue:12``, ``lot:5h1102``, ``year:2025``, ``month:3``."""
    found = set()
    for m in _EDITION.finditer(cleaned):
        if m.group(2):
            found.add(f"{_EDITION_TYPES.get(m.group(1).lower(), 'issue')}:{_number(m.group(2))}")
        elif m.group(3):
            found.add(f"week:{_number(m.group(3))}")
        else:
            found.add(f"year:{m.group(4)}")
    if "lot" in cleaned.lower() or "batch" in cleaned.lower():
        found.update(f"lot:{m.group(1).lower()}" for m in _LOT_CODE.finditer(cleaned))
    for m in _MONTH.finditer(cleaned):
        word = m.group(1)
        name = word.lower()
        if name in _AMBIGUOUS_MONTHS or (name == "mai" and word.isupper()):  # "MAI" as an acronym
            dated = _DAY_BEFORE.search(cleaned, max(0, m.start() - 4), m.start()) or _YEAR_AFTER.match(cleaned, m.end())
            if not dated:
                continue
        found.add(f"month:{_MONTHS[name]}")
    if _BULLETIN.search(cleaned):
        # A periodic bulletin dated by its day: "point hebdomadaire du 22 octobre" / "du 15 octobre".
        found.update(f"day:{_MONTHS[m.group(2).lower()]}-{int(m.group(1))}" for m in _DAY_MONTH.finditer(cleaned))
    return frozenset(found)


# Drug classes (folded words, FR and EN) -> the class they name.
_CLASS_WORDS = {
    "benzodiazepine": "benzodiazepine", "benzodiazepines": "benzodiazepine",
    "antihypertenseur": "antihypertensive", "antihypertenseurs": "antihypertensive",
    "antihypertensive": "antihypertensive", "antihypertensives": "antihypertensive",
    "antidepresseur": "antidepressant", "antidepresseurs": "antidepressant",
    "antidepressant": "antidepressant", "antidepressants": "antidepressant", "isrs": "antidepressant",
    "ssri": "antidepressant", "ssris": "antidepressant", "irsna": "antidepressant", "snri": "antidepressant",
    "antipsychotique": "antipsychotic", "antipsychotiques": "antipsychotic", "antipsychotic": "antipsychotic",
    "antipsychotics": "antipsychotic", "neuroleptique": "antipsychotic", "neuroleptiques": "antipsychotic",
    "antiepileptique": "antiepileptic", "antiepileptiques": "antiepileptic", "antiepileptic": "antiepileptic",
    "antiepileptics": "antiepileptic",
    "antibiotique": "antibiotic", "antibiotiques": "antibiotic", "antibiotic": "antibiotic",
    "antibiotics": "antibiotic",
    "fluoroquinolone": "fluoroquinolone", "fluoroquinolones": "fluoroquinolone",
    "quinolone": "fluoroquinolone", "quinolones": "fluoroquinolone",
    "statine": "statin", "statines": "statin", "statin": "statin", "statins": "statin",
    "anticoagulant": "anticoagulant", "anticoagulants": "anticoagulant", "aod": "anticoagulant",
    "doac": "anticoagulant", "doacs": "anticoagulant", "avk": "anticoagulant",
    "antiagregant": "antiplatelet", "antiagregants": "antiplatelet", "antiplatelet": "antiplatelet",
    "opioide": "opioid", "opioides": "opioid", "opioid": "opioid", "opioids": "opioid",
    "opiace": "opioid", "opiaces": "opioid",
    "corticoide": "corticosteroid", "corticoides": "corticosteroid", "corticosteroid": "corticosteroid",
    "corticosteroids": "corticosteroid", "corticosteroide": "corticosteroid", "corticosteroides": "corticosteroid",
    "ains": "nsaid", "nsaid": "nsaid", "nsaids": "nsaid", "anti-inflammatoires": "nsaid",
    "diuretique": "diuretic", "diuretiques": "diuretic", "diuretic": "diuretic", "diuretics": "diuretic",
    "betabloquant": "betablocker", "betabloquants": "betablocker", "betabloquer": "betablocker",
    "ipp": "ppi", "ppi": "ppi", "ppis": "ppi",
    "antihistaminique": "antihistamine", "antihistaminiques": "antihistamine",
    "antihistamine": "antihistamine", "antihistamines": "antihistamine",
    "antiviral": "antiviral", "antiviraux": "antiviral", "antivirals": "antiviral",
    "antifongique": "antifungal", "antifongiques": "antifungal", "antifungal": "antifungal",
    "antifungals": "antifungal",
    "insuline": "insulin", "insulines": "insulin", "insulin": "insulin", "insulins": "insulin",
    "gliflozine": "sglt2", "gliflozines": "sglt2", "sglt2": "sglt2",
    "immunosuppresseur": "immunosuppressant", "immunosuppresseurs": "immunosuppressant",
    "immunosuppressant": "immunosuppressant", "immunosuppressants": "immunosuppressant",
    "hypnotique": "hypnotic", "hypnotiques": "hypnotic", "hypnotic": "hypnotic", "hypnotics": "hypnotic",
    "anxiolytique": "anxiolytic", "anxiolytiques": "anxiolytic", "anxiolytic": "anxiolytic",
    "anxiolytics": "anxiolytic",
    "laxatif": "laxative", "laxatifs": "laxative", "laxative": "laxative", "laxatives": "laxative",
    "retinoide": "retinoid", "retinoides": "retinoid", "retinoid": "retinoid", "retinoids": "retinoid",
    "biphosphonate": "bisphosphonate", "bisphosphonate": "bisphosphonate",
    "bisphosphonates": "bisphosphonate", "biphosphonates": "bisphosphonate",
}
_WORD = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")


def drug_classes(cleaned: str) -> frozenset[str]:
    """The drug classes a title names, canonical English names."""
    out = set()
    for word in _WORD.findall(cleaned):
        lower = word.lower()
        cls = _CLASS_WORDS.get(lower) or _CLASS_WORDS.get(lower.replace("-", ""))
        if cls is not None:
            out.add(cls)
    return frozenset(out)


# "acide bempédoïque" / "bempedoic acid", "acide tranexamique" / "tranexamic acid".
_ACID = re.compile(r"\bacides?\s+([a-z]{4,})ique\b|\b([a-z]{4,})ic\s+acids?\b", re.IGNORECASE)


def acids(cleaned: str) -> frozenset[str]:
    """Acids named as substances, by root: ``acid:bempedo`` for both languages."""
    if "acid" not in cleaned.lower():
        return _NONE
    return frozenset(f"acid:{(m.group(1) or m.group(2)).lower()}" for m in _ACID.finditer(cleaned))


# The letter or number after a pathogen or disease that names its kind.
_VARIANT = re.compile(
    r"\b(?i:meningocoques?|meningococc(?:al|us|i)|meningites?|meningitis|hepatites?|hepatitis|"
    r"streptocoques?|streptococc(?:al|us|i)|clade|serogroupe?s?|serogroups?|serotypes?|souches?|strains?|"
    r"types?|variants?|lignees?|lineages?)\s+(?i:de\s+|du\s+|of\s+)?(?i:groupe\s+|group\s+|type\s+|serogroupe\s+)?"
    r"([A-Z]{1,4}[0-9]?[a-z]?|[0-9]{1,2}[a-z]?|[IVX]{1,4}[ab]?)\b"
)
_VARIANT_HINTS = ("mening", "hepat", "strepto", "clade", "sero", "souche", "strain", "type",
                  "variant", "ligne", "lineage")
_NOT_VARIANTS = frozenset({"A", "AU", "LE", "LA", "DE", "DU", "EN", "ET", "OU", "UN", "THE", "IN", "OF", "AND", "OR", "AT"})


def variants(cleaned: str) -> frozenset[str]:
    """Serogroups, clades, types and hepatitis letters: ``b``, ``acwy``, ``ib``, ``1``."""
    lower = cleaned.lower()
    if not any(hint in lower for hint in _VARIANT_HINTS):
        return _NONE
    out = set()
    for m in _VARIANT.finditer(cleaned):
        value = m.group(1)
        if value.upper() in _NOT_VARIANTS and not (len(value) == 1 and value.isupper()):
            continue
        out.add(value.lower())
    return frozenset(out)


_TRIAL_NAME = r"([A-Z][A-Z0-9]+(?:-[A-Za-z0-9]+)*(?:\s+[A-Z][A-Z0-9]+(?:-[A-Za-z0-9]+)*)*)"
_TRIAL = re.compile(
    r"\b(?i:essais?|etudes?|trials?|study|studies)\s+(?i:clinique\s+|de\s+phase\s+[0-9]\s+)?" + _TRIAL_NAME + r"\b"
    r"|\b" + _TRIAL_NAME + r"\s+(?i:trials?|study|essai|etude)\b"
)


# Journals, agencies and institutes named next to "study" ("NEJM study", "étude INSERM") are who
# published a study, not which trial it is.
_NOT_TRIALS = frozenset(
    """
    nejm jama bmj lancet plos cdc nih who oms fda ema has ansm inserm cnrs aphp chu spf drees
    irdes ined insee oecd ocde ecdc nhs mhra cnam hcsp iarc circ unicef ue eu us usa uk
    """.split()
)


def trials(cleaned: str) -> frozenset[str]:
    """Named trials: acronyms (at least 3 letters, ``FIND-CKD``, ``STEP-HFpEF``, ``CLEAR
    SYNERGY``) next to trial/essai/study."""
    lower = cleaned.lower()
    if not any(hint in lower for hint in ("trial", "essai", "etude", "stud")):
        return _NONE
    out = set()
    for m in _TRIAL.finditer(cleaned):
        name = m.group(1) or m.group(2)
        if sum(c.isalpha() for c in name) >= 3 and all(w.split("-")[0].isupper() for w in name.split()):
            folded = re.sub(r"[\s-]+", "", name).lower()
            if folded not in _NOT_TRIALS:
                out.add(folded)
    return frozenset(out)


_NEGATION = re.compile(r"\b(non|sans|without|never)[\s-]+([A-Za-z]{4,})", re.IGNORECASE)


def negated(cleaned: str) -> frozenset[str]:
    """Stems of the words a title negates ("non-diabetic", "sans diabète", "without diabetes",
    "never-smokers"). A drug or a drug class after "sans" or "without" is a missing treatment,
    not another population ("une pharmacie sans Plaquenil", "un hiver sans antibiotiques")."""
    lower = cleaned.lower()
    if "non" not in lower and "sans" not in lower and "without" not in lower and "never" not in lower:
        return _NONE
    out = set()
    for m in _NEGATION.finditer(cleaned):
        word = m.group(2).lower()
        if m.group(1).lower() in ("sans", "without") and (word in _CLASS_WORDS or word in drugs()):
            continue
        info = word_info(word)
        if info is not None and distinguishing(info[0]):
            out.add(info[0])
    return frozenset(out)


# Disease names that hold a place name: their place words say nothing of where the story is.
_PLACE_NAMED_DISEASES = re.compile(
    r"\b(?:crimee[\s-]+congo|crimean[\s-]+congo|west[\s-]+nile|nil\s+occidental|vallee\s+du\s+rift|"
    r"rift\s+valley|encephalite\s+japonaise|japanese\s+encephalitis|grippe\s+espagnole|spanish\s+flu|"
    r"middle\s+east\s+respiratory|encephalite\s+de\s+saint[\s-]+louis|st\.?\s+louis\s+encephalitis|"
    r"fievre\s+de\s+lassa|lassa\s+fever|kyasanur|omsk|venezuelan\s+equine|ross\s+river|"
    r"virus\s+ebola|ebola|marburg|zika|usutu|toscana|hendra|nipah)\b",
    re.IGNORECASE,
)
_RAW_WORD = re.compile(r"[A-Za-z0-9]+")
# Substrings one of which every name above holds (a cheap test before the regular expression).
_PLACE_NAMED_HINTS = ("congo", "nil", "rift", "japon", "espagnol", "spanish", "middle", "louis",
                      "lassa", "kyasanur", "omsk", "venezuel", "ross", "ebola", "marburg", "zika",
                      "usutu", "toscana", "hendra", "nipah")


def place_free_words(cleaned: str) -> list[str]:
    """The title's words with those inside a place-named disease's name blanked (``""``), in
    the same positions as ``re.findall("[A-Za-z0-9]+", cleaned)``."""
    lower = cleaned.lower()
    if not any(hint in lower for hint in _PLACE_NAMED_HINTS):
        return _RAW_WORD.findall(cleaned)
    spans = [m.span() for m in _PLACE_NAMED_DISEASES.finditer(cleaned)]
    out = []
    for m in _RAW_WORD.finditer(cleaned):
        inside = any(start <= m.start() < end for start, end in spans)
        out.append("" if inside else m.group())
    return out
