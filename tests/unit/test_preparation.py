"""The beyond-use clock of a preparation (prep.beyond_use, prep.diluted_storage_reading).

Limits (protocol/preparation.toml): dilute within 4 h of reconstitution; end the
infusion within 8 h of reconstitution, warm-up and infusion included; diluted product
4 h at room temperature (counted to the end of the infusion) or 3 h at 2-8 C (counted
to removal from the refrigerator), then about 1 h to warm up; infusion 1 h.
All worked times below start from reconstitution R = 08:00 (+01:00).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inocds.clinical.beyond_use import beyond_use
from inocds.clinical.prepare_command import run_prepare
from inocds.clinical.validation import InputError

ZONE = dt.timezone(dt.timedelta(hours=1))
R = dt.datetime(2026, 1, 5, 8, 0, tzinfo=ZONE)
REQUEST = {
    "height_cm": 180,
    "weight_kg": 80,
    "dose_mg_per_m2": 0.8,
    "reconstituted_at": "2026-01-05T08:00:00+01:00",
    "diluted_refrigerated": False,
}


def at(hhmm: str) -> dt.datetime:
    """The time hh:mm on R's day, in R's zone."""
    hours, minutes = hhmm.split(":")
    return R.replace(hour=int(hours), minute=int(minutes))


def iso(hhmm: str) -> str:
    """The ISO 8601 form of at(hhmm), as the answer writes it."""
    return at(hhmm).isoformat()


def _errors(raw: Any) -> dict[str, str]:
    with pytest.raises(InputError) as caught:
        run_prepare(raw)
    return {e.field: e.message for e in caught.value.errors}


# ------------------------------------------------------------------ room temperature


def test_room_temperature_without_dilution_time() -> None:
    """Without diluted_at only the reconstitution limits apply: dilute by 12:00, end by 16:00."""
    # 08:00 + 4 h = 12:00; 08:00 + 8 h = 16:00; start 16:00 - 1 h = 15:00.
    clock = beyond_use(R, diluted_refrigerated=False)
    assert clock.latest_dilution_at == at("12:00")
    assert clock.latest_infusion_end_at == at("16:00")
    assert clock.latest_infusion_start_at == at("15:00")
    assert clock.latest_removal_from_refrigerator_at is None
    assert clock.binding_limits == ("reconstitution_to_end_of_infusion",)


def test_room_temperature_early_dilution_binds() -> None:
    """Diluted at 09:00 and kept at room temperature: end by 13:00, start by 12:00."""
    # Diluted limit 09:00 + 4 h = 13:00 (end of infusion) < 08:00 + 8 h = 16:00.
    clock = beyond_use(R, diluted_refrigerated=False, diluted_at=at("09:00"))
    assert clock.diluted_storage_limit_at == at("13:00")
    assert clock.latest_infusion_end_at == at("13:00")
    assert clock.latest_infusion_start_at == at("12:00")
    assert clock.binding_limits == ("diluted_room_temperature",)
    assert any("binds" in note for note in clock.notes)


def test_room_temperature_latest_dilution_ties() -> None:
    """Diluted at 12:00 (the latest): 12:00 + 4 h = 16:00 = 08:00 + 8 h, both limits bind."""
    clock = beyond_use(R, diluted_refrigerated=False, diluted_at=at("12:00"))
    assert clock.latest_infusion_end_at == at("16:00")
    assert clock.latest_infusion_start_at == at("15:00")
    assert set(clock.binding_limits) == {
        "reconstitution_to_end_of_infusion",
        "diluted_room_temperature",
    }


# ------------------------------------------------------------------ refrigerated


def test_refrigerated_without_dilution_time() -> None:
    """Refrigerated, no diluted_at: out of the refrigerator by 14:00, start 15:00, end 16:00."""
    # 16:00 end - 1 h infusion - 1 h warm-up = 14:00.
    clock = beyond_use(R, diluted_refrigerated=True)
    assert clock.latest_removal_from_refrigerator_at == at("14:00")
    assert clock.latest_infusion_start_at == at("15:00")
    assert clock.latest_infusion_end_at == at("16:00")
    assert any("diluted_at" in note for note in clock.notes)


def test_refrigerated_early_dilution_binds() -> None:
    """Diluted at 09:00 into the refrigerator: out by 12:00, start by 13:00, end by 14:00."""
    # 09:00 + 3 h = 12:00 < 14:00 (the 8 h limit's removal time); + 1 h warm-up = 13:00.
    clock = beyond_use(R, diluted_refrigerated=True, diluted_at=at("09:00"))
    assert clock.diluted_storage_limit_at == at("12:00")
    assert clock.latest_removal_from_refrigerator_at == at("12:00")
    assert clock.latest_infusion_start_at == at("13:00")
    assert clock.latest_infusion_end_at == at("14:00")
    assert clock.binding_limits == ("diluted_refrigerated",)


def test_refrigerated_late_dilution_eight_hours_bind() -> None:
    """Diluted at 11:30: the 3 h limit (14:30) falls after 14:00, so the 8 h limit binds."""
    # 11:30 + 3 h = 14:30 > 08:00 + 8 h - 1 h - 1 h = 14:00 -> out by 14:00, start 15:00.
    clock = beyond_use(R, diluted_refrigerated=True, diluted_at=at("11:30"))
    assert clock.latest_removal_from_refrigerator_at == at("14:00")
    assert clock.latest_infusion_start_at == at("15:00")
    assert clock.latest_infusion_end_at == at("16:00")
    assert clock.binding_limits == ("reconstitution_to_end_of_infusion",)


def test_refrigerated_tie_at_eleven() -> None:
    """Diluted at 11:00: 11:00 + 3 h = 14:00 = the 8 h limit's removal time; both bind."""
    clock = beyond_use(R, diluted_refrigerated=True, diluted_at=at("11:00"))
    assert clock.latest_removal_from_refrigerator_at == at("14:00")
    assert len(clock.binding_limits) == 2


