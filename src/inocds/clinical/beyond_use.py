"""The beyond-use clock of one preparation: latest dilution, infusion start and end.

`beyond_use(reconstituted_at, diluted_refrigerated, diluted_at)` reads the clock from
the reconstitution and dilution times (prep.beyond_use, read as stated in
prep.diluted_storage_reading). Sources: US prescribing information 2.4 as summarised
in FACTS.md "Product and preparation"; every number is read from
protocol/preparation.toml.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from inocds.protocol.loader import Rule, load_protocol

__all__ = ["BeyondUse", "Limit", "beyond_use", "hours_of"]


class Limit(NamedTuple):
    """One time limit of the clock: what it bounds, when it falls, the rule behind it."""

    limit: str
    at: dt.datetime
    rule: str
    message: str


class BeyondUse(NamedTuple):
    """The latest times for dilution and infusion, and which limit sets them."""

    reconstituted_at: dt.datetime
    diluted_at: dt.datetime | None
    diluted_refrigerated: bool
    latest_dilution_at: dt.datetime
    latest_removal_from_refrigerator_at: dt.datetime | None
    latest_infusion_start_at: dt.datetime
    latest_infusion_end_at: dt.datetime
    diluted_storage_limit_at: dt.datetime | None
    binding_limits: tuple[str, ...]
    limits: tuple[Limit, ...]
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON form; every timestamp in the offset of `reconstituted_at`."""
        zone = self.reconstituted_at.tzinfo

        def iso(moment: dt.datetime | None) -> str | None:
            return None if moment is None else moment.astimezone(zone).isoformat()

        return {
            "reconstituted_at": iso(self.reconstituted_at),
            "diluted_at": iso(self.diluted_at),
            "diluted_refrigerated": self.diluted_refrigerated,
            "latest_dilution_at": iso(self.latest_dilution_at),
            "latest_removal_from_refrigerator_at": iso(self.latest_removal_from_refrigerator_at),
            "latest_infusion_start_at": iso(self.latest_infusion_start_at),
            "latest_infusion_end_at": iso(self.latest_infusion_end_at),
            "diluted_storage_limit_at": iso(self.diluted_storage_limit_at),
            "binding_limits": list(self.binding_limits),
            "limits": [
                {"limit": x.limit, "at": iso(x.at), "rule": x.rule, "message": x.message}
                for x in self.limits
            ],
            "notes": list(self.notes),
            "rules": sorted({x.rule for x in self.limits} | {"prep.diluted_storage_reading"}),
        }


def hours_of(rule: Rule, name: str) -> dt.timedelta:
    """A rule's number of hours `name` as a duration."""
    return dt.timedelta(hours=rule.number(name))


def _clock(value: dt.datetime, zone: dt.tzinfo | None) -> str:
    return value.astimezone(zone).strftime("%H:%M")


class _Clock(NamedTuple):
    """The protocol's numbers for one clock, read once."""

    reading: str
    infusion: dt.timedelta
    warm_up: dt.timedelta
    to_dilution: dt.timedelta
    to_end: dt.timedelta
    zone: dt.tzinfo | None
    rule: Rule


class _Phase(NamedTuple):
    """What the storage of the diluted product (refrigerated or not) sets."""

    removal: dt.datetime | None
    start: dt.datetime
    end: dt.datetime
    storage_limit: dt.datetime | None
    binding: tuple[str, ...]
    limits: list[Limit]
    notes: list[str]


def _read_clock(zone: dt.tzinfo | None) -> _Clock:
    """The numbers of prep.beyond_use, prep.infusion and the storage reading."""
    protocol = load_protocol()
    clock = protocol["prep.beyond_use"]
    reading = protocol["prep.diluted_storage_reading"].text("room_temperature_limit_ends_at")
    if reading not in ("infusion_end", "infusion_start"):
        raise ValueError(f"prep.diluted_storage_reading: unknown reading {reading!r}")
    return _Clock(
        reading=reading,
        infusion=dt.timedelta(minutes=protocol["prep.infusion"].number("infusion_minutes")),
        warm_up=dt.timedelta(minutes=clock.number("warm_up_minutes")),
        to_dilution=hours_of(clock, "reconstitution_to_dilution_max_hours"),
        to_end=hours_of(clock, "reconstitution_to_end_max_hours"),
        zone=zone,
        rule=clock,
    )


