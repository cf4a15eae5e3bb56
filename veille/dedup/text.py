"""Text normalisation for comparison: what of a title counts when two titles are compared.

Pure functions. Titles are first cleaned of what says nothing about the story (``RT @x:``,
``@handles``, trailing hashtags, site suffixes such as ``| Site officiel du ministère``, rubric
prefixes such as ``Le point sur :`` or ``Q&A:``), then folded (accents, case, punctuation) with
numbers normalised (``12 000`` = ``12,000`` = ``12.000`` = ``12000``; ``1,5`` = ``1.5``; ordinals
``premier``/``1er``/``first`` = ``1``), split into words, stripped of FR/EN stop words and stemmed
crudely but predictably: a final plural ``s`` is dropped and words are cut to their first 6
letters (``rappelle``/``rappel``, ``comprimés``/``comprimé``, ``recalled``/``recalls``).
"""

from __future__ import annotations

import functools
import re
import unicodedata

__all__ = [
    "BOILERPLATE",
    "DISEASES",
    "GENERIC",
    "ascii_text",
    "base_weight",
    "clean_title",
    "distinguishing",
    "fold",
    "kind_of",
    "stem",
    "tokens",
    "word_info",
]

STEM_LEN = 6
BOILERPLATE_WEIGHT = 0.15
GENERIC_WEIGHT = 0.5
NUMBER_WEIGHT = 0.5  # a number alone never links two titles ("100 µg" is in many recalls)
# Drug names: chosen on the dev split (recall 0.76 -> 0.84 with drugs and diseases at 2, no false
# merge; false merges from 4). Diseases at 2 made held-out precision worse: they stay at 1.
TOPIC_WEIGHT = 2.0