@given(
    st.integers(min_value=0, max_value=240),
    st.booleans(),
)
def test_clock_never_breaks_a_limit(minutes_after: int, refrigerated: bool) -> None:
    """For any dilution within 4 h, the plan keeps every limit and leaves 1 h to infuse."""
    diluted = R + dt.timedelta(minutes=minutes_after)
    clock = beyond_use(R, refrigerated, diluted)
    hour = dt.timedelta(hours=1)
    assert clock.latest_infusion_end_at <= R + 8 * hour
    assert clock.latest_infusion_end_at - clock.latest_infusion_start_at == hour
    if refrigerated:
        removal = clock.latest_removal_from_refrigerator_at
        assert removal is not None
        assert diluted <= removal <= diluted + 3 * hour
        assert clock.latest_infusion_start_at == removal + hour
    else:
        assert diluted < clock.latest_infusion_start_at
        assert clock.latest_infusion_end_at <= diluted + 4 * hour


def test_dilution_outside_its_window_is_refused() -> None:
    """beyond_use refuses a dilution before reconstitution or after the 4 h mark."""
    with pytest.raises(ValueError):
        beyond_use(R, False, at("07:59"))
    with pytest.raises(ValueError):
        beyond_use(R, False, at("12:01"))


# ------------------------------------------------------------------ the command


def test_prepare_adds_the_clock_to_the_dose_answer() -> None:
    """`prepare` answers the dose fields plus beyond_use, in the input's offset."""
    answer = run_prepare({**REQUEST, "diluted_at": "2026-01-05T09:00:00+01:00"})
    assert (answer["dose_mg"], answer["vials"], answer["final_volume_ml"]) == (1.6, 2, 50)
    clock = answer["beyond_use"]
    assert clock["latest_dilution_at"] == iso("12:00")
    assert clock["latest_infusion_start_at"] == iso("12:00")
    assert clock["latest_infusion_end_at"] == iso("13:00")
    assert clock["notes"]
    for limit in clock["limits"]:
        assert limit["rule"].startswith("prep.")
    assert "prep.beyond_use" in clock["rules"]