def _reconstitution_limits(
    c: _Clock, latest_dilution: dt.datetime, end_by_reconstitution: dt.datetime
) -> list[Limit]:
    """The two limits counted from reconstitution: dilution, and the end of the infusion."""
    return [
        Limit(
            "reconstitution_to_dilution",
            latest_dilution,
            "prep.beyond_use",
            f"Dilute within {c.to_dilution.total_seconds() / 3600:g} h of reconstitution "
            f"(by {_clock(latest_dilution, c.zone)}); the reconstituted vials wait at 2-8 C, "
            "protected from light, no longer than that.",
        ),
        Limit(
            "reconstitution_to_end_of_infusion",
            end_by_reconstitution,
            "prep.beyond_use",
            f"The infusion must end within {c.to_end.total_seconds() / 3600:g} h of "
            f"reconstitution (by {_clock(end_by_reconstitution, c.zone)}), warm-up and "
            "infusion included.",
        ),
    ]


def _refrigerated(
    c: _Clock, end_by_reconstitution: dt.datetime, diluted_at: dt.datetime | None
) -> _Phase:
    """Diluted and kept at 2-8 C: the latest removal, then the warm-up, then the infusion."""
    fridge = hours_of(c.rule, "diluted_refrigerated_max_hours")
    removal_by_reconstitution = end_by_reconstitution - c.infusion - c.warm_up
    candidates = {"reconstitution_to_end_of_infusion": removal_by_reconstitution}
    limits: list[Limit] = []
    storage_limit: dt.datetime | None = None
    if diluted_at is not None:
        storage_limit = diluted_at + fridge
        candidates["diluted_refrigerated"] = storage_limit
        limits.append(
            Limit(
                "diluted_refrigerated",
                storage_limit,
                "prep.beyond_use",
                f"A diluted product kept at 2-8 C leaves the refrigerator within "
                f"{fridge.total_seconds() / 3600:g} h of dilution "
                f"(by {_clock(storage_limit, c.zone)}).",
            )
        )
    removal = min(candidates.values())
    binding = tuple(k for k, v in candidates.items() if v == removal)
    start = removal + c.warm_up
    end = start + c.infusion
    limits.append(
        Limit(
            "warm_up_before_start",
            start,
            "prep.beyond_use",
            f"A refrigerated product needs about {c.warm_up.total_seconds() / 60:g} min at "
            "room temperature before the infusion starts.",
        )
    )
    notes = _refrigerated_notes(c, fridge, removal, start, end, diluted_at, binding)
    return _Phase(removal, start, end, storage_limit, binding, limits, notes)


def _refrigerated_notes(
    c: _Clock,
    fridge: dt.timedelta,
    removal: dt.datetime,
    start: dt.datetime,
    end: dt.datetime,
    diluted_at: dt.datetime | None,
    binding: tuple[str, ...],
) -> list[str]:
    """The refrigerated clock in words, and which limit binds."""
    to_end = c.to_end
    notes = [
        f"Refrigerated: take the product out of the refrigerator by "
        f"{_clock(removal, c.zone)}, let it reach room temperature for about "
        f"{c.warm_up.total_seconds() / 60:g} min, start by {_clock(start, c.zone)} and end "
        f"by {_clock(end, c.zone)}. The warm-up and the infusion count within the "
        f"{to_end.total_seconds() / 3600:g} h from reconstitution, so the product must "
        f"leave the refrigerator {(to_end - c.infusion - c.warm_up).total_seconds() / 3600:g} h "
        "after reconstitution at the latest."
    ]
    if diluted_at is None:
        notes.append(
            f"Once diluted, the product may stay at 2-8 C for at most "
            f"{fridge.total_seconds() / 3600:g} h; give diluted_at to put that limit "
            "on the clock."
        )
    elif binding == ("diluted_refrigerated",):
        notes.append(
            f"The {fridge.total_seconds() / 3600:g} h refrigerated storage limit binds: "
            f"dilution came early enough that the {to_end.total_seconds() / 3600:g} h limit "
            "from reconstitution falls later."
        )
    elif binding == ("reconstitution_to_end_of_infusion",):
        notes.append(
            f"The {to_end.total_seconds() / 3600:g} h limit from reconstitution binds: "
            "dilution came late, so the refrigerated storage limit falls later than the "
            "product can wait."
        )
    else:
        notes.append(
            f"The refrigerated storage limit and the {to_end.total_seconds() / 3600:g} h "
            "limit from reconstitution fall together."
        )
    notes.append("Starting earlier than the latest time is fine once the product has warmed up.")
    return notes


