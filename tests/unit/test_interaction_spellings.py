"""The matcher reads other languages' INN spellings, brands, vaccine products, route
words in other languages and small typos, says how it read them, and never guesses
on short or unrelated names (an unmatched name is never reported as safe)."""

from __future__ import annotations

import pytest

from inocds.clinical.interactions import match_medications, parse_drug_name
from inocds.clinical.interactions.index import fuzzy_limit
from inocds.clinical.interactions.names import edit_distance, skeleton
from inocds.protocol.interactions import load_interactions

KNOWLEDGE = load_interactions()


def entry_ids(name: str) -> set[str]:
    """The ids of the seed-000 entries one medication name reaches."""
    return {hit.entry_id for hit in match_medications([name], KNOWLEDGE).interactions}


# Issue 9's first list: each came back unmatched before this change.
ISSUE_LIST = [
    ("fluconazol", "qt_moderate_cyp3a4_inhibitors"),
    ("posaconazol", "qt_strong_cyp3a4_inhibitors"),
    ("levofloxacine", "qt_quinolones_moderate"),
    ("ondansetrone", "ondansetron"),
    ("yellow fever", "yellow_fever_vaccine"),
    ("oral typhoid", "typhoid_vaccine"),
    ("TICE", "bcg_products"),
    ("antithymocyte globulin", "atg_equine"),
]

# es / fr / de / it / pt / Latin forms: -ol/-ole, -ine/-in/-ina/-ino, -one/-on/-ona,
# -olo, -um/-us, ph/f, th/t, ch/c, qu/c, k/c, y/i, silent h, accents, word order.
OTHER_LANGUAGES = [
    ("voriconazol", "qt_strong_cyp3a4_inhibitors"),
    ("levofloxacino 500 mg", "qt_quinolones_moderate"),
    ("levofloxacina", "qt_quinolones_moderate"),
    ("ciprofloxacino", "qt_quinolones_moderate"),
    ("ciprofloxacine", "qt_quinolones_moderate"),
    ("moxifloxacino", "qt_quinolones_moderate"),
    ("ondansetrón 8 mg ev", "ondansetron"),
    ("ondansetrona", "ondansetron"),
    ("Ondansetronum", "ondansetron"),
    ("haloperidolo", "haloperidol"),
    ("aloperidolo", "haloperidol"),
    ("halopéridol", "haloperidol"),
    ("amiodarona", "qt_highest"),
    ("Amiodaron", "qt_highest"),
    ("metadona", "qt_highest"),
    ("méthadone", "qt_highest"),
    ("claritromicina", "qt_strong_cyp3a4_inhibitors"),
    ("clarithromycine", "qt_strong_cyp3a4_inhibitors"),
    ("eritromicina", "qt_moderate_cyp3a4_inhibitors"),
    ("érythromycine", "qt_moderate_cyp3a4_inhibitors"),
    ("azitromicina", "qt_miscellaneous_moderate"),
    ("cloroquina", "chloroquine"),
    ("clorochina", "chloroquine"),
    ("hidroxicloroquina", "qt_miscellaneous_moderate"),
    ("quetiapina", "qt_antipsychotics_moderate"),
    ("clorpromazina", "qt_antipsychotics_moderate"),
    ("ziprasidona", "qt_antipsychotics_moderate"),
    ("escitalopramo", "qt_antidepressants_moderate"),
    ("amitriptilina", "qt_antidepressants_moderate"),
    ("Amitriptylin", "qt_antidepressants_moderate"),
    ("domperidona", "domperidone"),
    ("tacrolimo", "qt_miscellaneous_moderate"),
    ("fluorouracilo", "fluorouracil_products"),
    ("capecitabina", "fluorouracil_products"),
    ("linezolide", "linezolid"),
    ("sotalolo", "qt_highest"),
    ("trióxido de arsénico", "qt_highest"),
    ("sevofluorano", "qt_inhalational_anesthetics_moderate"),
    ("mesalazina", "five_asa_derivatives"),
    ("tiamazol", "antithyroid_agents"),
    ("pimozida", "pimozide"),
    ("tioridazina", "thioridazine"),
    ("levofloksacin", "qt_quinolones_moderate"),
    ("lofeksidin", "lofexidine"),
]