_LIGATURES = {"œ": "oe", "Œ": "Oe", "æ": "ae", "Æ": "Ae", "ß": "ss", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D"}
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
# Thousands separators: "12 000", "12,000", "12.000", "12 000" (narrow no-break space).
_THOUSANDS = re.compile(r"(?<![\d.,])(\d{1,3})((?:[ .,\u00a0\u202f\u2009]\d{3})+)(?![\d]|[.,]\d)")
# Decimals: "1,5" and "1.5" are one number, written "1d5" once folded (a single token).
# The boundary is tested after the first digit, so that a search skips to digits (a pattern
# that starts with a lookbehind tries every position): ``(?<![\d.,])(\d+)[.,](\d{1,2})(?!\d)``.
_DECIMAL = re.compile(r"(\d)(?<![\d.,]\d)(\d*)[.,](\d{1,2})(?!\d)")
_MICRO = re.compile(r"[µμ]g\b")
# Amounts in euros written "10 M€", "2 Md€", "1,5 Mds€": millions and milliards spelt out.
_EURO_SCALE = re.compile(r"(\d)\s?(Mds?|Mrds?|M)\s?€")
_EURO_WORDS = {"M": "millions", "Md": "milliards", "Mds": "milliards", "Mrd": "milliards", "Mrds": "milliards"}
# A unit written against its number ("10mg", "7.2m", "£1bn"): the number alone, then the unit
# ("10 mg", "7d2 million", "1 billion"), so that "10mg" and "10 mg" are one number.
_GLUED_UNIT = re.compile(r"(\d)(mg|ml|mcg|ug|kg|g|km|cm|mm|m|bn)\b", re.IGNORECASE)
_SCALES = {"m": "million", "bn": "billion"}
_ORDINAL = re.compile(
    r"\b(?:(\d+)\s?(?:er|ere|re|e|eme|ème|nd|nde|st|rd|th)|(premiere?s?|first|deuxiemes?|second|"
    r"troisiemes?|third|quatriemes?|fourth|cinquiemes?|fifth))\b",
    re.IGNORECASE,
)
_ORDINAL_WORDS = {
    "premier": "1", "premiere": "1", "premiers": "1", "premieres": "1", "first": "1",
    "deuxieme": "2", "deuxiemes": "2", "second": "2", "troisieme": "3", "troisiemes": "3",
    "third": "3", "quatrieme": "4", "quatriemes": "4", "fourth": "4", "cinquieme": "5",
    "cinquiemes": "5", "fifth": "5",
}


# Numbers written as words, French and English: a run of them is one number ("quatorze" = 14,
# "quarante-sept mille" = 47000, "mille deux cents" = 1200, "vingt et un" = 21, "forty-seven
# thousand" = 47000). "un", "une", "one" count only inside a run ("vingt et un", "cent un"): alone
# they are articles as often as numbers; so does "six" (see `_number_run`).
_UNIT_WORDS = {
    "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9,
    "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16,
    "vingt": 20, "vingts": 20, "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60,
    "two": 2, "three": 3, "four": 4, "five": 5, "six_": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}
del _UNIT_WORDS["six_"]
_HUNDRED_WORDS = frozenset({"cent", "cents", "hundred"})
_THOUSAND_WORDS = frozenset({"mille", "thousand"})
_INNER_WORDS = {"un": 1, "une": 1, "one": 1}  # only after a number word or "et"
_NUMBER_WORDS = frozenset(_UNIT_WORDS) | _HUNDRED_WORDS | _THOUSAND_WORDS
_ANY_NUMBER_WORD = "|".join(sorted(_NUMBER_WORDS | frozenset(_INNER_WORDS), key=len, reverse=True))
# A run of number words (joined by spaces, hyphens, "et" or "and"), then what follows it.
_NUMBER_RUN = re.compile(
    r"\b((?:" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"
    r"(?:(?:[\s-]+(?:et|and)[\s-]+|[\s-]+)(?:" + _ANY_NUMBER_WORD + r"))*)\b(?=(\s+[A-Za-z])?)",
    re.IGNORECASE,
)
_RUN_SPLIT = re.compile(r"[\s-]+")


def number_value(words: list[str]) -> int | None:
    """The value of a run of folded number words, or None when the run is a list of numbers
    rather than one ("deux trois", "dix vingt")."""
    total = current = 0
    last = 0  # the last word's value since the last "mille"
    for word in words:
        if word in ("et", "and"):
            continue
        if word in _HUNDRED_WORDS:
            current = (current or 1) * 100
            last = 100
        elif word in _THOUSAND_WORDS:
            total += (current or 1) * 1000
            current = last = 0
        else:
            value = _UNIT_WORDS.get(word) or _INNER_WORDS.get(word)
            if value is None:
                return None
            if last == 4 and value == 20:
                current, last = current + 76, 80  # "quatre-vingt(s)"
                continue
            tens = 20 <= last < 100 and last % 10 == 0
            if not (last == 0 or last >= 100 or (tens and value < 10) or (last in (60, 80) and 10 <= value < 20)
                    or (last == 10 and value in (7, 8, 9))):  # "dix-sept"
                return None
            current += value
            last = value
    return total + current


def _number_run(m: re.Match[str]) -> str:
    words = _RUN_SPLIT.split(m.group(1).lower())
    # A lone number word counts before a noun ("trois cas"); a run of several is a number anyway.
    # A lone "six" stays a word: "tous les six mois" is "twice yearly" as often as "6 months".
    if len(words) == 1 and (m.group(2) is None or words[0] == "six"):
        return m.group(0)
    value = number_value(words)
    return m.group(0) if value is None else str(value)


# Necessary conditions of the patterns above, tested first (see ascii_text).
_DIGIT = re.compile(r"\d")
_MAY_GROUP = re.compile(r"\d[ .,\u00a0\u202f\u2009]\d{3}")
_MAY_DECIMAL = re.compile(r"\d[.,]\d")
_MAY_GLUED = re.compile(r"\d[a-zA-Z]")
_ORDINAL_STEMS = ("premier", "first", "deuxieme", "second", "troisieme", "third", "quatrieme", "fourth",
                  "cinquieme", "fifth")
# _ORDINAL's digit branch without its leading word boundary: a search that starts on digits.
_MAY_ORDINAL = re.compile(r"\d\s?(?:er|ere|re|e|eme|ème|nd|nde|st|rd|th)\b", re.IGNORECASE)
# A number word _NUMBER_WORD replaces is a whole run of word characters (a boundary before it,
# white space after it): one of these runs.
_WORD_RUN = re.compile(r"\w+")
# Substrings one of which every number word holds: a cheap test before the word-run test.
_NUMBER_HINTS = ("deux", "trois", "quat", "cinq", "six", "sept", "huit", "neuf", "dix", "onze", "douze", "treize",
                 "quinze", "seize", "vingt", "trente", "ante", "cent", "mille", "two", "three", "four", "five",
                 "seven", "eight", "nine", "ten", "eleven", "twelve", "teen", "twenty", "thirty", "forty", "fifty",
                 "ty", "hundred", "thousand")


def _glued_unit(m: re.Match[str]) -> str:
    unit = m.group(2)
    return f"{m.group(1)} {_SCALES.get(unit.lower(), unit)}"


def _thousands(m: re.Match[str]) -> str:
    return m.group(1) + re.sub(r"\D", "", m.group(2))


def _ordinal(m: re.Match[str]) -> str:
    if m.group(1):
        return m.group(1)
    return _ORDINAL_WORDS.get(m.group(2).lower(), m.group(2))


def ascii_text(text: str) -> str:
    """``text`` in ASCII, case kept: ligatures spelt out, accents dropped, numbers normalised."""
    if not text.isascii():
        for char, spelt in _LIGATURES.items():
            if char in text:
                text = text.replace(char, spelt)
        text = _MICRO.sub("ug", text)
        if "€" in text:
            text = _EURO_SCALE.sub(lambda m: f"{m.group(1)} {_EURO_WORDS[m.group(2)]} €", text).replace("€", " euros ")
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    # Each substitution runs only where a cheap test says it may match (the text is ASCII by
    # now): the scans cost a third of a collect's dedup features when they ran on every text.
    digits = _DIGIT.search(text) is not None
    if digits:
        if _MAY_GROUP.search(text):
            text = _THOUSANDS.sub(_thousands, text)
        if _MAY_DECIMAL.search(text):
            text = _DECIMAL.sub(r"\1\2d\3", text)
        if _MAY_GLUED.search(text):
            text = _GLUED_UNIT.sub(_glued_unit, text)
    lower = text.lower()
    if (digits and _MAY_ORDINAL.search(text)) or any(word in lower for word in _ORDINAL_STEMS):
        text = _ORDINAL.sub(_ordinal, text)
        lower = text.lower()
    if any(word in lower for word in _NUMBER_HINTS) and not _NUMBER_WORDS.isdisjoint(_WORD_RUN.findall(lower)):
        text = _NUMBER_RUN.sub(_number_run, text)
    return text


def fold(text: str) -> str:
    """Lower-case ASCII words separated by single spaces: accents, case, punctuation removed."""
    return _NON_ALNUM.sub(" ", ascii_text(text).lower()).strip()


# --- Cleaning a title of what is not the story --------------------------------------------

_RT = re.compile(r"^\s*(?:RT|MT|QT)\s+@[\w.@-]+\s*:?\s*", re.IGNORECASE)
_VIA = re.compile(r"\s+(?:via|par|by)\s+@[\w.@-]+\s*$", re.IGNORECASE)
_HANDLE = re.compile(r"(?<![\w.])@[\w.-]+(?:@[\w.-]+)?")
_TRAILING_TAGS = re.compile(r"(?:\s*#[\w-]+)+\s*$")
_HASH = re.compile(r"(?<![\w&])#(?=\w)")
_URL = re.compile(r"https?://\S+")
# Inclusive writing and optional plurals: "Moi(s) sans tabac", "étudiant(e)s", "patient·es".
_INCLUSIVE = re.compile(r"(?<=[^\W\d_])(?:\((e|s|es|ne|nes|le|les)\)|[·•]((?:e|ne|le)s?)(?:[·•](s))?)")
_RUBRIC = re.compile(
    r"^\s*(?:\[[^\]]{1,30}\]\s*|(?:le point sur|point sur|en bref|breve|breves|flash|exclusif|exclusive|"
    r"breaking(?: news)?|update|mise a jour|maj|q\s?&\s?a|faq|interview|entretien|video|podcast|"
    r"infographie|analyse|decryptage|tribune|opinion|editorial|edito|chronique|explainer|"
    r"communique de presse|communique|press release|news|actualite|actualites|a la une|live|"
    r"direct|en direct|temoignage|focus|zoom|dossier|comment(?:ary)?|perspective|viewpoint|"
    r"research letter|correspondence|letter|news feature|feature|in brief|brief|thread|fil)\s*[:|–—-]\s+)",
    re.IGNORECASE,
)
_SITE_SEP = re.compile(r"\s+(?:\||–|—|-|::|·|•)\s+")
_SITE_WORDS = re.compile(
    r"\b(?:site|officiel|official|ministere|ministry|portail|portal|gouv|gov|journal|magazine|"
    r"quotidien|news|actu|actualites|revue|tv|radio|info|infos|presse|press|online|blog|"
    r"newsroom|media|medias|consommateurs)\b|\.(?:fr|com|org|net|be|ch|ca|eu|int|gov|info|io)\b",
    re.IGNORECASE,
)


def _is_place(text: str) -> bool:
    """Whether ``text`` is a place name: "Avian influenza A(H5N1) - Cambodia" ends with its story's
    place (the disease outbreak news of an agency), not with a site's name."""
    from veille.dedup.names import areas, places
    from veille.normalise import fold_words

    folded = fold_words(text)
    if folded in places() or folded in areas():
        return True
    # "United Republic of Tanzania"; not "Santé publique France", "Ouest-France": sites.
    last = folded.rpartition(" ")[2]
    place = places().get(last)
    return place is not None and place[1] and last != "france"


def _is_site_suffix(suffix: str) -> bool:
    words = suffix.split()
    if not words or len(words) > 7 or _is_place(suffix):
        return False
    if _SITE_WORDS.search(suffix):
        return True
    long_words = [w for w in words if len(w) > 3]
    # "Le Quotidien du Médecin", "The Lancet", "Santé publique France": a name, every long word
    # capitalised, at most 5 words.
    return len(words) <= 5 and bool(long_words) and all(w[0].isupper() for w in long_words)


def clean_title(title: str) -> str:
    """``title`` in ASCII (case kept, see `ascii_text`) without what says nothing of the story:
    social prefixes and handles, trailing hashtags, links, a site-name suffix, a rubric prefix.
    When nothing would be left, the whole title is kept."""
    title = ascii_text(_INCLUSIVE.sub(lambda m: "".join(g for g in m.groups() if g), title))
    original = title
    # Each pattern runs only on titles with the character it needs (most have none of them).
    if "http" in title:
        title = _URL.sub(" ", title)
    if "@" in title:
        title = _RT.sub("", title)
        title = _VIA.sub("", title)
    if "#" in title:
        title = _TRAILING_TAGS.sub("", title)
    if "@" in title:
        title = _HANDLE.sub(" ", title)
    if "#" in title:
        title = _HASH.sub("", title)
    # A site-name suffix after the last separator ("… | Site officiel du ministère", "… - Le Monde").
    parts = _SITE_SEP.split(title)
    while len(parts) > 1 and len(" ".join(parts[:-1]).split()) >= 3 and _is_site_suffix(parts[-1]):
        parts.pop()
    title = " - ".join(parts)
    for _ in range(2):  # "[Vidéo] Q&A: …"
        stripped = _RUBRIC.sub("", title, count=1)
        if stripped == title or not any(c.isalnum() for c in stripped):
            break
        title = stripped
    title = " ".join(title.split())
    return title if any(c.isalnum() for c in title) else " ".join(original.split())


# --- Word lists ----------------------------------------------------------------------------

_STOP = frozenset(
    """
    a au aux avec ce ces cet cette d dans de des du elle en entre et il ils j l la le les leur leurs
    lui m ma mais me meme mes moi mon n ne ni nos notre nous on ou par pas plus pour qu que qui
    s sa se selon ses si son sont sur t ta te tes toi ton tu un une vos votre vous y est ete etre
    ont a apres avant chez contre depuis dont sans sous vers tout tous toute toutes tres
    plusieurs certains certaines quelques deja encore aussi raison cause suite afin ainsi lors
    nouveau nouvelle nouveaux nouvelles
    the of and or in on for to with by at from is are was were be been as it its this that these
    those an into about over after before under than then there their they we you your our not
    no can could may might will would should has have had do does did new more most some several
    what how why who when where which amid via per vs due possible possibly know get gets got
    says said say show shows shown just now here also still yet all any one out up
    faut fait faire font pourrait peut peuvent doit doivent ceux celle celles cela ca quoi
    comment pourquoi quand voici voila rt
    """.split()
)

# Generic and place words: they weigh less and never link two titles on their own
# ("Mpox en RDC" and "Choléra en RDC" share only a place).
GENERIC = frozenset(
    """
    maladie maladies disease diseases patient patients patiente patientes cas case cases etude
    etudes study studies risque risques risk risks traitement traitements treatment treatments
    sante health hopital hopitaux hospital hospitals medecin medecins doctor doctors soin soins
    care sanitaire public publique france francais francaise europe european europeen
    europeenne monde world mondial global international nationale national pays country
    region regions ville city usa us etats unis united states america american americain
    americaine uk royaume britain british chine china inde india afrique africa rdc congo
    allemagne germany espagne spain italie italy canada quebec bresil brazil japon japan
    paris lyon marseille londres london
    hausse baisse rise fall increase decrease augmentation nombre number chiffres figures
    annee year mois month semaine week jour day jours days aujourd hui today
    confirme confirmed signale reported
    """.split()
)

# Template words: they say what kind of notice a title is, not which story it tells.
BOILERPLATE = frozenset(
    """
    rappel rappels rappele rappelle rappellent rappeler conso lot lots retrait retire retirer alerte
    alertes information informations securite communique communiques avis mise jour point
    situation annonce annoncent annonce urgent important actualite actualites message
    recommandation recommandations bulletin precaution mesure mesures produit produits
    medicament medicaments specialite specialites comprime comprimes gelule gelules sirop
    injectable solution suspension boite boites flacon flacons mg ml g ug mcg ui
    recall recalls recalled recalling press release releases update updates updated alert alerts
    safety warning warnings warns warn notice notices announcement announces announce statement
    product products drug drugs tablet tablets capsule capsules vial vials
    ansm has fda ema oms who cdc hcsp dgs spf sante publique mhra
    epidemiologique epidemiological hebdomadaire weekly surveillance edition numero issue
    """.split()
)

# A few FR/EN equivalences, applied after stemming (cross-language matches are a bonus).
_SYNONYMS = {
    "measle": "rougeo", "shorta": "penuri", "outbre": "epidem", "flu": "grippe", "influe": "grippe",
    "case": "cas", "corona": "covid", "monkey": "mpox", "smallp": "variol", "hiv": "vih",
    "aids": "vih", "sida": "vih", "rsv": "vrs", "pertus": "coquel", "diphth": "diphte", "chicke": "varice",
    "rubell": "rubeol", "mumps": "oreill", "tetanu": "tetano", "scabie": "gale", "rabie": "rage",
    "poliom": "polio", "death": "dece", "dead": "dece", "deces": "dece", "mort": "dece", "child": "enfant", "childr": "enfant",
    "pregna": "grosse", "heart": "cardia", "cancer": "cancer", "breast": "sein", "bird": "aviair",
    "avian": "aviair", "vaccin": "vaccin", "vaccine": "vaccin", "myopia": "myopie", "mump": "oreill", "billio": "millia",
    "osteoa": "arthro", "asthma": "asthme", "stroke": "avc", "shingl": "zona", "copd": "bpco",
    "papill": "hpv", "screen": "depist", "obese": "obesit", "sickle": "drepan", "geniqu": "gene",
    "malari": "paludi",
}

# Kinds of event: two titles of different kinds tell different stories.
_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("recall", ("rappel", "recall", "retrait", "withdr")),
    ("shortage", ("penuri", "rupture", "tension", "shortage", "indisponib")),
    ("approval", ("autoris", "approve", "approval", "approuv")),
)

