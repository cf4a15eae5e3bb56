"""Packaged vocabularies (veille.vocab): ICD-10 / CIM-10 chapters and ATC groups -> specialties,
label cleaning, drug names for dedup, and what they add to the tagger (failure class: vocabulary
that the hand-written taxonomy does not spell out)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from veille.cli import cli
from veille.tag import Tagger
from veille.vocab import (
    AtcEntry,
    VocabularyError,
    atc_specialties,
    drug_codes,
    drug_names,
    english_inn,
    icd_specialties,
    label_forms,
    load_mapping,
    parse_mapping,
    vocabulary_terms,
)


@pytest.fixture(scope="module")
def mapping():
    return load_mapping()


@pytest.mark.parametrize(
    "code, expected",
    [
        ("A90", ("infectiologie",)),  # dengue
        ("C50.9", ("oncologie",)),
        ("C91.0", ("oncologie", "hematologie")),  # acute lymphoblastic leukaemia
        ("E11", ("endocrinologie",)),
        ("F32", ("psychiatrie",)),
        ("F10.2", ("addictologie",)),
        ("G35", ("neurologie",)),
        ("H40", ("ophtalmologie",)),
        ("H81.1", ("orl",)),
        ("I05.0", ("cardiologie",)),
        ("I63", ("neurologie",)),  # cerebral infarction: the block beats the chapter
        ("J45", ("pneumologie",)),  # asthma: allergic asthma is no allergology story by itself
        ("K50", ("gastro-enterologie",)),
        ("M05", ("rhumatologie",)),
        ("N18", ("nephrologie",)),
        ("N40", ("urologie",)),
        ("O14", ("gynecologie-obstetrique",)),
        ("P07", ("pediatrie",)),
        ("Q90", ("genetique", "pediatrie")),
        ("R50", ()),  # symptoms: too generic to tag
        ("Z00", ()),
    ],
)
def test_icd_chapters_and_blocks_map_to_specialties(mapping, code, expected):
    assert icd_specialties(code, mapping) == expected


@pytest.mark.parametrize(
    "code, expected",
    [
        ("C07AB02", ("cardiologie",)),  # metoprolol
        ("J01CA04", ("infectiologie",)),  # amoxicillin
        ("L01XE03", ("oncologie",)),
        ("N05AH04", ("psychiatrie",)),  # quetiapine
        ("N03AG01", ("neurologie",)),  # valproic acid
        ("N06DA02", ("neurologie",)),  # donepezil: anti-dementia, not N06's psychiatry
        ("A10BJ06", ("endocrinologie",)),  # semaglutide: A10 beats A
        ("B01AC06", ("hematologie", "cardiologie")),  # acetylsalicylic acid as antithrombotic
        ("N02BE01", ()),  # paracetamol: pharmacologie only
    ],
)
def test_atc_groups_map_to_specialties(mapping, code, expected):
    assert atc_specialties(code, mapping) == expected


def test_label_forms_keep_what_news_could_say(mapping):
    assert label_forms("Lèpre [maladie de Hansen]") == ("Lèpre", "maladie de Hansen")
    assert label_forms("Tumeur maligne du sein, sans précision") == ("Tumeur maligne du sein",)
    assert label_forms("Épisodes dépressifs") == ("Épisodes dépressifs", "Épisode dépressif")
    assert label_forms("*** SU06 *** (Stridor (laryngé) congénital)") == ("Stridor congénital",)
    assert label_forms("Autres salmonelloses") == ()
    assert label_forms("Other specified diseases of the upper respiratory tract") == ()
    assert label_forms("Acute upper respiratory infection of multiple and unspecified sites") == ()
    assert label_forms("Plague", mapping.stop_icd) == ()  # an everyday word: stop list


def test_english_inn_spellings():
    assert english_inn("amoxicilline") == ("amoxicillin",)
    assert english_inn("acide valproïque") == ("valproic acid",)
    assert english_inn("paracetamol") == ()


def test_vocabulary_terms_from_small_inputs(mapping):
    terms = vocabulary_terms(
        mapping,
        icd_fr=[("I050", "Sténose mitrale (rhumatismale)"), ("R509", "Fièvre, sans précision")],
        icd_en=[("I05.0", "Mitral stenosis")],
        drugs=[
            AtcEntry("C09CA01", "losartan", "inn"),
            AtcEntry("C09CA01", "COZAAR", "brand"),
            AtcEntry("N02BE01", "VITAL", "brand"),  # an everyday word: stop list
            AtcEntry("A11", "vitamines", "inn"),  # a group, not a substance
        ],
    )
    assert [(t.form, t.vocabulary, t.code, t.cased) for t in terms] == [
        ("Sténose mitrale", "CIM-10", "I05.0", False),
        ("Mitral stenosis", "ICD-10", "I05.0", False),
        ("losartan", "ATC", "C09CA01", False),
        ("Cozaar", "ATC", "C09CA01", True),
    ]
    assert terms[2].specialties == (("pharmacologie", 1.0), ("cardiologie", 0.7))


def test_packaged_vocabularies_are_big_enough():
    terms = vocabulary_terms()
    by = {v: sum(1 for t in terms if t.vocabulary == v) for v in ("CIM-10", "ICD-10", "ATC")}
    assert all(n > 4000 for n in by.values()), by


def test_drug_names_for_dedup():
    names, codes = drug_names(), drug_codes()
    assert {"paracetamol", "doliprane", "amoxicillin", "amoxicilline"} <= names
    assert "fer" not in names and "vital" not in names
    assert codes["paracetamol"] == ("N02BE01",) and "N02BE01" in codes["doliprane"]
    assert set(codes) == names


def test_bad_mapping_is_one_clear_error(tmp_path: Path):
    with pytest.raises(VocabularyError, match="icd10 range 'I5' must be"):
        parse_mapping({"icd10": {"I5": ["cardiologie"]}})
    bad = tmp_path / "vocabularies.yaml"
    bad.write_text("icd10: [unclosed\n", encoding="utf-8")
    with pytest.raises(VocabularyError, match="vocabularies.yaml: invalid YAML"):
        load_mapping(bad)


# --- what the vocabularies add to the tagger -----------------------------------------------


@pytest.fixture(scope="module")
def hand_only() -> Tagger:
    return Tagger.load(vocabularies=False)


@pytest.mark.parametrize(
    "title, slug, evidence",
    [
        ("Sténose mitrale : un nouveau clip percutané", "cardiologie", "stenose mitrale [CIM-10 I05.0]"),
        ("Mitral stenosis: balloon valvotomy still has a place", "cardiologie", "mitral stenosis [ICD-10 I05.0]"),
        ("Leishmaniose viscérale : cas importés en hausse", "infectiologie", "leishmaniose viscerale [CIM-10 B55.0]"),
        ("Losartan : une nouvelle présentation", "pharmacologie", "losartan [ATC C09CA01]"),
        ("Losartan : une nouvelle présentation", "cardiologie", "losartan [ATC C09CA01]"),
        ("Atorvastatin lowers LDL in a new formulation", "pharmacologie", "atorvastatin [ATC C10AA05]"),
        ("Le Kardegic change de boîte", "pharmacologie", "Kardegic [ATC B01AC06]"),
    ],
)
def test_vocabulary_terms_tag_with_their_code(tagger, hand_only, title, slug, evidence):
    result = tagger.tag(title)
    tags = {t.specialty: t for t in result.specialties}
    assert evidence in tags[slug].evidence
    assert slug not in hand_only.tag(title).slugs  # the hand-written list alone misses it


def test_brand_names_match_only_as_names(tagger):
    assert "pharmacologie" in tagger.tag("KARDEGIC : rupture").slugs
    assert "pharmacologie" not in tagger.tag("un sachet kardegic oublié").slugs


def test_veille_tag_explains_vocabulary_and_rules():
    result = CliRunner().invoke(cli, ["tag", "Sténose mitrale : un nouveau clip percutané"])
    assert result.exit_code == 0, result.output
    assert "stenose mitrale (CIM-10 I05.0 → cardiologie)" in result.output
    result = CliRunner().invoke(
        cli, ["tag", "Choléra : l'OMS déploie le traçage des contacts\nDes cas à Mayotte."]
    )
    assert "rule epidemic-response:" in result.output


def test_drugs_too_new_for_the_atc_list_are_known_by_their_inn_stem(tagger, hand_only):
    result = tagger.tag("Pulmonary hypertension: sotatercept reduces risk of death")
    tags = {t.specialty: t.evidence for t in result.specialties}
    assert tags["pharmacologie"] == ("sotatercept [INN -ercept]",)
    assert "pharmacologie" in tagger.tag("Feu vert européen pour le tirzépatide").slugs
    # A stem alone, or a short word that happens to end like one, is no drug.
    assert "pharmacologie" not in tagger.tag("Le Punjab vote : la mab des élections").slugs
    assert "pharmacologie" not in tagger.tag("Les gliflozines en cardiologie").slugs


def test_eponyms_also_match_with_the_possessive_the_press_writes(tagger):
    from veille.vocab import possessive_forms

    assert possessive_forms("Huntington disease") == ("Huntington's disease",)
    assert possessive_forms("Bell palsy") == ("Bell's palsy",)
    assert possessive_forms("Acute bronchitis") == ()
    assert "neurologie" in tagger.tag("Huntington's disease: a first disease-modifying trial").slugs
    assert "endocrinologie" in tagger.tag("Cushing's syndrome is underdiagnosed").slugs


def test_diseases_match_without_their_course_and_appendix_is_surgery(tagger, hand_only):
    from veille.vocab import label_forms

    assert "appendicitis" in label_forms("Acute appendicitis")
    assert "Pancréatite" in label_forms("Pancréatite aiguë")
    assert label_forms("Chronic pain", frozenset({"pain"})) == ("Chronic pain",)  # "pain" is no disease
    appendix = {t.specialty: t.evidence for t in tagger.tag("Appendicitis in children").specialties}
    assert "appendicitis [ICD-10 K35]" in appendix["chirurgie"]
    assert "chirurgie" not in hand_only.tag("Appendicitis in children").slugs


def test_the_hand_written_atc_supplement_knows_newer_drugs_and_english_names(tagger, hand_only):
    from veille.vocab import ATC_EXTRA_FILE, atc_drugs, english_inn

    extra = atc_drugs(ATC_EXTRA_FILE)
    assert len(extra) > 100 and all(len(d.code) >= 5 and d.kind in ("new", "brand") for d in extra)
    for title, slug, evidence in [
        ("Mavacamten for obstructive cardiomyopathy", "cardiologie", "mavacamten [ATC C01EB]"),
        ("Cannabidiol autorisé dans le syndrome de Dravet", "pharmacologie", "cannabidiol [ATC N03AX]"),
        ("Zepbound sales soar", "endocrinologie", "Zepbound [ATC A10BX]"),
        ("Acetaminophen in pregnancy", "pharmacologie", "acetaminophen [ATC N02BE]"),
    ]:
        assert evidence in {t.specialty: t.evidence for t in tagger.tag(title).specialties}[slug]
    assert "pharmacologie" not in tagger.tag("zepbound").slugs  # brands only as names
    # French INN -ène are English -en; an NSAID is every specialty's, pharmacology only.
    assert english_inn("ibuprofène") == ("ibuprofen",)
    assert set(tagger.tag("Ibuprofen and kidney injury").slugs) == {"nephrologie", "pharmacologie"}


def test_who_british_labels_also_match_american_spelling(tagger):
    from veille.vocab import us_spellings

    assert us_spellings("Intracerebral haemorrhage") == ("Intracerebral hemorrhage",)
    assert us_spellings("Toe deformity") == ()  # only the known British spellings
    assert "neurologie" in tagger.tag("Intracerebral hemorrhage: early blood pressure lowering").slugs
    assert "infectiologie" in tagger.tag("Gonorrhea cases rise again").slugs