BRANDS_AND_PRODUCTS = [
    ("Thymoglobulin", "atg_equine"),
    ("ATG", "atg_equine"),
    ("Grafalon", "atg_equine"),
    ("Tavanic", "qt_quinolones_moderate"),
    ("Noxafil", "qt_strong_cyp3a4_inhibitors"),
    ("Klacid", "qt_strong_cyp3a4_inhibitors"),
    ("YF-VAX", "yellow_fever_vaccine"),
    ("Stamaril", "yellow_fever_vaccine"),
    ("vacuna fiebre amarilla", "yellow_fever_vaccine"),
    ("vaccin fièvre jaune", "yellow_fever_vaccine"),
    ("Vivotif", "typhoid_vaccine"),
    ("OncoTICE", "bcg_products"),
    ("TICE BCG", "bcg_products"),
    ("ACAM2000", "vaccines_live"),
    ("M-M-RVAXPRO", "mmr_varicella_live_vaccines"),
    ("Priorix", "mmr_varicella_live_vaccines"),
    ("Varivax", "mmr_varicella_live_vaccines"),
    ("Varilrix", "mmr_varicella_live_vaccines"),
    ("Zostavax", "zoster_vaccine_live"),
    ("RotaTeq", "vaccines_live"),
    ("Rotarix", "vaccines_live"),
    ("oral polio vaccine", "poliovirus_vaccine_live"),
    ("FluMist", "influenza_vaccines"),
    ("Vaxchora", "vaccines_live"),
    ("Dengvaxia", "dengue_vaccine_live"),
    ("Qdenga", "dengue_vaccine_live"),
    ("vaccin contre la varicelle", "mmr_varicella_live_vaccines"),
    ("vacuna triple viral", "mmr_varicella_live_vaccines"),
    ("Masern-Impfstoff", "vaccines_live"),
    ("vacina febre amarela", "yellow_fever_vaccine"),
    ("Impfstoff gegen Gelbfieber", "yellow_fever_vaccine"),
    ("BCG-Impfstoff", "bcg_products"),
    ("vacuna antigripal", "influenza_vaccines"),
    ("sipuleucel", "sipuleucel_t"),
]


@pytest.mark.parametrize(("text", "entry"), ISSUE_LIST + OTHER_LANGUAGES + BRANDS_AND_PRODUCTS)
def test_name_reaches_its_entry(text: str, entry: str) -> None:
    """Each spelling, brand or product name reaches the seed-000 entry that covers it."""
    assert entry in entry_ids(text)


def _ending_variants(word: str) -> set[str]:
    """The word with the INN endings of other languages: -e dropped or -a/-o, or added."""
    if word.endswith("e"):
        return {word[:-1], word[:-1] + "a", word[:-1] + "o"}
    if word.endswith("us"):
        return {word[:-2] + "o", word[:-2] + "um"}
    return {word + "e", word + "a", word + "o"}


def test_every_single_word_drug_is_found_under_other_languages_endings() -> None:
    """Each one-word drug name of the data reaches its entry with -e/-a/-o/-um endings."""
    misses = []
    for drug, entry in sorted({(m.drug, m.entry) for m in KNOWLEDGE.members}):
        parsed = parse_drug_name(drug)
        if len(parsed.tokens) != 1 or len(parsed.tokens[0]) < 6 or parsed.routes:
            continue
        for variant in sorted(_ending_variants(parsed.tokens[0])):
            if entry not in entry_ids(variant):
                misses.append((variant, entry))
    assert misses == []


@pytest.mark.parametrize(("text", "entry"), OTHER_LANGUAGES[:6])
def test_another_spelling_says_what_it_was_read_as(text: str, entry: str) -> None:
    """A non-English spelling is a `spelling` match with a confidence below 1 and `matched_as`."""
    result = match_medications([text], KNOWLEDGE)
    [hit] = [h for h in result.interactions if h.entry_id == entry]
    assert hit.match == "spelling" and 0 < hit.confidence < 1 and hit.matched_as
    assert [r.drug for r in result.inexact] == [text]


def test_jynneos_is_non_replicating_and_acam2000_live() -> None:
    """Jynneos is a non-live vaccine (D, seed 000), ACAM2000 a live one (X)."""
    assert entry_ids("Jynneos") == {"vaccines_non_live"}
    assert entry_ids("ACAM2000") == {"vaccines_live"}
    # "smallpox vaccine" does not say which: both entries are shown
    assert entry_ids("smallpox vaccine") == {"vaccines_live", "vaccines_non_live"}


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        ("tacrolimus pomada", "tacrolimus_topical"),
        ("tacrolimus crema 0,1%", "tacrolimus_topical"),
        ("Tacrolimus Salbe", "tacrolimus_topical"),
        ("tacrolimus pommade", "tacrolimus_topical"),
        ("tacrolimo unguento", "tacrolimus_topical"),
        ("ruxolitinib crema", "ruxolitinib_topical"),
        ("cloranfenicol colirio", "chloramphenicol_ophthalmic"),
        ("chloramphénicol collyre", "chloramphenicol_ophthalmic"),
        ("cloramfenicolo collirio", "chloramphenicol_ophthalmic"),
    ],
)
def test_route_words_of_other_languages_choose_the_route_entry(text: str, entry: str) -> None:
    """A foreign route word picks the route's entry and never the systemic one."""
    reached = entry_ids(text)
    assert reached == {entry}