# Diseases and pathogens: two titles about different ones tell different stories, whatever else
# they share ("Mpox : l'épidémie s'étend en RDC" / "Choléra : l'épidémie s'étend en RDC").
DISEASES = frozenset(
    """
    mpox monkeypox variole smallpox cholera dengue rougeole measles grippe influenza flu covid
    coronavirus sars mers h5n1 h5n5 h1n1 h3n2 ebola marburg zika chikungunya paludisme malaria
    tuberculose tuberculosis polio poliomyelite poliomyelitis coqueluche pertussis diphterie
    diphtheria legionellose legionella listeria listeriose listeriosis salmonella salmonellose
    salmonellosis hepatite hepatitis vih hiv sida aids vrs rsv bronchiolite bronchiolitis
    meningite meningitis nipah lassa anthrax botulisme botulism scarlatine
    oropouche rage rabies tetanos tetanus oreillons mumps rubeole
    rubella varicelle chickenpox gale scabies syphilis gonorrhee gonorrhea chlamydia
    alzheimer parkinson diabete diabetes obesite obesity cancer
    zona shingles herpes pneumocoque pneumococcal pneumococcus pneumonie pneumonia rotavirus
    norovirus gastroenterite gastroenteritis typhoide typhoid lyme leptospirose leptospirosis
    hypertension asthme asthma bpco copd avc stroke infarctus epilepsie epilepsy migraine
    psoriasis eczema autisme autism sclerose sclerosis lupus hemophilie hemophilia
    drepanocytose mucoviscidose endometriose endometriosis depression schizophrenie
    schizophrenia bipolaire bipolar myopie myopia glaucome glaucoma cataracte cataract
    arthrose osteoarthritis osteoporose osteoporosis insomnie insomnia hpv papillomavirus
    mycoplasma mycoplasme streptocoque streptococcus staphylocoque staphylococcus
    """.split()
)


