"""Drug interactions: the data covers both seeds, the loader validates, the matcher
recognises ward spellings and reports everything it cannot match."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from inocds.clinical.interactions import (
    InteractionHit,
    match_medications,
    normalize_drug_name,
    parse_drug_name,
)
from inocds.protocol.interactions import (
    load_interactions,
)

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
SEED_000 = SEEDS / "000_c5f9e82afaac5f57.txt"
SEED_001 = SEEDS / "001_42e27560ff958eaf.txt"

KNOWLEDGE = load_interactions()


def seed_text(path: Path) -> str:
    """The seed's text, or skip the test when the seeds are not next to the checkout."""
    if not path.is_file():
        pytest.skip(f"seed document not found: {path}")
    return path.read_text(encoding="utf-8")


def seed_000_entries() -> dict[str, str]:
    """Entry name -> risk letter, parsed from seed 000's Drug Interactions section."""
    text = seed_text(SEED_000)
    section = text.split("\nDrug Interactions\n", 1)[1].split("\nReproductive Considerations\n")[0]
    found = re.findall(r"^([^:\n]+): .*?\bRisk ([XDC]): ", section, flags=re.MULTILINE)
    return dict(found)


def seed_001_lists() -> dict[str, str]:
    """Drug name -> list, parsed from the two bullet lists of seed 001."""
    text = seed_text(SEED_001)
    section = text.split("### Drug Interactions", 1)[1].split("### Other Interactions", 1)[0]
    first, second = section.split("is usually not recommended", 1)
    names: dict[str, str] = {}
    for block, list_name in ((first, "not_recommended"), (second, "usually_not_recommended")):
        for name in re.findall(r"^- (.+?)\s*$", block, flags=re.MULTILINE):
            names[name] = list_name
    return names


def hits(name: str) -> list[InteractionHit]:
    """The interaction hits for a single medication name."""
    return list(match_medications([name], KNOWLEDGE).interactions)


def entries_hit(name: str) -> set[str]:
    """The names of the seed-000 entries a medication name reaches."""
    return {hit.matched_entry for hit in hits(name)}


# --------------------------------------------------------------------------- data


def test_data_holds_every_seed_000_entry_with_its_risk() -> None:
    """Each entry of seed 000's Drug Interactions section is in the data, same name and risk."""
    expected = seed_000_entries()
    assert len(expected) >= 75
    actual = {e.name: e.risk for e in KNOWLEDGE.entries}
    assert sorted(set(expected) - set(actual)) == []
    assert sorted(set(actual) - set(expected)) == []
    assert actual == expected


def test_data_holds_every_seed_001_drug_in_its_list() -> None:
    """Each drug of seed 001's two lists is a [[listed]] row in the same list."""
    expected = seed_001_lists()
    assert len(expected) >= 60
    assert {row.name: row.list for row in KNOWLEDGE.listed} == expected


def test_every_row_names_a_source() -> None:
    """Entries cite seed 000, listed rows seed 001, and every member row has a source."""
    for entry in KNOWLEDGE.entries:
        assert entry.source.startswith("000_c5f9e82afaac5f57.txt: Drug Interactions"), entry.id
    for row in KNOWLEDGE.listed:
        assert row.source == "001_42e27560ff958eaf.txt: Drug Interactions", row.name
    for member in KNOWLEDGE.members:
        assert member.source.strip(), member.drug


def test_member_sources_say_whether_a_seed_names_the_drug() -> None:
    """A member cites seed 001 iff seed 001 names it; unsourced rows say 'not in the seeds'."""
    listed = {parse_drug_name(row.name).tokens for row in KNOWLEDGE.listed}
    for member in KNOWLEDGE.members:
        names = {parse_drug_name(n).tokens for n in (member.drug, *member.aliases)}
        named_by_001 = bool(names & listed)
        cites_001 = "001_42e27560ff958eaf.txt" in member.source
        assert cites_001 == named_by_001 or member.source.startswith("000_"), member.drug
        if not member.source.startswith(("000_", "001_")):
            assert "not in the seeds" in member.source, member.drug


