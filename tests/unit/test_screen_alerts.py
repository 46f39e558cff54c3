"""The screen's alerts (QT combination, duplicates, source disagreement, unmatched and
inexact names) and its round-2 details: cytoreduction agents, monitoring contents."""

from __future__ import annotations

import copy
from typing import Any

from inocds.clinical.screen import run_screen
from inocds.protocol.loader import load_protocol

PROTOCOL = load_protocol()

BASE: dict[str, Any] = {
    "patient": {
        "birth_date": "1980-06-15",
        "sex": "male",
        "height_cm": 175,
        "weight_kg": 70,
        "can_become_pregnant": False,
        "hsct_planned": False,
        "pretreatment": {
            "anc_per_mm3": 1800,
            "platelets_per_mm3": 80000,
            "peripheral_blasts_per_mm3": 3000,
            "bilirubin": {"value": 0.6, "uln": 1.2},
        },
        "history": {"prior_hsct": False, "liver_disease": False, "prior_vod": False},
        "medications": [],
    },
    "events": [],
    "today": {"date": "2026-01-05"},
}


def screen(meds: list[str], **patient: Any) -> dict[str, Any]:
    """The screen of the base patient with these medications."""
    doc = copy.deepcopy(BASE)
    doc["patient"]["medications"] = meds
    doc["patient"].update(patient)
    return run_screen(doc)


def alerts(answer: dict[str, Any], alert_id: str) -> list[dict[str, Any]]:
    """The alerts of one id."""
    return [a for a in answer["alerts"] if a["id"] == alert_id]


# ---------------------------------------------------------------- QT combination


def test_four_qt_drugs_give_one_combined_alert() -> None:
    """Four distinct QT-prolonging drugs: one qt_combination alert naming all four."""
    meds = ["ondansetron", "haloperidol", "levofloxacin", "methadone"]
    answer = screen(meds)
    [alert] = alerts(answer, "interactions.qt_combination")
    assert alert["drugs"] == meds
    assert alert["severity"] == PROTOCOL["interactions.qt_combination"].text("severity")
    # the message is the TOML template filled with count 4 and the names
    template = PROTOCOL["interactions.qt_combination"].text("message")
    assert alert["message"] == template.format(count=4, drugs=", ".join(meds))
    assert "interactions.qt_combination" in {r["rule"] for r in answer["reasons"]}


def test_qt_drugs_are_counted_by_drug_not_by_name() -> None:
    """Zofran, ondansetron and ondansetrone are one drug: below the 2 distinct drugs."""
    answer = screen(["Zofran 8 mg IV", "ondansetron 4 mg PO", "ondansetrone"])
    assert alerts(answer, "interactions.qt_combination") == []
    [hit] = answer["interactions"]
    assert hit["also_listed_as"] == ["ondansetron 4 mg PO", "ondansetrone"]


def test_a_non_qt_interaction_does_not_count_towards_the_qt_alert() -> None:
    """Ondansetron (QT) with tofacitinib (immunosuppression, not QT): one QT drug, no alert."""
    assert alerts(screen(["ondansetron", "Xeljanz"]), "interactions.qt_combination") == []


def test_the_ecg_check_names_the_distinct_qt_drugs() -> None:
    """The ECG and electrolytes check is triggered by each distinct QT drug once."""
    answer = screen(["Zofran", "ondansetron", "fluconazol"])
    [ecg] = [m for m in answer["monitoring"] if m["check"] == "ecg_electrolytes"]
    assert ecg["triggered_by"] == ["Zofran", "fluconazol"]


# ---------------------------------------------------------------- duplicates


def test_the_same_name_twice_is_a_duplicate() -> None:
    """A name entered twice is reported and counted once."""
    answer = screen(["haloperidol", "haloperidol"])
    [alert] = alerts(answer, "medications.duplicate")
    assert alert["drugs"] == ["haloperidol", "haloperidol"]
    assert len(answer["interactions"]) == 1


def test_two_spellings_of_an_unknown_drug_are_a_duplicate_and_stay_unmatched() -> None:
    """Paracetamol by two routes is one unknown drug: a duplicate, and still unmatched."""
    answer = screen(["paracetamol 1 g PO", "Paracetamol IV"])
    [alert] = alerts(answer, "medications.duplicate")
    assert alert["drugs"] == ["paracetamol 1 g PO", "Paracetamol IV"]
    assert answer["unmatched"] == ["paracetamol 1 g PO", "Paracetamol IV"]


def test_eye_drops_and_iv_chloramphenicol_are_one_drug_with_two_entries() -> None:
    """Two routes of one drug: a duplicate alert, and both route entries kept (X and C)."""
    answer = screen(["chloramphenicol eye drops", "chloramphenicol 1 g IV"])
    assert len(alerts(answer, "medications.duplicate")) == 1
    assert {(h["matched_entry"], h["risk"]) for h in answer["interactions"]} == {
        ("Chloramphenicol (Systemic)", "X"),
        ("Chloramphenicol (Ophthalmic)", "C"),
    }