def kind_of(word: str) -> str | None:
    """The kind of event a folded word names (recall, shortage, approval), if any."""
    if word.startswith("approvision"):
        return "shortage"
    for kind, prefixes in _KINDS:
        if word.startswith(prefixes):
            return kind
    return None


def stem(word: str) -> str:
    if word.isdigit():
        return word.lstrip("0") or "0"  # "semaine 02" = "semaine 2"
    if len(word) > 3 and word[-1] == "s" and not word[0].isdigit():
        word = word[:-1]
    if not word[0].isdigit():
        word = word[:STEM_LEN]
    return _SYNONYMS.get(word, word)


@functools.lru_cache(maxsize=1 << 16)
def word_info(word: str) -> tuple[str, str | None] | None:
    """(stem, kind of event) of a folded word, or None for a stop word."""
    if word in _STOP or (len(word) < 2 and not word.isdigit()):
        return None
    return stem(word), kind_of(word)


def tokens(text: str) -> list[str]:
    """The stemmed tokens of ``text`` (stop words removed), in order, duplicates kept."""
    return [info[0] for w in fold(text).split() if (info := word_info(w)) is not None]


STEMMED_BOILERPLATE = frozenset(stem(w) for w in BOILERPLATE)
# "aids", "mers", "sars" stem to ordinary words ("aid", "mer" is the sea in French).
STEMMED_DISEASES = frozenset(stem(w) for w in DISEASES) - {"aid", "mer", "sar"}
STEMMED_GENERIC = frozenset(stem(w) for w in GENERIC) - STEMMED_BOILERPLATE
# A pathogen and the syndrome it causes are one subject for the different-diseases veto
# ("Noroviruses: 240 cases" / "Gastro-entérites : 240 malades"; "VRS" / "bronchiolite").
DISEASE_FAMILY = {
    stem(pathogen): stem(syndrome)
    for pathogen, syndrome in (("norovirus", "gastroenterite"), ("rotavirus", "gastroenterite"),
                               ("vrs", "bronchiolite"), ("rsv", "bronchiolite"),
                               ("pneumocoque", "pneumonie"), ("mycoplasma", "pneumonie"),
                               ("mycoplasme", "pneumonie"), ("legionella", "legionellose"),
                               ("hpv", "papillomavirus"))
}


def is_number(token: str) -> bool:
    return token[0].isdigit()


@functools.cache
def _topic_stems() -> frozenset[str]:
    """Stems of one-word drug names (ATC vocabulary): the words that name what a story is about
    weigh more. Not diseases: many different stories tell of one disease in the same days."""
    from veille.dedup.names import drugs

    names = {stem(name) for name in drugs() if " " not in name}
    return frozenset(names) - STEMMED_BOILERPLATE - STEMMED_GENERIC - STEMMED_DISEASES


def base_weight(token: str) -> float:
    if token in STEMMED_BOILERPLATE:
        return BOILERPLATE_WEIGHT
    if token in STEMMED_GENERIC:
        return GENERIC_WEIGHT
    if token[0].isdigit():
        return NUMBER_WEIGHT
    if token in _topic_stems():
        return TOPIC_WEIGHT
    return 1.0


def distinguishing(token: str) -> bool:
    """Whether sharing ``token`` can link two titles (and whether it is an index key)."""
    return token not in STEMMED_BOILERPLATE and token not in STEMMED_GENERIC and not token[0].isdigit()
