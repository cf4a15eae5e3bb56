"""Specialty and item-type tagging (veille.tag): exact slugs and types, both languages."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.helpers import slugs
from veille.models import ITEM_TYPES
from veille.tag import (
    SpecialtyTag,
    Tagger,
    TaxonomyError,
    default_tagger,
    fold,
    parse_term,
    tag,
)

SLUGS = (
    "addictologie allergologie anesthesie-reanimation biologie-medicale cardiologie chirurgie "
    "dermatologie endocrinologie gastro-enterologie genetique geriatrie gynecologie-obstetrique "
    "hematologie infectiologie medecine-generale medecine-interne medecine-travail "
    "medecine-urgence nephrologie neurologie odontologie oncologie ophtalmologie orl pediatrie "
    "pharmacologie pneumologie psychiatrie radiologie readaptation rhumatologie sante-numerique "
    "sante-publique urologie"
).split()

FILLER = (
    "Le conseil d'administration s'est réuni mardi pour examiner le budget de l'établissement, "
    "le calendrier des travaux et l'organisation des équipes pendant l'été. Les représentants du "
    "personnel ont demandé des précisions sur les recrutements et sur le parking. "
)


# --- folding ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Cœur", "coeur"),
        ("ÉTUDE Randomisée", "etude randomisee"),
        ("l’insuffisance cardiaque", "l insuffisance cardiaque"),
        ("anti-IgE", "anti ige"),
        ("Covid-19 : 2ème vague…", "covid 19 2eme vague"),
        ("médecin·e·s", "medecin e s"),
        ("  espaces\u00a0insécables\n\tet tabulations  ", "espaces insecables et tabulations"),
        ("bêta-bloquant β", "beta bloquant beta"),
        ("", ""),
    ],
)
def test_fold(raw: str, folded: str) -> None:
    assert fold(raw) == folded


def test_fold_is_idempotent() -> None:
    s = "Œdème de Quincke : l’ANSM « alerte » — Ça va?"
    assert fold(fold(s)) == fold(s)


# --- every specialty, in French and in English ------------------------------------------------

CASES = {
    "addictologie": ("Sevrage tabagique : le Mois sans tabac relancé", "Opioid use disorder: access to buprenorphine"),
    "allergologie": ("Allergie à l'arachide chez l'adulte", "Anaphylaxis after wasp stings"),
    "anesthesie-reanimation": ("Réanimation : la sédation revue", "Sedation of mechanically ventilated adults in intensive care"),
    "biologie-medicale": ("Les biologistes dénoncent la baisse de la NABM", "New high-sensitivity troponin assay"),
    "cardiologie": ("Insuffisance cardiaque : nouveaux traitements", "Atrial fibrillation and heart failure"),
    "chirurgie": ("La chirurgie ambulatoire progresse", "Robotic surgery versus laparoscopic surgery"),
    "dermatologie": ("Psoriasis et eczéma : ce qui change", "Atopic dermatitis: new options"),
    "endocrinologie": ("Diabète de type 2 : le sémaglutide", "Obesity drugs and thyroid safety"),
    "gastro-enterologie": ("Maladie de Crohn : un nouvel anti-IL-23", "Ulcerative colitis and colonoscopy"),
    "genetique": ("Séquençage du génome pour les maladies rares", "Gene therapy and germline variants"),
    "geriatrie": ("Les personnes âgées en Ehpad face à la canicule", "Frailty in older adults"),
    "gynecologie-obstetrique": ("Endométriose : le diagnostic reste tardif", "Preeclampsia in pregnancy"),
    "hematologie": ("Leucémie et lymphome : nouvelles CAR-T", "Sickle cell disease and anaemia"),
    "infectiologie": ("Rougeole : hausse des cas en Europe", "Measles and mpox outbreaks"),
    "medecine-generale": ("Les médecins généralistes en grève", "Primary care and general practice funding"),
    "medecine-interne": ("Lupus et vascularites : la médecine interne", "Giant cell arteritis management"),
    "medecine-travail": ("Médecine du travail : manque de médecins du travail", "Occupational health of night shift workers"),
    "medecine-urgence": ("Urgences saturées : le SAMU alerte", "Emergency department crowding"),
    "nephrologie": ("Insuffisance rénale : la dialyse à domicile", "Chronic kidney disease and dialysis"),
    "neurologie": ("AVC : chaque minute compte", "Multiple sclerosis and migraine research"),
    "odontologie": ("Soins dentaires : les caries des enfants", "Dental caries and periodontitis"),
    "oncologie": ("Cancer du sein : nouvelle chimiothérapie", "Metastatic melanoma immunotherapy"),
    "ophtalmologie": ("DMLA et glaucome : dépister tôt", "Cataract surgery outcomes in glaucoma patients"),
    "orl": ("Surdité : les aides auditives remboursées", "Tinnitus and hearing loss"),
    "pediatrie": ("Bronchiolite : les nourrissons hospitalisés", "Paediatric hospital admissions of infants"),
    "pharmacologie": ("Pharmacovigilance : effets indésirables des médicaments", "Drug shortages and pharmacovigilance"),
    "pneumologie": ("BPCO et asthme : la spirométrie", "COPD and lung function"),
    "psychiatrie": ("Santé mentale : la dépression des jeunes", "Schizophrenia and bipolar disorder"),
    "radiologie": ("IRM : délais d'attente en imagerie", "MRI and CT imaging backlog"),
    "readaptation": ("Rééducation et kinésithérapie après une fracture", "Rehabilitation and physiotherapy access"),
    "rhumatologie": ("Polyarthrite rhumatoïde : un nouveau traitement", "Rheumatoid arthritis and gout"),
    "sante-numerique": ("Téléconsultation et intelligence artificielle", "Telemedicine and machine learning"),
    "sante-publique": ("Santé publique : la couverture vaccinale", "Public health screening programmes"),
    "urologie": ("Cancer de la prostate : le dosage du PSA", "Benign prostatic hyperplasia and bladder symptoms"),
}  # fmt: skip


def test_cases_cover_every_slug(tagger: Tagger) -> None:
    assert sorted(CASES) == sorted(SLUGS) == sorted(tagger.specialties)


@pytest.mark.parametrize("slug", SLUGS)
@pytest.mark.parametrize("lang", [0, 1], ids=["fr", "en"])
def test_each_specialty_from_the_title(tagger: Tagger, slug: str, lang: int) -> None:
    title = CASES[slug][lang]
    assert slug in slugs(tagger, title), title


@pytest.mark.parametrize("slug", SLUGS)
def test_labels_in_both_languages(tagger: Tagger, slug: str) -> None:
    spec = tagger.specialties[slug]
    assert spec.slug == slug and spec.label_fr and spec.label_en
    assert len(spec.terms_fr) >= 15 and len(spec.terms_en) >= 10


def test_exact_slugs_for_a_plain_item(tagger: Tagger) -> None:
    assert slugs(tagger, "Infarctus du myocarde : la prise en charge s'améliore") == {"cardiologie"}
    assert slugs(tagger, "Le conseil municipal vote le budget") == set()


# --- folding, inflections and word boundaries ----------------------------------------------


@pytest.mark.parametrize(
    "title",
    ["INSUFFISANCE CARDIAQUE", "insuffisance cardiaque", "Insuffisance Cardiaque",
     "Insuffisances cardiaques", "Les cardiologues s'inquiètent", "Société de cardiologie",
     "Cardiology update", "un arrêt cardiaque", "des patients cardiaques", "cœur et infarctus",
     "Infarctus", "INFARCTUS"],
)  # fmt: skip
def test_case_accents_and_inflections(tagger: Tagger, title: str) -> None:
    assert "cardiologie" in slugs(tagger, title)


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Greffe de reins", "nephrologie"),
        ("Les accidents vasculaires cérébraux", "neurologie"),
        ("Défaillances rénales : insuffisances rénales aiguës", "nephrologie"),
        ("Pathogenic variants in hereditary cancers", "genetique"),
        ("Pediatric therapies: paediatricians warn", "pediatrie"),
        ("Les troubles musculo-squelettiques", "medecine-travail"),
        ("Dermatologues et dermatologistes", "dermatologie"),
        ("Les épileptiques et l'épilepsie", "neurologie"),
    ],
)
def test_plurals_and_stems(tagger: Tagger, title: str, slug: str) -> None:
    assert slug in slugs(tagger, title)


@pytest.mark.parametrize(
    ("title", "absent"),
    [
        ("La reine inaugure un hôpital", "nephrologie"),  # rein != reine
        ("Orlistat : le laboratoire communique", "orl"),  # ORL != orlistat
        ("Cases surged after the holidays", "chirurgie"),  # surgery stems avoid "surge"
        ("Le goutte-à-goutte des annonces", "rhumatologie"),
        ("Gouttes pour les yeux en promotion", "rhumatologie"),  # =goutte has no plural
        ("La dentelle de Calais", "odontologie"),  # dent != dentelle
    ],
)
def test_word_boundaries(tagger: Tagger, title: str, absent: str) -> None:
    assert absent not in slugs(tagger, title)


@pytest.mark.parametrize(
    ("title", "slug", "expected"),
    [
        ("La SEP touche 120 000 personnes", "neurologie", True),
        ("Rendez-vous le 12 sep à Lyon", "neurologie", False),  # lowercase "sep" is a month
        ("Un AVC toutes les quatre minutes", "neurologie", True),
        ("avc", "neurologie", False),
        ("HTA : un adulte sur trois", "cardiologie", True),
        ("Le VIH en recul", "infectiologie", True),
    ],
)
def test_abbreviations_are_case_sensitive(
    tagger: Tagger, title: str, slug: str, expected: bool
) -> None:
    assert (slug in slugs(tagger, title)) is expected


def test_lowercase_abbreviations_and_proper_nouns_match_any_case(tagger: Tagger) -> None:
    assert "pneumologie" in slugs(tagger, "La Bpco, maladie sous-diagnostiquée")
    assert "psychiatrie" in slugs(tagger, "Le tdah chez l'adulte")
    assert "gastro-enterologie" in slugs(tagger, "MALADIE DE CROHN : UN NOUVEAU TRAITEMENT")


# --- title above body ---------------------------------------------------------------------


def test_one_incidental_body_mention_does_not_tag(tagger: Tagger) -> None:
    text = FILLER + "Un cardiologue a pris la parole. " + FILLER
    assert slugs(tagger, "Réunion du conseil d'administration", text) == set()


def test_same_mention_in_the_title_tags(tagger: Tagger) -> None:
    result = tagger.tag("Un cardiologue au conseil d'administration", FILLER)
    assert result.slugs == ("cardiologie",)
    assert result.specialties[0].score == 3.0


def test_two_body_terms_tag(tagger: Tagger) -> None:
    text = FILLER + "Le service de cardiologie traite l'insuffisance cardiaque. "
    assert slugs(tagger, "Réunion du conseil", text) == {"cardiologie"}


def test_body_repeats_have_diminishing_returns(tagger: Tagger) -> None:
    once = tagger.tag("Réunion", "infarctus. " + FILLER)
    three = tagger.tag("Réunion", "infarctus. infarctus. infarctus. " + FILLER)
    ten = tagger.tag("Réunion", "infarctus. " * 10 + FILLER)
    assert once.specialties == ()
    assert three.specialties == (SpecialtyTag("cardiologie", 2.0, ("infarctus",)),)
    assert ten.specialties == three.specialties


def test_threshold_is_configurable() -> None:
    strict = Tagger.load(threshold=3.5)
    assert strict.tag("Infarctus : ce qui change").specialties == ()
    assert strict.tag("Infarctus et insuffisance cardiaque").slugs == ("cardiologie",)
    lenient = Tagger.load(threshold=1.0)
    assert lenient.tag("Réunion", "Un cardiologue a parlé. " + FILLER).slugs == ("cardiologie",)


def test_weak_terms_need_support(tagger: Tagger) -> None:
    assert slugs(tagger, "Le cœur du sujet") == set()
    assert slugs(tagger, "Cœur et insuffisance cardiaque") == {"cardiologie"}


# --- negative terms --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "absent"),
    [
        ("Coup de cœur : nos livres de l'été", "cardiologie"),
        ("Les seniors, cœur de cible des assureurs", "cardiologie"),
        ("At the heart of the budget debate", "cardiologie"),
        ("Virus informatique : un hôpital paralysé", "infectiologie"),
        ("Une vidéo virale sur TikTok", "infectiologie"),
        ("Les chirurgiens-dentistes signent la convention", "chirurgie"),
        ("Essai en double aveugle contre placebo", "ophtalmologie"),
        ("Stéatohépatite non alcoolique : un traitement", "addictologie"),
        ("Injection sous-cutanée mensuelle", "dermatologie"),
        ("Urgence sanitaire prolongée", "medecine-urgence"),
    ],
)
def test_negative_terms(tagger: Tagger, title: str, absent: str) -> None:
    assert absent not in slugs(tagger, title)


def test_negative_only_cancels_its_own_span(tagger: Tagger) -> None:
    # "coup de cœur" is cancelled, "infarctus" elsewhere in the title still counts.
    result = tagger.tag("Coup de cœur du jury pour un film sur l'infarctus")
    assert result.slugs == ("cardiologie",)
    assert result.specialties[0].evidence == ("infarctus",)


def test_computer_virus_is_digital_health(tagger: Tagger) -> None:
    assert slugs(tagger, "Virus informatique : les hôpitaux ciblés par une cyberattaque") == {
        "sante-numerique"
    }


# --- evidence ------------------------------------------------------------------------------


def test_evidence_lists_the_terms_that_fired(tagger: Tagger) -> None:
    result = tagger.tag("Infarctus : le risque cardiaque des femmes", "")
    assert result.specialties == (SpecialtyTag("cardiologie", 6.0, ("infarctus", "cardiaque")),)


def test_evidence_keeps_case_of_abbreviations_and_full_stem_words(tagger: Tagger) -> None:
    result = tagger.tag("AVC et neurologues", "")
    assert result.specialties[0].evidence == ("AVC", "neurologues")


def test_sorted_by_score_then_slug(tagger: Tagger) -> None:
    result = tagger.tag(
        "Cancer du poumon", "Le cancer du poumon et la BPCO. Le tabac et le cancer."
    )
    scores = [(-t.score, t.specialty) for t in result.specialties]
    assert scores == sorted(scores)
    assert set(result.slugs[:2]) == {"oncologie", "pneumologie"}


# --- item types ------------------------------------------------------------------------------

TYPE_CASES = [
    ("Rappel de lots : un sirop contre la toux", "", "recall"),
    ("Voluntary recall of insulin pens", "", "recall"),
    ("Rupture de stock d'amoxicilline", "", "shortage"),
    ("Propofol shortage worsens", "", "shortage"),
    ("Information de sécurité : méthotrexate", "", "safety"),
    ("FDA Drug Safety Communication on montelukast", "", "safety"),
    ("DHPC : risque d'hypoglycémie", "", "safety"),
    ("Le lecanemab obtient son AMM européenne", "", "approval"),
    ("FDA approves first gene therapy for hemophilia", "", "approval"),
    ("La HAS publie ses recommandations sur le TDAH", "", "guideline"),
    ("Fiche mémo : la cystite de la femme", "", "guideline"),
    ("NICE guideline on delirium", "", "guideline"),
    ("Le CHU recrute un pédiatre", "", "job"),
    ("Offre d'emploi : infirmier de bloc", "", "job"),
    ("We're hiring: emergency physician", "", "job"),
    ("Congrès de la SFC : inscriptions ouvertes", "", "event"),
    ("Webinar on antimicrobial stewardship", "", "event"),
    ("Essai randomisé : la dexaméthasone", "", "study"),
    ("Randomized trial of apixaban in cancer", "", "study"),
    ("Une cohorte de 10 000 patients", "", "study"),
    ("Le ministre visite l'hôpital", "", "news"),
    ("Budget: hospitals face cuts", "", "news"),
]


@pytest.mark.parametrize(("title", "text", "expected"), TYPE_CASES)
def test_item_types(tagger: Tagger, title: str, text: str, expected: str) -> None:
    assert tagger.tag(title, text).item_type == expected


def test_type_cases_cover_every_item_type() -> None:
    assert {t for _, _, t in TYPE_CASES} == set(ITEM_TYPES)


@pytest.mark.parametrize(
    "title",
    [
        "Rappel vaccinal contre le Covid : qui est concerné ?",
        "Dose de rappel : la campagne d'automne commence",
        "Rappel : la campagne de vaccination reprend au collège",
        "Le rappel des faits dans l'affaire de l'hôpital",
        "La HAS rappelle les indications du dosage de la vitamine D",
        "Booster dose of COVID-19 vaccine recommended for over-75s",
        "Recall bias in dietary questionnaires",
    ],
)
def test_reminders_and_boosters_are_not_recalls(tagger: Tagger, title: str) -> None:
    assert tagger.tag(title).item_type != "recall"


def test_staff_shortage_is_not_a_drug_shortage(tagger: Tagger) -> None:
    assert tagger.tag("Pénurie de médecins : les urgences ferment la nuit").item_type == "news"
    assert tagger.tag("Radiology workforce shortage deepens").item_type == "news"


def test_trial_recruiting_patients_is_not_a_job(tagger: Tagger) -> None:
    assert tagger.tag("L'essai clinique recrute des patients atteints de SLA").item_type == "study"


def test_title_evidence_beats_body_evidence(tagger: Tagger) -> None:
    result = tagger.tag(
        "Recommandations HAS sur l'HTA",
        "Ces recommandations s'appuient sur un essai randomisé et une cohorte de 20 000 patients.",
    )
    assert result.item_type == "guideline"


def test_precedence_among_title_types(tagger: Tagger) -> None:
    # recall > shortage > safety > approval > guideline ...
    assert tagger.tag("Rappel de lots et rupture de stock du sirop").item_type == "recall"
    assert tagger.tag("EMA recommends approval of a new biologic").item_type == "approval"


def test_body_only_type_needs_two_terms(tagger: Tagger) -> None:
    assert tagger.tag("Semaglutide and kidneys", "A study.").item_type == "news"
    body = "In this randomized trial, 3,000 participants received placebo or semaglutide."
    assert tagger.tag("Semaglutide and kidneys", body).item_type == "study"


def test_type_evidence(tagger: Tagger) -> None:
    result = tagger.tag("Rupture de stock : l'amoxicilline en tension d'approvisionnement")
    assert result.item_type == "shortage"
    assert result.type_evidence == ("rupture de stock", "tension d approvisionnement")
    assert tagger.tag("Le ministre visite l'hôpital").type_evidence == ()


# --- source specialties, determinism, API ----------------------------------------------------


def test_source_specialties_are_added(tagger: Tagger) -> None:
    result = tagger.tag("Le ministre visite l'hôpital", "", ("cardiologie",))
    assert result.specialties == (SpecialtyTag("cardiologie", 1.0, ("source",)),)


def test_source_specialty_already_found_keeps_its_score(tagger: Tagger) -> None:
    result = tagger.tag("Infarctus", "", ("cardiologie", "neurologie"))
    assert result.specialties == (
        SpecialtyTag("cardiologie", 3.0, ("infarctus", "source")),
        SpecialtyTag("neurologie", 1.0, ("source",)),
    )


def test_unknown_source_specialties_are_ignored(tagger: Tagger) -> None:
    assert tagger.tag("Le ministre visite l'hôpital", "", ("astrologie",)).specialties == ()


def test_deterministic(tagger: Tagger) -> None:
    title = "Cancer du poumon : dépistage organisé par scanner chez les fumeurs"
    text = "Un essai randomisé, publié par l'INCa, concerne la BPCO et le tabac."
    first = tagger.tag(title, text)
    assert all(tagger.tag(title, text) == first for _ in range(5))
    assert Tagger.load().tag(title, text) == first


def test_default_tagger_is_cached_and_module_tag_uses_it() -> None:
    assert default_tagger() is default_tagger()
    assert tag("Insuffisance cardiaque") == default_tagger().tag("Insuffisance cardiaque")


def test_empty_input(tagger: Tagger) -> None:
    result = tagger.tag("", "")
    assert (result.specialties, result.item_type, result.type_evidence) == ((), "news", ())


def test_result_types(tagger: Tagger) -> None:
    result = tagger.tag("Insuffisance cardiaque : essai randomisé", "")
    assert isinstance(result.specialties, tuple) and isinstance(result.type_evidence, tuple)
    assert result.item_type in ITEM_TYPES
    with pytest.raises(AttributeError):
        result.item_type = "news"  # type: ignore[misc]


# --- taxonomy notation and loading -----------------------------------------------------------


def test_parse_term_notation() -> None:
    assert parse_term("rein").forms == ("rein", "reins")
    assert parse_term("cérébral").forms == ("cerebral", "cerebrals", "cerebraux")
    assert parse_term("therapy").forms == ("therapy", "therapys", "therapies")
    assert parse_term("=goutte").forms == ("goutte",)
    term = parse_term("cardiolog*")
    assert term.prefix and term.forms == ("cardiolog",)
    term = parse_term("SEP")
    assert term.case_sensitive and term.forms == ("SEP",)
    assert parse_term("enfant @0.7").weight == 0.7
    assert parse_term("maladie de Crohn").forms == parse_term("maladie de crohn").forms
    assert parse_term("HbA1c").case_sensitive and parse_term("H/F").case_sensitive
    assert not parse_term("Drug Safety Communication").case_sensitive
    assert parse_term("maladie de crohn").forms == (
        "maladie de crohn", "maladie de crohns", "maladies de crohn", "maladies de crohns",
    )  # fmt: skip


@pytest.mark.parametrize("bad", ["car*dio", "=cardio*", "***", "’"])
def test_parse_term_rejects_bad_notation(bad: str) -> None:
    with pytest.raises(TaxonomyError):
        parse_term(bad)


def write_taxonomy(tmp_path: Path, specialties: str, types: str | None = None) -> Path:
    (tmp_path / "specialties.yaml").write_text(textwrap.dedent(specialties), encoding="utf-8")
    if types is not None:
        (tmp_path / "types.yaml").write_text(textwrap.dedent(types), encoding="utf-8")
    return tmp_path


def test_load_custom_taxonomy(tmp_path: Path) -> None:
    path = write_taxonomy(
        tmp_path,
        """
        veterinaire:
          label_fr: Vétérinaire
          label_en: Veterinary
          terms_fr: [vétérinaire*]
          terms_en: [veterinar*]
          negative: [vétérinaire de garde]
        """,
    )
    tagger = Tagger.load(str(path))
    assert list(tagger.specialties) == ["veterinaire"]
    assert tagger.tag("Les vétérinaires en grève").slugs == ("veterinaire",)
    assert tagger.tag("Le vétérinaire de garde").slugs == ()
    # types.yaml absent beside it: the packaged one is used
    assert tagger.tag("Rupture de stock de vaccins vétérinaires").item_type == "shortage"


@pytest.mark.parametrize(
    ("specialties", "types", "message"),
    [
        ("- a\n- b\n", None, "mapping"),
        ("x:\n  label_fr: X\n", None, "label_en"),
        ("x:\n  label_fr: X\n  label_en: X\n  terms: [a]\n", None, "unknown keys"),
        ("x:\n  label_fr: X\n  label_en: X\n  terms_fr: a\n", None, "list of strings"),
        ("x: [", None, "invalid YAML"),
        (
            "x:\n  label_fr: X\n  label_en: X\n",
            "precedence: [bogus]\ntypes:\n  bogus: {terms: [a]}\n",
            "not one of",
        ),
        (
            "x:\n  label_fr: X\n  label_en: X\n",
            "precedence: []\ntypes:\n  study: {terms: [a]}\n",
            "precedence",
        ),
    ],
)
def test_invalid_taxonomy(
    tmp_path: Path, specialties: str, types: str | None, message: str
) -> None:
    path = write_taxonomy(tmp_path, specialties, types)
    with pytest.raises(TaxonomyError, match=message):
        Tagger.load(str(path))


def test_nested_hits_of_a_group_count_once() -> None:
    from veille.tag_match import _evidence

    # (group, start, stop, match number, rank in the match, evidence, weight); title: 0-29
    hits = [
        (1, 20, 26, 0, 0, "renale", 1.0),
        (1, 7, 26, 1, 0, "insuffisance renale", 1.0),
        (2, 20, 26, 1, 1, "renale", 1.0),  # another group: kept
        (1, 40, 49, 2, 0, "meningite", 1.0),
        (1, 40, 49, 2, 1, "meningite [CIM-10 G03.9]", 1.0),  # same words: the vocabulary one stays
        (1, 60, 69, 3, 0, "cardiaque", 1.0),
        (1, 70, 79, 4, 0, "cardiaque", 0.5),  # a repeat, lighter: counted, weight kept
    ]
    groups = _evidence(list(reversed(hits)), 30)
    assert groups == {
        1: {
            "insuffisance renale": [1.0, 1.0, 0.0],
            "meningite [CIM-10 G03.9]": [1.0, 0.0, 1.0],
            "cardiaque": [1.0, 0.0, 2.0],
        },
        2: {"renale": [1.0, 1.0, 0.0]},
    }
    assert [list(g) for g in groups.values()] == [
        ["insuffisance renale", "meningite [CIM-10 G03.9]", "cardiaque"], ["renale"],
    ]  # in the order of the text
    assert _evidence(hits[:1], 30) == {1: {"renale": [1.0, 1.0, 0.0]}}
    assert _evidence([], 30) == {}


def test_group_score_weighs_title_repeats_and_weak_terms() -> None:
    from veille.tag_score import group_score

    # [weight, in title, body hits]: a title hit weighs 3x, body repeats +50 % (two at most)
    assert group_score({"infarctus": [1.0, 1.0, 0.0]}, 3.0) == (3.0, True)
    assert group_score({"infarctus": [1.0, 0.0, 4.0]}, 3.0) == (2.0, False)
    assert group_score({"coeur": [0.5, 0.0, 3.0], "valve": [1.0, 0.0, 1.0]}, 3.0) == (1.5, False)
    # a weak term alone scores nothing, however often and wherever it is
    assert group_score({"coeur": [0.5, 1.0, 2.0]}, 3.0) == (0.0, False)