def test_tacrolimus_pomada_is_topical_x_not_qt_group_c() -> None:
    """ "tacrolimus pomada" is Tacrolimus (Topical), risk X, not the QT group (C)."""
    [hit] = match_medications(["tacrolimus pomada"], KNOWLEDGE).interactions
    assert (hit.matched_entry, hit.risk, hit.qt_prolonging) == ("Tacrolimus (Topical)", "X", False)


@pytest.mark.parametrize(
    ("text", "entry", "confidence"),
    [
        # one swap over 11 letters: 0.9 x (1 - 1/11) = 0.818 -> 0.82
        ("ondansteron", "ondansetron", 0.82),
        # one deletion: skeleton "aloperidl" (9) vs "aloperidol": 0.9 x (1 - 1/9) = 0.8
        ("haloperidl", "haloperidol", 0.8),
        # "flucoanzole" is a swap of "fluconazole": skeleton 10 letters, 0.9 x 0.9 = 0.81
        ("flucoanzole", "qt_moderate_cyp3a4_inhibitors", 0.81),
    ],
)
def test_a_small_typo_is_a_fuzzy_match_with_its_confidence(
    text: str, entry: str, confidence: float
) -> None:
    """A typo within the edit limit is read as the one close drug, marked `fuzzy`."""
    [hit] = match_medications([text], KNOWLEDGE).interactions
    assert (hit.entry_id, hit.match, hit.confidence) == (entry, "fuzzy", confidence)


NEGATIVES = [
    "NaCl",
    "NaCl 0.9%",
    "saline",
    "normal saline",
    "paracetamol",
    "acetaminophen",
    "allopurinol",
    "aciclovir",
    "valaciclovir",
    "pantoprazole",
    "omeprazole",
    "ceftriaxone",
    "meropenem",
    "vancomycin",
    "gentamicin",
    "cotrimoxazole",
    "furosemide",
    "heparin",
    "enoxaparin",
    "dexamethasone",
    "prednisolone",
    "hydroxyurea",
    "mercaptopurine",
    "vincristine",
    "cytarabine",
    "imatinib",
    "ponatinib",
    "granisetron",
    "metoclopramide",
    "filgrastim",
    "itraconazole",
    "isavuconazole",
    "morphine",
    "KCl",
    "Mg",
    "TIC",
    "OPVX",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_an_unrelated_ward_name_matches_nothing(text: str) -> None:
    """Short names and common ward drugs match no entry and stay unmatched, with a message."""
    result = match_medications([text], KNOWLEDGE)
    assert result.interactions == ()
    assert result.unmatched == (text,)
    [detail] = result.unmatched_details
    assert "not proof" in detail.message


def test_two_drugs_equally_close_are_not_guessed() -> None:
    """A typo as close to two different drugs is left unmatched, both given as suggestions."""
    # "citalopran": 1 edit from citalopram; nothing else within 1 -> a match
    assert entry_ids("citalopran") == {"qt_antidepressants_moderate"}
    # "getifloxacin": 1 edit from gatifloxacin and 1 from gemifloxacin -> no guess
    result = match_medications(["getifloxacin"], KNOWLEDGE)
    assert result.interactions == () and result.unmatched == ("getifloxacin",)
    [detail] = result.unmatched_details
    assert detail.suggestions == ("gatifloxacin (systemic)", "gemifloxacin")


def test_a_route_excluded_name_is_not_fuzzily_matched() -> None:
    """Erythromycin eye ointment is erythromycin by another route, not a typo of another name."""
    assert entry_ids("erythromycin eye ointment") == set()


def test_skeleton_folds_language_endings_and_letters() -> None:
    """The skeleton merges the INN forms of one drug and keeps short words unchanged."""
    assert skeleton("fluconazol") == skeleton("fluconazole") == "fluconazol"
    assert skeleton("levofloxacine") == skeleton("levofloxacin") == skeleton("levofloxacino")
    assert skeleton("claritromicina") == skeleton("clarithromycin")
    assert skeleton("aloperidolo") == skeleton("haloperidol")
    assert skeleton("tacrolimo") == skeleton("tacrolimus")
    assert skeleton("tice") == "tice" and skeleton("nacl") == "nacl"


def test_edit_distance_counts_a_swap_as_one() -> None:
    """Optimal string alignment: a swap of neighbours is one edit; the limit cuts early."""
    assert edit_distance("ondansteron", "ondansetron", 2) == 1
    assert edit_distance("abc", "abc", 0) == 0
    assert edit_distance("saline", "sertindol", 1) == 2  # over the limit: limit + 1


def test_fuzzy_limit_grows_with_length_and_excludes_short_names() -> None:
    """No guess under 6 letters, one edit from 6, two from 12."""
    assert [fuzzy_limit(n) for n in (4, 5, 6, 11, 12, 20)] == [0, 0, 1, 1, 2, 2]