def test_linked_listed_drugs_agree_with_the_member_table() -> None:
    """A seed-001 drug linked to an entry is known by that name and leads to that entry."""
    by_tokens: dict[tuple[str, ...], set[str]] = {}
    for entry in KNOWLEDGE.entries:
        by_tokens.setdefault(parse_drug_name(entry.name).tokens, set()).add(entry.id)
    for member in KNOWLEDGE.members:
        for name in (member.drug, *member.aliases):
            by_tokens.setdefault(parse_drug_name(name).tokens, set()).add(member.entry)
    for row in KNOWLEDGE.listed:
        if row.entry is None:
            continue
        reached = by_tokens.get(parse_drug_name(row.name).tokens, set())
        assert row.entry in reached, row.name


def test_no_alias_belongs_to_two_different_drugs() -> None:
    """A spelling never points at two different member drugs (which would be a silent guess)."""
    owner: dict[tuple[tuple[str, ...], frozenset[str]], str] = {}
    for member in KNOWLEDGE.members:
        drug = normalize_drug_name(member.drug) + repr(sorted(parse_drug_name(member.drug).routes))
        for name in (member.drug, *member.aliases):
            parsed = parse_drug_name(name)
            key = (parsed.tokens, parsed.routes)
            assert owner.setdefault(key, drug) == drug, (name, owner[key], drug)


def test_effect_and_management_texts_are_not_copied_from_the_seed() -> None:
    """No effect/management text shares a run of 8 words with seed 000 (own words only)."""
    words = re.findall(r"[a-z0-9]+", seed_text(SEED_000).casefold())
    seed_runs = {" ".join(words[i : i + 8]) for i in range(len(words) - 7)}
    for entry in KNOWLEDGE.entries:
        for text in (entry.effect, entry.management):
            own = re.findall(r"[a-z0-9]+", text.casefold())
            runs = {" ".join(own[i : i + 8]) for i in range(len(own) - 7)}
            assert not runs & seed_runs, (entry.id, sorted(runs & seed_runs))


# --------------------------------------------------------------------------- matching


@pytest.mark.parametrize("entry", KNOWLEDGE.entries, ids=lambda e: e.id)
def test_every_entry_is_matched_by_its_own_name(entry: Any) -> None:
    """Typing an entry's seed-000 name gives exactly that entry."""
    assert entries_hit(entry.name) == {entry.name}