# ---------------------------------------------------------------- source disagreement


def test_saquinavir_shows_both_ratings_and_the_conflict() -> None:
    """Saquinavir: seed 000 C (QT strong CYP3A4 inhibitors), seed 001 not recommended."""
    answer = screen(["saquinavir"])
    [hit] = answer["interactions"]
    assert (hit["risk"], hit["listed_in"], hit["sources_disagree"]) == (
        "C",
        "not_recommended",
        True,
    )
    assert [r["rating"] for r in hit["ratings"]] == ["risk C", "not recommended"]
    assert alerts(answer, "interactions.source_disagreement")
    ids = [c["id"] for c in answer["source_conflicts"]]
    assert "interactions.rating.qt_strong_cyp3a4_inhibitors.saquinavir" in ids
    assert "interactions.patient_list_vs_risk_rating" in ids


def test_inactivated_typhoid_vaccine_meets_seed_001s_typhoid_listing() -> None:
    """Typhim Vi: non-live vaccine D in seed 000, "Typhoid Vaccine" not recommended in 001."""
    [hit] = screen(["Typhim Vi"])["interactions"]
    assert (hit["risk"], hit["listed_in"], hit["sources_disagree"]) == (
        "D",
        "not_recommended",
        True,
    )


def test_no_disagreement_when_seed_000_is_as_strict() -> None:
    """Yellow fever vaccine: X in seed 000 and not recommended in 001: no conflict added."""
    answer = screen(["yellow fever"])
    assert alerts(answer, "interactions.source_disagreement") == []
    assert not [c for c in answer["source_conflicts"] if c["id"].startswith("interactions.rating")]


# ---------------------------------------------------------------- unmatched and inexact


def test_an_unmatched_name_is_listed_with_a_message_never_as_safe() -> None:
    """An unknown name gives the unmatched alert and a message saying it is not proof of safety."""
    answer = screen(["cytarabine 100 mg/m2"])
    [alert] = alerts(answer, "interactions.unmatched")
    assert alert["severity"] == "warning" and "not proof of safety" in alert["message"]
    [detail] = answer["unmatched_details"]
    assert detail["drug"] == "cytarabine 100 mg/m2"


def test_every_alert_id_has_a_severity_message_and_source_in_the_toml() -> None:
    """Alert ids, severities and message templates live in screen.toml with a source."""
    for alert_id in (
        "interactions.qt_combination",
        "medications.duplicate",
        "interactions.unmatched",
        "interactions.inexact_match",
        "interactions.source_disagreement",
    ):
        rule = PROTOCOL[alert_id]
        assert rule.text("severity") in {"critical", "warning", "info"}
        assert "{" in rule.text("message") and rule.source


# ---------------------------------------------------------------- cytoreduction and monitoring


def test_cytoreduction_names_its_agents_before_the_first_dose() -> None:
    """Blasts 25,000 > 10,000 before any dose: cytoreduce with the named agents first."""
    answer = screen(
        [], pretreatment={**BASE["patient"]["pretreatment"], "peripheral_blasts_per_mm3": 25000}
    )
    details = answer["cytoreduction_details"]
    assert answer["cytoreduction_required"] is True
    assert details["agents"] == ["hydroxyurea", "steroids", "vincristine"]
    assert "hydroxyurea, steroids and/or vincristine" in details["message"]
    assert "before the first dose" in details["message"]


def test_cytoreduction_message_changes_once_a_dose_exists() -> None:
    """After a recorded dose the message no longer asks for it before the first dose."""
    doc = copy.deepcopy(BASE)
    doc["patient"]["pretreatment"]["peripheral_blasts_per_mm3"] = 25000
    doc["events"] = [
        {"type": "cycle_start", "date": "2026-01-05", "cycle": 1},
        {"type": "dose", "date": "2026-01-05", "cycle": 1, "day": 1, "dose_mg_per_m2": 0.8},
    ]
    doc["today"]["date"] = "2026-01-06"
    details = run_screen(doc)["cytoreduction_details"]
    assert "before the first dose" not in details["message"]
    assert "confirm it was done" in details["message"] and details["doses_recorded"] == 1


def test_monitoring_names_alkaline_phosphatase_bleeding_infection_and_tls_labs() -> None:
    """LFTs include alkaline phosphatase; myelosuppression signs and TLS labs are named."""
    checks = {m["check"]: m for m in screen([])["monitoring"]}
    assert "alkaline phosphatase" in checks["lfts"]["checks"]
    signs = checks["myelosuppression_signs"]
    assert any("bleeding" in c for c in signs["checks"])
    assert any("infection" in c for c in signs["checks"])
    assert signs["source"].startswith("000_c5f9e82afaac5f57.txt: Monitoring Parameters")
    assert checks["tls"]["checks"] == ["renal function", "electrolytes", "uric acid"]
    assert all(m["source"] for m in checks.values())