def test_prepare_keeps_the_reconstitution_offset() -> None:
    """Timestamps come back in the offset of reconstituted_at, whatever diluted_at's offset."""
    # R 08:00-05:00 = 13:00Z; diluted 13:30Z = 08:30-05:00; refrigerated: out by 11:30-05:00.
    answer = run_prepare(
        {
            **REQUEST,
            "reconstituted_at": "2026-01-05T08:00:00-05:00",
            "diluted_at": "2026-01-05T13:30:00Z",
            "diluted_refrigerated": True,
        }
    )
    clock = answer["beyond_use"]
    assert clock["diluted_at"] == "2026-01-05T08:30:00-05:00"
    assert clock["latest_removal_from_refrigerator_at"] == "2026-01-05T11:30:00-05:00"
    assert clock["latest_infusion_start_at"] == "2026-01-05T12:30:00-05:00"
    assert clock["latest_infusion_end_at"] == "2026-01-05T13:30:00-05:00"


def test_dilution_exactly_four_hours_after_is_accepted() -> None:
    """diluted_at exactly 4 h after reconstitution is within the limit."""
    answer = run_prepare({**REQUEST, "diluted_at": "2026-01-05T12:00:00+01:00"})
    assert answer["beyond_use"]["latest_infusion_end_at"] == iso("16:00")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"diluted_at": "2026-01-05T07:00:00+01:00"}, "diluted_at"),  # before reconstitution
        ({"diluted_at": "2026-01-05T12:01:00+01:00"}, "diluted_at"),  # 4 h 1 min after
        ({"reconstituted_at": "2026-01-05T08:00:00"}, "reconstituted_at"),  # no offset
        ({"reconstituted_at": "yesterday"}, "reconstituted_at"),
        ({"diluted_refrigerated": "no"}, "diluted_refrigerated"),
        ({"diluted_at": None}, "diluted_at"),
    ],
)
def test_prepare_bad_input(change: dict[str, Any], field: str) -> None:
    """Bad timestamps, flags and dilution order are refused on the field concerned."""
    assert field in _errors({**REQUEST, **change})


def test_prepare_requires_its_fields() -> None:
    """reconstituted_at and diluted_refrigerated are required, alongside any dose error."""
    errors = _errors({"height_cm": 180, "weight_kg": 80, "dose_mg_per_m2": 0.9})
    assert {"reconstituted_at", "diluted_refrigerated", "dose_mg_per_m2"} <= set(errors)


def test_prepare_late_dilution_message_names_the_limit() -> None:
    """The late-dilution error says how long after reconstitution dilution may happen."""
    message = _errors({**REQUEST, "diluted_at": "2026-01-05T13:00:00+01:00"})["diluted_at"]
    assert "4 h" in message and "prep.beyond_use" in message


def test_other_reading_of_room_temperature_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the 4 h read as ending at the infusion start, dilution at 09:00 allows 13:00-14:00."""
    from inocds.clinical import beyond_use as preparation
    from inocds.protocol.loader import Protocol, Rule, load_protocol

    rules = dict(load_protocol().rules)
    reading = rules["prep.diluted_storage_reading"]
    rules[reading.id] = Rule(
        reading.id,
        reading.statement,
        reading.source,
        reading.status,
        {**reading.params, "room_temperature_limit_ends_at": "infusion_start"},
    )
    monkeypatch.setattr(preparation, "load_protocol", lambda: Protocol(rules=rules))
    # 09:00 + 4 h = 13:00 latest start; end 14:00, still before 08:00 + 8 h = 16:00.
    clock = beyond_use(R, diluted_refrigerated=False, diluted_at=at("09:00"))
    assert clock.latest_infusion_start_at == at("13:00")
    assert clock.latest_infusion_end_at == at("14:00")