WARD_SPELLINGS = [
    ("Zofran 8 mg IV", "Ondansetron"),
    ("ondansetron HCl", "Ondansetron"),
    ("Ondansetron hydrochloride 4mg/2mL inj", "Ondansetron"),
    ("Zofran ODT 4 mg", "Ondansetron"),
    ("Haldol 5mg PO", "Haloperidol"),
    ("haloperidol decanoate 50 mg IM", "Haloperidol"),
    ("levofloxacin 500 mg", "QT-prolonging Quinolone Antibiotics (Moderate Risk)"),
    ("Cipro 500 mg PO BID", "QT-prolonging Quinolone Antibiotics (Moderate Risk)"),
    ("moxifloxacin 400 mg IV daily", "QT-prolonging Quinolone Antibiotics (Moderate Risk)"),
    ("Diflucan", "QT-prolonging Moderate CYP3A4 Inhibitors (Moderate Risk)"),
    ("fluconazole 400 mg PO", "QT-prolonging Moderate CYP3A4 Inhibitors (Moderate Risk)"),
    ("erythromycin 250 mg PO", "QT-prolonging Moderate CYP3A4 Inhibitors (Moderate Risk)"),
    ("posaconazole 300 mg PO daily", "QT-prolonging Strong CYP3A4 Inhibitors (Moderate Risk)"),
    ("Vfend 200 mg BID", "QT-prolonging Strong CYP3A4 Inhibitors (Moderate Risk)"),
    ("clarithromycin", "QT-prolonging Strong CYP3A4 Inhibitors (Moderate Risk)"),
    ("lopinavir/ritonavir", "QT-prolonging Strong CYP3A4 Inhibitors (Moderate Risk)"),
    ("azithromycin 500mg", "QT-prolonging Miscellaneous Agents (Moderate Risk)"),
    ("Prograf 1 mg PO BID", "QT-prolonging Miscellaneous Agents (Moderate Risk)"),
    ("amiodarone 200 mg", "QT-prolonging Agents (Highest Risk)"),
    ("methadone 10 mg", "QT-prolonging Agents (Highest Risk)"),
    ("Betapace", "QT-prolonging Agents (Highest Risk)"),
    ("quetiapine 25 mg nocte", "QT-prolonging Antipsychotics (Moderate Risk)"),
    ("Seroquel XR 50 mg", "QT-prolonging Antipsychotics (Moderate Risk)"),
    ("citalopram 20 mg", "QT-prolonging Antidepressants (Moderate Risk)"),
    ("escitalopram oxalate", "QT-prolonging Antidepressants (Moderate Risk)"),
    ("flecainide acetate", "QT-prolonging Class IC Antiarrhythmics (Moderate Risk)"),
    ("sevoflurane", "QT-Prolonging Inhalational Anesthetics (Moderate Risk)"),
    ("Sprycel 140 mg", "QT-prolonging Kinase Inhibitors (Moderate Risk)"),
    ("dasatinib", "QT-prolonging Kinase Inhibitors (Moderate Risk)"),
    ("BCG vaccine", "BCG Products"),
    ("TICE BCG intravesical", "BCG Products"),
    ("flu shot (inactivated)", "Influenza Virus Vaccines"),
    ("Fluzone High-Dose", "Influenza Virus Vaccines"),
    ("MMR vaccine", "Mumps- Rubella- or Varicella-Containing Live Vaccines"),
    ("Varivax", "Mumps- Rubella- or Varicella-Containing Live Vaccines"),
    ("Prevnar 20", "Pneumococcal Vaccines"),
    ("PPSV23", "Pneumococcal Vaccines"),
    ("Comirnaty", "COVID-19 Vaccine (mRNA)"),
    ("Shingrix", "Vaccines (Non-Live/Inactivated/Non-Replicating)"),
    ("hepatitis B vaccine", "Vaccines (Non-Live/Inactivated/Non-Replicating)"),
    ("Zostavax", "Zoster Vaccine (Live/Attenuated)"),
    ("Vivotif", "Typhoid Vaccine"),
    ("Stamaril", "Yellow Fever Vaccine"),
    ("OPV", "Poliovirus Vaccine (Live/Trivalent/Oral)"),
    ("RotaTeq", "Vaccines (Live)"),
    ("Xeloda 1000 mg/m2", "Fluorouracil Products"),
    ("5-FU", "Fluorouracil Products"),
    ("mesalazine 1.2 g", "5-Aminosalicylic Acid Derivatives"),
    ("carbimazole", "Antithyroid Agents"),
    ("Gilenya", "Sphingosine 1-Phosphate (S1P) Receptor Modulators"),
    ("Zyvox 600 mg IV", "Linezolid"),
    ("linezolid", "Linezolid"),
    ("Atgam", "Antithymocyte Globulin (Equine)"),
    ("Xeljanz", "Tofacitinib"),
    ("Prolia", "Denosumab"),
    ("tacrolimus ointment 0.1%", "Tacrolimus (Topical)"),
    ("Protopic", "Tacrolimus (Topical)"),
    ("Opzelura cream", "Ruxolitinib (Topical)"),
    ("chloramphenicol eye drops", "Chloramphenicol (Ophthalmic)"),
    ("chloramphenicol sodium succinate 1 g IV", "Chloramphenicol (Systemic)"),
    ("pentamidine 4 mg/kg IV", "Pentamidine (Systemic)"),
    ("amisulpride 400 mg", "Amisulpride (Oral)"),
    ("Motilium", "Domperidone"),
    ("Vyvgart", "Efgartigimod Alfa"),
]


@pytest.mark.parametrize(("text", "expected"), WARD_SPELLINGS, ids=[t for t, _ in WARD_SPELLINGS])
def test_ward_spelling_is_matched_to_the_right_entry(text: str, expected: str) -> None:
    """A ward-style spelling (brand, dose, salt, route, form) reaches the expected entry."""
    assert expected in entries_hit(text)


