"""Wording classes of real-world text (issue 11, English first): vocabulary gaps, body parts
and homonyms that are weak, everyday words that a cue must not take for a plant or a health
worker. One test per class, each with the case that must tag and the case that must not
(docs/tagging.md, "Conventions")."""

from __future__ import annotations

import pytest

from tests.helpers import slugs

# --- vocabulary gaps: ENT subspecialties, surgery named as the treatment, "psy" -----------------


@pytest.mark.parametrize(
    "title",
    [
        "CRS with nasal polyps: what the new EPOS says",
        "Vestibular rehabilitation after acute labyrinthitis",
        "Laryngectomy: voice prosthesis care at home",
        "Earwax removal: irrigation or microsuction?",
        "Sinus fungal ball: endoscopic treatment",
        "Évidement ganglionnaire cervical : quand le proposer ?",
        "Névrite vestibulaire : la corticothérapie en question",
    ],
)
def test_ent_subspecialty_words_are_ent(tagger, title):
    assert "orl" in slugs(tagger, title)


def test_a_fungal_ball_of_the_sinus_is_ent_not_infectious_diseases(tagger):
    assert slugs(tagger, "Fungus ball of the maxillary sinus") == {"orl"}
    assert "infectiologie" in slugs(tagger, "Fungal infections rise in ICU patients")


def test_surgery_named_as_the_treatment_tags_surgery(tagger):
    assert "chirurgie" in slugs(tagger, "Surgical management of recurrent diverticulitis")
    assert "chirurgie" in slugs(tagger, "Lambeau libre : la reconstruction après exérèse")
    # "surgical" alone stays weak: a mask is no operation.
    assert "chirurgie" not in slugs(tagger, "Surgical masks back in shops")


def test_sleep_apnoea_surgery_is_ent(tagger):
    assert "orl" in slugs(tagger, "Sleep apnea: hypoglossal nerve stimulation implant approved")
    assert "orl" in slugs(tagger, "Apnée du sommeil : quand proposer la chirurgie ?")
    assert "orl" not in slugs(tagger, "Sleep apnoea: CPAP adherence improves with telemonitoring")


def test_psy_is_a_weak_word_of_psychiatry(tagger):
    title = "Psy en Ehpad : un métier à inventer"
    assert "psychiatrie" in slugs(tagger, title, "Un résident sur trois a des troubles psychotiques.")
    assert "psychiatrie" not in slugs(tagger, "Psy : le mot qui fait peur")


def test_teenagers_weigh_what_adolescents_weigh(tagger):
    assert "pediatrie" in slugs(tagger, "Migraine drug approved for teenagers")
    assert "pediatrie" not in slugs(tagger, "Teens flock to new social app")


# --- body parts and homonyms are weak ------------------------------------------------------------


def test_eyes_ears_and_hearings_of_everyday_speech_tag_nothing(tagger):
    assert slugs(tagger, "Investors keep an eye on the central bank") == set()
    assert slugs(tagger, "Aux yeux de la justice, un témoin clé") == set()
    assert slugs(tagger, "Court hearing on the merger postponed to June") == set()
    assert slugs(tagger, "Le ministre prête l'oreille aux syndicats") == set()
    # with a second term of the organ they still tag
    assert "ophtalmologie" in slugs(tagger, "Dry eye disease: a new drop")
    assert "orl" in slugs(tagger, "Middle ear infections in winter")
    assert "orl" in slugs(tagger, "Hearing loss and hearing aids after 60")


def test_idioms_of_brains_teeth_strokes_and_outbreaks_tag_nothing(tagger):
    assert slugs(tagger, "Brain drain: young engineers leave the country") == set()
    assert slugs(tagger, "Le cerveau présumé des attentats jugé à Paris") == set()
    assert slugs(tagger, "Start-up cut its teeth on payments") == set()
    assert slugs(tagger, "Outbreak of violence in the capital") == set()
    assert slugs(tagger, "Clip goes viral overnight") == set()
    assert "neurologie" in slugs(tagger, "Brain injury after falls in older adults")


def test_film_screenings_and_counterfeit_goods_are_not_medical(tagger):
    assert slugs(tagger, "Film screening at the festival sells out") == set()
    assert slugs(tagger, "Counterfeit handbags seized at the port") == set()
    assert "pharmacologie" in slugs(tagger, "Counterfeit medicines sold online, regulators warn")
    assert "sante-publique" in slugs(tagger, "Lung cancer screening starts in Wales")


def test_drug_trafficking_is_crime_not_addiction_medicine(tagger):
    assert slugs(tagger, "Trafic de drogue : douze interpellations à Marseille") == set()
    assert slugs(tagger, "Drug cartel leader extradited") == set()
    assert "addictologie" in slugs(tagger, "Drogue : les consultations en addictologie doublent")


def test_non_smokers_are_no_tobacco_story(tagger):
    assert "addictologie" not in slugs(tagger, "Lung cancer in never smokers: the role of radon")
    assert "addictologie" in slugs(tagger, "Smokers who quit before 40 regain most of their life expectancy")


