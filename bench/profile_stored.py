"""Profile of one stored-course assess, in-process (cProfile), for NOTES.md.

usage: .venv/bin/python bench/profile_stored.py [--url DATABASE_URL] [--n N] [--top K]

Stores the 6-cycle course of `assess_bench.six_cycle_course` through the API of an app
built in this process (TestClient, default: a temporary SQLite file), then times N
stored assess requests and prints the per-request median and the functions with the
largest cumulative time. Not a benchmark of record (`make bench` is); a map of where
the time of one request goes.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from assess_bench import six_cycle_course  # noqa: E402  (a sibling module of the bench)

PASSWORD = "bench horse battery staple"


def _stored_course(client: Any, factory: Any) -> tuple[dict[str, str], int, dict[str, Any]]:
    from inocds.adapters.db.engine import transaction
    from inocds.services.accounts import create_user

    username = f"prof{secrets.token_hex(3)}"
    with transaction(factory) as session:
        create_user(session, None, username, "Profile", "physician", PASSWORD)
    token = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
    doc = six_cycle_course()
    patient = doc["patient"]
    first = min(e.get("date") or e.get("onset") for e in doc["events"])
    keep = ("birth_date", "sex", "height_cm", "weight_kg", "can_become_pregnant", "history")
    body = {k: patient[k] for k in keep} | {"medications": patient["medications"]}
    body |= {"mrn": f"P{secrets.token_hex(4)}", "family_name": "P", "given_name": "Q"}
    created = client.post("/api/v1/patients", headers=auth, json={**body, "measured_on": first})
    created.raise_for_status()
    course = client.post(
        f"/api/v1/patients/{created.json()['id']}/courses",
        headers=auth,
        json={"hsct_planned": patient["hsct_planned"], "pretreatment": patient["pretreatment"]},
    )
    course.raise_for_status()
    course_id = int(course.json()["id"])
    for event in sorted(doc["events"], key=lambda e: e.get("date") or e.get("onset")):
        client.post(f"/api/v1/courses/{course_id}/events", headers=auth, json=event)
    return auth, course_id, doc["today"]


def _service_call(app: Any, token: str, course_id: int, day: Any) -> Any:
    """The stored assess as one unit of work, without HTTP: token, user, course, engine."""
    factory = app.state.session_factory
    try:
        from inocds.services.course_snapshot import assess_for_token
    except ImportError:  # before session 9: the token query, then the service
        from inocds.adapters.db.engine import transaction
        from inocds.services import courses
        from inocds.services.auth import user_for_token

        def call() -> Any:
            with transaction(factory) as session:
                user = user_for_token(session, token)
                return courses.assess(session, user, course_id, day, {})

        return call
    reads = getattr(app.state, "stored_reads", None)  # session 10: the quick-read pool
    first = reads if reads is not None else factory
    return lambda: assess_for_token(first, token, course_id, day, {})


def _median_ms(call: Any, n: int) -> float:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    """Times the stored assess through HTTP and as a service call; profiles the latter."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)
    import datetime as dt

    from fastapi.testclient import TestClient

    from inocds.entrypoints.api.app import create_app
    from inocds.settings import Settings

    with tempfile.TemporaryDirectory(prefix="inocds-profile-") as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'profile.sqlite3'}"
        app = create_app(Settings(database_url=url, audit_key_dir=tmp))
        with TestClient(app) as client:
            factory = app.state.session_factory
            auth, course_id, today = _stored_course(client, factory)
            path = f"/api/v1/courses/{course_id}/assess"
            http = _median_ms(lambda: client.post(path, headers=auth, json=today), args.n)
            token = auth["Authorization"].split(" ", 1)[1]
            call = _service_call(app, token, course_id, dt.date.fromisoformat(today["date"]))
            call()
            service = _median_ms(call, args.n)
            print(f"stored assess: HTTP (TestClient) {http:.2f} ms, service call {service:.2f} ms")
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(args.n):
                call()
            profile.disable()
            pstats.Stats(profile).sort_stats("cumulative").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