def test_at_least_forty_ward_spellings_are_checked() -> None:
    """The ward-spelling table keeps at least 40 cases."""
    assert len(WARD_SPELLINGS) >= 40


def test_a_drug_in_a_group_reports_the_group() -> None:
    """Fluconazole hits the moderate-CYP3A4 QT group and names that group as the route."""
    [hit] = hits("fluconazole")
    assert hit.matched_entry == "QT-prolonging Moderate CYP3A4 Inhibitors (Moderate Risk)"
    assert hit.via_group == hit.matched_entry
    assert hit.risk == "C"
    assert hit.source == "000_c5f9e82afaac5f57.txt: Drug Interactions"


def test_a_single_drug_entry_has_no_group() -> None:
    """A brand name of a single-drug entry is matched directly (via_group is None)."""
    [hit] = hits("Zofran 8 mg IV")
    assert hit.drug == "Zofran 8 mg IV"
    assert (hit.matched_entry, hit.via_group) == ("Ondansetron", None)


def test_a_drug_reaching_several_entries_gives_each_of_them() -> None:
    """Live nasal influenza vaccine hits both the influenza entry and the live-vaccine entry."""
    assert entries_hit("FluMist") == {"Influenza Virus Vaccines", "Vaccines (Live)"}


def test_an_ambiguous_vaccine_name_gives_every_possible_entry() -> None:
    """'COVID vaccine' of unknown type reaches all three COVID-19 entries, not a guess."""
    assert entries_hit("COVID vaccine") == {
        "COVID-19 Vaccine (mRNA)",
        "COVID-19 Vaccine (Subunit)",
        "COVID-19 Vaccine (Inactivated Virus)",
    }
    assert entries_hit("oral polio vaccine") == {"Poliovirus Vaccine (Live/Trivalent/Oral)"}
    assert entries_hit("IPV") == {"Vaccines (Non-Live/Inactivated/Non-Replicating)"}


def test_a_more_specific_name_beats_the_shorter_one_inside_it() -> None:
    """'typhoid vaccine (inactivated)' is the non-live vaccine, not the live typhoid entry."""
    assert entries_hit("typhoid vaccine (inactivated)") == {
        "Vaccines (Non-Live/Inactivated/Non-Replicating)"
    }
    assert entries_hit("typhoid vaccine") == {"Typhoid Vaccine"}


@pytest.mark.parametrize(
    "text",
    [
        "tacrolimus 1 mg PO BID",
        "pentamidine 300 mg nebulised",
        "ciprofloxacin 0.3% eye drops",
        "erythromycin eye ointment",
        "ketoconazole 2% shampoo",
        "ruxolitinib 10 mg PO",
    ],
)
def test_a_route_that_the_entry_excludes_does_not_match_it(text: str) -> None:
    """Systemic use never hits a topical entry, and eye/skin/inhaled use never a systemic one."""
    reached = entries_hit(text)
    assert not reached & {
        "Tacrolimus (Topical)",
        "Ruxolitinib (Topical)",
        "Pentamidine (Systemic)",
        "QT-prolonging Quinolone Antibiotics (Moderate Risk)",
        "QT-prolonging Moderate CYP3A4 Inhibitors (Moderate Risk)",
        "QT-prolonging Strong CYP3A4 Inhibitors (Moderate Risk)",
    }


NON_INTERACTING = [
    "paracetamol 1 g PO",
    "acetaminophen",
    "acyclovir 400 mg PO BID",
    "allopurinol 300 mg",
    "pantoprazole 40 mg IV",
    "normal saline",
    "ceftriaxone 2 g IV",
    "furosemide",
    "enoxaparin 40 mg SC",
]


@pytest.mark.parametrize("text", NON_INTERACTING)
def test_a_common_non_interacting_drug_gives_no_interaction(text: str) -> None:
    """A drug in no entry or group gives no hit and is reported as unmatched."""
    result = match_medications([text], KNOWLEDGE)
    assert result.interactions == ()
    assert result.unmatched == (text,)
    assert result.listed_only == ()