def test_homonyms_of_pregnancy_emergency_and_infancy_tag_nothing(tagger):
    assert slugs(tagger, "Incident dans l'enceinte du tribunal") == set()
    assert slugs(tagger, "Enceinte connectée : le test") == set()
    assert slugs(tagger, "State of emergency declared after floods") == set()
    assert slugs(tagger, "Infantry battalion deployed to the border") == set()
    assert "gynecologie-obstetrique" in slugs(tagger, "Enceinte, elle contracte la listériose")


# --- cues: everyday words are no plant and no health worker --------------------------------------


def test_french_mais_is_not_maize(tagger):
    """"maïs" folds to "mais" (but): it must not veto a French medical text as plant biology."""
    title = "Grossesse après chirurgie bariatrique"
    text = "Moins de diabète gestationnel, mais plus de petits poids de naissance."
    assert "gynecologie-obstetrique" in slugs(tagger, title, text)
    plant = slugs(tagger, "Maize yield loss under drought", "Crop genes of the leaf, and a virus.")
    assert plant == set()


def test_factories_seed_funding_and_leaving_are_not_plant_biology(tagger):
    assert "pharmacologie" in slugs(tagger, "Pfizer to close two plants after Paxlovid sales drop")
    assert "oncologie" in slugs(tagger, "Cancer start-up raises seed funding as founder leaves")


def test_internal_and_residents_are_no_health_workers(tagger):
    strike = "Tensions internes : le syndicat menace de grève"
    assert "medecine-travail" not in slugs(tagger, strike)
    assert "medecine-travail" not in slugs(tagger, "Residents protest against new road")
    assert "medecine-travail" in slugs(tagger, "Grève des internes : les hôpitaux s'organisent")
    assert "medecine-travail" in slugs(tagger, "Resident doctors strike over pay")


def test_cybersecurity_is_digital_health_only_next_to_health(tagger):
    assert "sante-numerique" not in slugs(tagger, "Cyberattack hits car maker's factories")
    assert "sante-numerique" in slugs(tagger, "Cyberattaque : l'hôpital de Cannes déprogramme des opérations")


# --- pharmacology: a pathogen or a recreational substance is no medicine -------------------------


def test_a_vaccine_label_that_names_its_virus_is_the_virus(tagger):
    assert "pharmacologie" not in slugs(tagger, "Papillomavirus : les cancers de la gorge augmentent")
    assert "pharmacologie" in slugs(tagger, "Gardasil : rappel de lots")


def test_nitrous_oxide_and_cocaine_are_addiction_not_pharmacology(tagger):
    got = slugs(tagger, "Protoxyde d'azote : trois jeunes hospitalisés à Lille")
    assert "addictologie" in got and "pharmacologie" not in got
    assert "pharmacologie" not in slugs(tagger, "Cocaine seizures and use at record levels")


def test_allergen_immunotherapy_is_no_new_medicine(tagger):
    got = slugs(tagger, "Oral immunotherapy for milk allergy: a randomised trial")
    assert "allergologie" in got and "pharmacologie" not in got
    cancer = slugs(tagger, "Immunotherapy for melanoma: FDA approves new combination")
    assert "pharmacologie" in cancer


# --- English vocabulary gaps: health system, abbreviations, procedures, anatomy ------------------


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Hospital bed shortage worsens before winter", "sante-publique"),
        ("Health spending: the budget freezes hospital funds", "sante-publique"),
        ("NHS waiting lists reach 7.6 million", "sante-publique"),
        ("Fermetures de lits : l'été s'annonce difficile", "sante-publique"),
        ("Mammogram screening from age 40", "radiologie"),
        ("AFib detected by a smartwatch", "cardiologie"),
        ("Varicose veins: foam or laser?", "cardiologie"),
        ("DVT risk on long-haul flights", "hematologie"),
        ("TBI in retired footballers", "neurologie"),
        ("Traumatisme crânien : le suivi après une chute à vélo", "neurologie"),
        ("T2D remission with a low-calorie diet", "endocrinologie"),
        ("AKI after cardiac surgery", "nephrologie"),
        ("STD rates climb in Europe", "infectiologie"),
        ("Food poisoning linked to a restaurant chain", "infectiologie"),
        ("HRT and breast density", "gynecologie-obstetrique"),
        ("Stillbirth rates fall in Scotland", "gynecologie-obstetrique"),
        ("Mortalité maternelle : un rapport alarmant", "gynecologie-obstetrique"),
        ("PPIs and the risk of fractures", "gastro-enterologie"),
        ("Knee pain: exercise beats injections", "rhumatologie"),
        ("Anorexie : les hospitalisations augmentent", "psychiatrie"),
        ("Snakebite deaths: antivenom supply falls short", "medecine-urgence"),
        ("Urgences débordées : le plan blanc déclenché", "medecine-urgence"),
    ],
)
def test_english_and_french_vocabulary_gaps(tagger, title, slug):
    assert slug in slugs(tagger, title)


def test_waiting_and_the_nhs_alone_are_weak(tagger):
    """A waiting time or the NHS as an employer is no health-system story by itself."""
    assert "sante-publique" not in slugs(tagger, "Job opening: consultant anaesthetist, NHS trust")
    assert "sante-publique" not in slugs(tagger, "IRM : les délais d'attente dépassent un mois")