def _room_temperature(
    c: _Clock, end_by_reconstitution: dt.datetime, diluted_at: dt.datetime | None
) -> _Phase:
    """Diluted and kept at 20-25 C: the infusion ends by the earlier limit."""
    room = hours_of(c.rule, "diluted_room_temperature_max_hours")
    candidates = {"reconstitution_to_end_of_infusion": end_by_reconstitution}
    limits: list[Limit] = []
    storage_limit: dt.datetime | None = None
    if diluted_at is not None:
        storage_limit = diluted_at + room
        end_by_storage = (
            storage_limit if c.reading == "infusion_end" else storage_limit + c.infusion
        )
        candidates["diluted_room_temperature"] = end_by_storage
        covered = "the end" if c.reading == "infusion_end" else "the start"
        limits.append(
            Limit(
                "diluted_room_temperature",
                storage_limit,
                "prep.beyond_use",
                f"A diluted product at 20-25 C keeps {room.total_seconds() / 3600:g} h from "
                f"dilution (by {_clock(storage_limit, c.zone)}), counted to {covered} of the "
                "infusion (prep.diluted_storage_reading).",
            )
        )
    end = min(candidates.values())
    binding = tuple(k for k, v in candidates.items() if v == end)
    start = end - c.infusion
    notes = _room_temperature_notes(c, room, start, end, diluted_at, binding)
    return _Phase(None, start, end, storage_limit, binding, limits, notes)


def _room_temperature_notes(
    c: _Clock,
    room: dt.timedelta,
    start: dt.datetime,
    end: dt.datetime,
    diluted_at: dt.datetime | None,
    binding: tuple[str, ...],
) -> list[str]:
    """The room-temperature clock in words, and which limit binds."""
    to_end = c.to_end
    if diluted_at is None:
        first = (
            f"Once diluted, the product keeps {room.total_seconds() / 3600:g} h at room "
            "temperature, counted to the end of the infusion "
            "(prep.diluted_storage_reading); give diluted_at to put that limit on the clock."
        )
    elif binding == ("diluted_room_temperature",):
        first = (
            f"The {room.total_seconds() / 3600:g} h room-temperature limit of the diluted "
            f"product binds: it falls before the {to_end.total_seconds() / 3600:g} h limit "
            f"from reconstitution because dilution came less than "
            f"{(to_end - room).total_seconds() / 3600:g} h after reconstitution."
        )
    elif binding == ("reconstitution_to_end_of_infusion",):
        first = f"The {to_end.total_seconds() / 3600:g} h limit from reconstitution binds."
    else:
        first = (
            f"The room-temperature limit of the diluted product and the "
            f"{to_end.total_seconds() / 3600:g} h limit from reconstitution fall together "
            "(dilution at the latest allowed time)."
        )
    return [
        first,
        f"Start by {_clock(start, c.zone)} so the {c.infusion.total_seconds() / 60:g}-min "
        f"infusion ends by {_clock(end, c.zone)}.",
    ]


def beyond_use(
    reconstituted_at: dt.datetime,
    diluted_refrigerated: bool,
    diluted_at: dt.datetime | None = None,
) -> BeyondUse:
    """The beyond-use clock of one preparation (timestamps must carry an offset).

    Room temperature: the infusion ends by the earlier of reconstitution + 8 h and
    dilution + 4 h (read as covering the infusion, prep.diluted_storage_reading).
    Refrigerated: the bag leaves the refrigerator by the earlier of dilution + 3 h
    and reconstitution + 8 h - infusion - warm-up; it starts after the warm-up.
    Raises ValueError when `diluted_at` is before reconstitution or after the
    latest dilution time.
    """
    c = _read_clock(reconstituted_at.tzinfo)
    r = reconstituted_at
    latest_dilution = r + c.to_dilution
    if diluted_at is not None and not r <= diluted_at <= latest_dilution:
        raise ValueError("diluted_at must lie between reconstitution and the latest dilution")
    end_by_reconstitution = r + c.to_end
    limits = _reconstitution_limits(c, latest_dilution, end_by_reconstitution)
    storage = _refrigerated if diluted_refrigerated else _room_temperature
    phase = storage(c, end_by_reconstitution, diluted_at)
    limits.extend(phase.limits)
    start, end = phase.start, phase.end
    limits.append(
        Limit(
            "infusion_duration",
            end,
            "prep.infusion",
            f"The infusion runs {c.infusion.total_seconds() / 60:g} min, so it starts by "
            f"{_clock(start, c.zone)} to end by {_clock(end, c.zone)}.",
        )
    )
    return BeyondUse(
        reconstituted_at=r,
        diluted_at=diluted_at,
        diluted_refrigerated=diluted_refrigerated,
        latest_dilution_at=latest_dilution,
        latest_removal_from_refrigerator_at=phase.removal,
        latest_infusion_start_at=start,
        latest_infusion_end_at=end,
        diluted_storage_limit_at=phase.storage_limit,
        binding_limits=phase.binding,
        limits=tuple(limits),
        notes=tuple(phase.notes),
    )