def test_unmatched_names_are_reported_exactly_as_entered() -> None:
    """Unmatched names come back verbatim, in input order, while matches become hits."""
    names = ["  Acyclovir 400mg ", "Zofran 8 mg IV", "UNKNOWN-DRUG xyz", "cytarabine 100 mg/m2"]
    result = match_medications(names, KNOWLEDGE)
    assert result.unmatched == ("  Acyclovir 400mg ", "UNKNOWN-DRUG xyz", "cytarabine 100 mg/m2")
    assert [hit.drug for hit in result.interactions] == ["Zofran 8 mg IV"]


def test_a_seed_001_drug_without_a_seed_000_entry_is_not_dropped() -> None:
    """Aripiprazole (seed 001 only) stays unmatched but is described in listed_only."""
    result = match_medications(["Abilify 10 mg"], KNOWLEDGE)
    assert result.interactions == ()
    assert result.unmatched == ("Abilify 10 mg",)
    [other] = result.listed_only
    assert (other.listed_name, other.listed_in) == ("Aripiprazole", "usually_not_recommended")
    assert other.source == "001_42e27560ff958eaf.txt: Drug Interactions"


def test_hits_carry_the_seed_001_list_when_the_drug_is_named_there() -> None:
    """A drug named by seed 001 carries its list; one it does not name carries None."""
    [cipro] = hits("Cipro 500 mg")
    [levo] = hits("levofloxacin")
    [pimozide] = hits("Orap")
    assert cipro.listed_in == "usually_not_recommended"
    assert levo.listed_in is None
    assert pimozide.listed_in == "not_recommended"


def test_hits_are_ordered_by_risk_then_name() -> None:
    """Hits come X first, then D, then C, and by entry name within a risk."""
    names = ["fluconazole", "Tdap", "MMR", "ondansetron", "Xeljanz", "methadone", "linezolid"]
    result = match_medications(names, KNOWLEDGE)
    order = {"X": 0, "D": 1, "C": 2}
    keys = [(order[h.risk], h.matched_entry.casefold()) for h in result.interactions]
    assert keys == sorted(keys)
    assert [h.risk for h in result.interactions][:2] == ["X", "X"]


def test_hit_to_dict_starts_with_the_contract_keys() -> None:
    """The JSON view of a hit gives the contract's keys first, then how it matched."""
    [hit] = hits("Haldol")
    view = hit.to_dict()
    assert list(view)[:8] == [
        "drug",
        "matched_entry",
        "risk",
        "effect",
        "management",
        "source",
        "via_group",
        "listed_in",
    ]
    assert (view["matched_as"], view["matched_name"]) == ("haloperidol", "Haldol")
    assert (view["match"], view["confidence"]) == ("exact", 1.0)


def test_matching_is_deterministic() -> None:
    """The same list always gives the same result, whatever the order of input."""
    names = ["FluMist", "COVID vaccine", "amiodarone", "Abilify", "acyclovir", "Diflucan"]
    first = match_medications(names, KNOWLEDGE)
    assert match_medications(names, KNOWLEDGE) == first
    assert match_medications(list(reversed(names)), KNOWLEDGE).interactions == first.interactions


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("Ondansetron HCl 8 mg IV", "ondansetron"),
        ("ONDANSETRON", "ondansetron"),
        ("flu shot (inactivated)", "flu shot inactivated"),
        ("Levofloxacin 500mg tablet PO daily", "levofloxacin"),
        ("Erythromycin ethylsuccinate 400 mg/5 mL suspension", "erythromycin"),
        ("Tacrolimus 0.1% ointment", "tacrolimus"),
        (
            "Mumps- Rubella- or Varicella-Containing Live Vaccines",
            "mumps rubella varicella containing live vaccine",
        ),
    ],
)
def test_normalize_drug_name_ignores_case_salt_dose_route_and_form(text: str, normal: str) -> None:
    """Normalisation keeps only the identifying words of a medication name."""
    assert normalize_drug_name(text) == normal