def test_an_epidemic_of_a_non_infectious_condition_is_no_infection(tagger):
    assert "infectiologie" not in slugs(tagger, "Myopia epidemic among schoolchildren")
    assert "infectiologie" not in slugs(tagger, "Obésité : une épidémie silencieuse")
    assert "infectiologie" in slugs(tagger, "Cholera epidemic spreads in Sudan")


# --- abbreviations and words that every specialty uses are weak ----------------------------------


def test_psa_of_a_social_post_is_no_prostate(tagger):
    assert "urologie" not in slugs(tagger, "PSA: the library closes early on Friday")
    assert "urologie" in slugs(tagger, "PSA screening: new guidance for men over 50")
    assert "urologie" in slugs(tagger, "Dosage du PSA : faut-il le proposer à 50 ans ?")


def test_a_blood_test_or_delirium_alone_is_no_lab_medicine_or_geriatrics(tagger):
    assert "biologie-medicale" not in slugs(tagger, "Blood test spots colon cancer early")
    assert "biologie-medicale" in slugs(tagger, "Clinical laboratories: blood tests move to robots")
    assert "geriatrie" not in slugs(tagger, "Delirium after cardiac surgery: a sedation trial")
    assert "geriatrie" in slugs(tagger, "Delirium in older people: a prevention bundle")


def test_ent_words_of_head_and_neck_and_otology(tagger):
    for title in ("Glue ear: grommets or watchful waiting?", "Parotidectomy: facial nerve monitoring",
                  "Paralysie faciale : la rééducation précoce", "Skull base surgery: CSF leak repair"):
        assert "orl" in slugs(tagger, title), title


@pytest.mark.parametrize(
    "title",
    ["Campylobacter cases rise after a hot summer", "Norovirus closes a cruise ship",
     "Hantavirus death in Arizona", "West Nile virus: first cases of the season",
     "Virus Oropouche : premiers cas importés", "Gastro-entérites : l'épidémie démarre"],
)
def test_pathogens_of_the_news_are_infectious_diseases(tagger, title):
    assert "infectiologie" in slugs(tagger, title)


def test_marburg_the_city_is_no_virus(tagger):
    assert slugs(tagger, "Marburg university opens a new library") == set()
    assert "infectiologie" in slugs(tagger, "Marburg virus: Rwanda ends its outbreak")


def test_viral_hepatitis_is_hepatology_too(tagger):
    assert "gastro-enterologie" in slugs(tagger, "Hépatite C : l'élimination d'ici 2030")
    assert "gastro-enterologie" in slugs(tagger, "Hepatitis B: a new antiviral in trials")
    assert "gastro-enterologie" not in slugs(tagger, "Hepatitis outbreak in a daycare")


def test_neuropaediatricians_are_paediatrics_and_neurology(tagger):
    assert {"pediatrie", "neurologie"} <= slugs(tagger, "Neuropédiatrie : les délais s'allongent")


def test_fragility_of_a_truce_is_no_frailty(tagger):
    assert slugs(tagger, "La fragilité du cessez-le-feu inquiète l'ONU") == set()
    assert "geriatrie" in slugs(tagger, "Fragilité des personnes âgées : un repérage en pharmacie")


def test_case_sensitive_terms_also_match_at_the_start_of_a_title(tagger):
    """A term with an abbreviation is matched with its case, first letter included: each one
    that begins with a lowercase word is also written capitalised in specialties.yaml."""
    import re

    from veille.tag import TAXONOMY_DIR, load_specialties

    missing = []
    for slug, spec in load_specialties(TAXONOMY_DIR / "specialties.yaml").items():
        terms = {t.split(" @")[0].strip() for t in spec.terms_fr + spec.terms_en + spec.weak}
        for term in terms:
            cased = re.search(r"(?<=\w)[A-Z]|\b[A-Z]\b", term)
            if " " in term and term[0].islower() and cased and term[0].upper() + term[1:] not in terms:
                missing.append((slug, term))
    assert not missing
    assert "gastro-enterologie" in slugs(tagger, "Hépatite C : les nouveaux traitements")
    assert "hematologie" in slugs(tagger, "Factor VIII prophylaxis in adults")


def test_a_drug_family_with_a_named_drug_is_pharmacology(tagger):
    title = "Severe asthma: a biologic cuts exacerbations by half"
    assert "pharmacologie" in slugs(tagger, title, "Tezepelumab was given every four weeks.")
    # the family alone is weak: no medicine is named
    assert "pharmacologie" not in slugs(tagger, title, "Patients were followed for a year.")


def test_a_court_ordered_psychiatric_assessment_is_no_psychiatry_story(tagger):
    trial = "Procès : le tribunal ordonne une expertise psychiatrique de l'accusé"
    assert "psychiatrie" not in slugs(tagger, trial, "L'audience reprendra en mars.")
    assert "psychiatrie" in slugs(tagger, "Psychiatrie : les lits d'hospitalisation ferment")
