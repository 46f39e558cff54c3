"""HTTP figures of issue 13, each as a ratio measured in one run on one machine.

- `/api/v1/assess` throughput over a bare ASGI JSON endpoint (`bare_asgi.py`), both on
  one uvicorn worker, measured with wrk in alternating rounds so both see the same noise;
- stored-course assess (bearer token + database) over stateless assess of the same
  document, on SQLite and on PostgreSQL (where it is reachable);
- stored-course assess on PostgreSQL with `inocds serve --workers 2` over one worker
  (processes behind one port on one database: the scale-out path);
- p99 latency at a fixed 200 requests/s (open loop: latency counts from the planned
  send time, so a stall is not hidden), stateless, and stored on SQLite, on PostgreSQL
  and on PostgreSQL with 2 workers;
- course page server time over one stored assess of the same course.

Needs `wrk` (Debian package; `scripts/ensure-wrk` installs it). Nothing here fails on a
slow machine: figures are written, with whether each meets its target.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from assess_bench import six_cycle_course  # noqa: E402  (a sibling module of the bench)
from open_loop import fixed_rate  # noqa: E402

POSTGRES_ADMIN_URL = os.environ.get(
    "INOCDS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PASSWORD = "bench horse battery staple"
ROUND_S = 2
ROUNDS = 5  # the median of five: one round of either server moves +-20 % on this machine
WARM_UP_S = 1
CONNECTIONS = 8
STORED_CONNECTIONS = 20
FIXED_RATE_PER_S = 200
FIXED_RATE_S = 4
PAGE_RUNS = 41
START_TIMEOUT_S = 180  # three app processes starting on two busy cores take a while


_STARTED = time.monotonic()


def say(what: str) -> None:
    """Progress on stderr (a run takes minutes)."""
    print(f"  [{time.monotonic() - _STARTED:6.1f} s] {what}", file=sys.stderr, flush=True)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _inocds() -> str:
    sibling = Path(sys.executable).with_name("inocds")
    return str(sibling) if sibling.exists() else "inocds"


@contextmanager
def serving(command: list[str], env: dict[str, str], cwd: Path, health: str) -> Iterator[str]:
    """Starts a server process on a free port, waits for `health` ("METHOD /path"), yields
    its base URL."""
    method, path = health.split(" ", 1)
    port = _free_port()
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=cwd,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                if httpx.request(method, base + path).status_code < 500:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{command} did not start")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def wrk(
    url: str,
    body: bytes | None,
    headers: dict[str, str],
    connections: int,
    seconds: float = ROUND_S,
) -> float:
    """Requests per second of one wrk round (POST with `body`, else GET)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        lines = []
        if body is not None:
            body_path = script.name + ".body"
            Path(body_path).write_bytes(body)
            lines += ['wrk.method = "POST"', f'wrk.body = io.open("{body_path}"):read("*a")']
        for name, value in headers.items():
            lines.append(f'wrk.headers["{name}"] = "{value}"')
        script.write("\n".join(lines) + "\n")
    done = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", script.name, url],
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", done.stdout)
    if found is None or non_2xx is not None:
        raise RuntimeError(f"wrk on {url}: {done.stdout[-800:]}")
    return float(found.group(1))


Load = tuple[str, bytes | None, dict[str, str], int]
"""One wrk load: URL, body (None: GET), headers, connections."""


def alternate(a: Load, b: Load) -> dict[str, Any]:
    """Median throughput of a and b over ROUNDS alternating rounds, and a / b."""
    say(f"wrk {a[0]} vs {b[0]}")
    a_rps, b_rps = [], []
    wrk(*a, seconds=WARM_UP_S)
    wrk(*b, seconds=WARM_UP_S)
    for _ in range(ROUNDS):
        a_rps.append(wrk(*a))
        b_rps.append(wrk(*b))
    a_med, b_med = statistics.median(a_rps), statistics.median(b_rps)
    return {
        "a_rps": round(a_med),
        "b_rps": round(b_med),
        "ratio": round(a_med / b_med, 3),
        "a_rounds": [round(x) for x in a_rps],
        "b_rounds": [round(x) for x in b_rps],
    }


def p99_at_fixed_rate(url: str, body: bytes | None, headers: dict[str, str]) -> dict[str, Any]:
    """p50 / p99 in ms at FIXED_RATE_PER_S, open loop, over FIXED_RATE_S seconds."""
    say(f"p99 at {FIXED_RATE_PER_S}/s: {url}")
    asyncio.run(fixed_rate(url, body, headers, FIXED_RATE_PER_S, 1))  # warm-up second
    latencies, errors = asyncio.run(fixed_rate(url, body, headers, FIXED_RATE_PER_S, FIXED_RATE_S))
    ms = sorted(latencies)
    p99 = ms[int(len(ms) * 0.99) - 1]
    return {
        "rate_per_s": FIXED_RATE_PER_S,
        "requests": len(ms),
        "errors": errors,
        "target_p99_ms": 20,
        "meets_target": errors == 0 and p99 <= 20,
        "p50_ms": round(ms[len(ms) // 2], 2),
        "p99_ms": round(p99, 2),
    }


def _server_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env["INOCDS_DATABASE_URL"] = database_url
    return env


def _store_course(
    base: str, env: dict[str, str], workdir: Path
) -> tuple[str, str, int, dict[str, Any]]:
    """A physician, a patient and the 6-cycle course stored through the API."""
    say(f"storing the 6-cycle course at {base}")
    username = f"bench{secrets.token_hex(3)}"
    subprocess.run(
        [_inocds(), "user", "add", "--role", "physician", username, "--password-stdin"],
        input=PASSWORD + "\n",
        text=True,
        env=env,
        cwd=workdir,
        check=True,
        capture_output=True,
    )
    client = httpx.Client(base_url=base, timeout=30)
    token = client.post(
        "/api/v1/auth/token", json={"username": username, "password": PASSWORD}
    ).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    doc = six_cycle_course()
    patient = doc["patient"]
    first_date = min(e.get("date") or e.get("onset") for e in doc["events"])
    created = client.post(
        "/api/v1/patients",
        headers=auth,
        json={
            "mrn": f"B{secrets.token_hex(4)}",
            "family_name": "Bench",
            "given_name": "Course",
            "birth_date": patient["birth_date"],
            "sex": patient["sex"],
            "height_cm": patient["height_cm"],
            "weight_kg": patient["weight_kg"],
            "measured_on": first_date,
            "can_become_pregnant": patient["can_become_pregnant"],
            "history": patient["history"],
            "medications": patient["medications"],
        },
    )
    created.raise_for_status()
    course = client.post(
        f"/api/v1/patients/{created.json()['id']}/courses",
        headers=auth,
        json={"hsct_planned": patient["hsct_planned"], "pretreatment": patient["pretreatment"]},
    )
    course.raise_for_status()
    course_id = int(course.json()["id"])
    for event in sorted(doc["events"], key=lambda e: e.get("date") or e.get("onset")):
        stored = client.post(f"/api/v1/courses/{course_id}/events", headers=auth, json=event)
        if stored.status_code >= 300:
            raise RuntimeError(f"event {event}: {stored.status_code} {stored.text[:300]}")
    stored_doc = client.get(
        f"/api/v1/courses/{course_id}/document",
        headers=auth,
        params={"date": doc["today"]["date"]},
    ).json()
    stored_doc["today"] = doc["today"]
    return username, token, course_id, stored_doc


def _page_vs_assess(
    base: str, username: str, token: str, course_id: int, today: dict[str, Any]
) -> dict[str, Any]:
    """Median time of the course page over one stored assess of the same day (sequential
    requests, page and assess in turn, one connection each, so the figure is the
    server's time plus loopback)."""
    client = httpx.Client(base_url=base, timeout=30)
    api = httpx.Client(base_url=base, timeout=30, headers={"Authorization": f"Bearer {token}"})
    login = client.post(
        "/login", data={"username": username, "password": PASSWORD}, headers={"Origin": base}
    )
    if login.status_code >= 400:
        return {"skipped": f"web login answered {login.status_code}"}

    def timed(call: Any) -> float:
        start = time.perf_counter()
        call().raise_for_status()
        return (time.perf_counter() - start) * 1000

    def page_call() -> Any:
        return client.get(f"/courses/{course_id}", params={"on": today["date"]})

    def assess_call() -> Any:
        return api.post(f"/api/v1/courses/{course_id}/assess", json=today)

    page_call(), assess_call()  # warm-up
    # interleaved, one of each in turn, so both medians see the same machine noise (as
    # the alternating rounds of the throughput figures do)
    pairs = [(timed(page_call), timed(assess_call)) for _ in range(PAGE_RUNS)]
    page = statistics.median(p for p, _ in pairs)
    assess = statistics.median(a for _, a in pairs)
    ratio = round(page / assess, 2)
    return {
        "page_ms": round(page, 2),
        "stored_assess_ms": round(assess, 2),
        "ratio": ratio,
        "target": 2,
        "meets_target": ratio <= 2,
    }


def _shared_example(name: str) -> bytes:
    """A request of ../shared/examples (beside the checkout, else /work/shared)."""
    for shared in (HERE.parent.parent / "shared", Path("/work/shared")):
        if (shared / "examples" / name).exists():
            return (shared / "examples" / name).read_bytes()
    raise FileNotFoundError(f"shared/examples/{name}")


def http_figures() -> dict[str, Any]:
    """Every HTTP figure of the issue-13 table (see the module docstring)."""
    if shutil.which("wrk") is None:
        return {"skipped": "wrk is not installed (scripts/ensure-wrk)"}
    figures: dict[str, Any] = {}
    json_headers = {"Content-Type": "application/json"}
    example = _shared_example("assess-request.json")
    with tempfile.TemporaryDirectory(prefix="inocds-http-bench-") as tmp:
        workdir = Path(tmp)
        env = _server_env(f"sqlite:///{workdir / 'bench.sqlite3'}")
        bare_cmd = [sys.executable, "-m", "uvicorn", "bare_asgi:app", "--log-level", "warning"]
        bare_env = dict(os.environ, PYTHONPATH=str(HERE))
        with (
            serving([_inocds(), "serve"], env, workdir, "GET /healthz") as ours,
            serving(bare_cmd, bare_env, workdir, "POST /") as bare,
        ):
            rounds = alternate(
                (f"{ours}/api/v1/assess", example, json_headers, CONNECTIONS),
                (f"{bare}/", example, json_headers, CONNECTIONS),
            )
            figures["assess_over_bare_asgi"] = {**rounds, "target": 0.5}
            figures["assess_over_bare_asgi"]["meets_target"] = rounds["ratio"] >= 0.5
            figures["stored_over_stateless"] = {}
            figures["p99_at_200_per_s"] = {
                "stateless": p99_at_fixed_rate(f"{ours}/api/v1/assess", example, json_headers)
            }
            _stored_figures(figures, ours, env, workdir, "sqlite")
        postgres = _postgres_database()
        if postgres is not None:
            url, drop = postgres
            try:
                env = _server_env(url)
                with serving([_inocds(), "serve"], env, workdir, "GET /healthz") as ours:
                    stored = _stored_figures(figures, ours, env, workdir, "postgresql")
                    two = [_inocds(), "serve", "--workers", "2"]
                    try:
                        with serving(two, env, workdir, "GET /healthz") as scaled:
                            _worker_figures(figures, ours, scaled, *stored)
                    except RuntimeError as error:  # recorded as not measured, not fatal
                        figures["workers_postgresql"] = {"skipped": str(error)}
            finally:
                drop()
    return figures


def _worker_figures(
    figures: dict[str, Any], one: str, two: str, path: str, body: bytes, headers: dict[str, str]
) -> None:
    """Stored assess on PostgreSQL behind one port: 2 worker processes against 1."""
    rounds = alternate(
        (f"{two}{path}", body, headers, STORED_CONNECTIONS),
        (f"{one}{path}", body, headers, STORED_CONNECTIONS),
    )
    figures["workers_postgresql"] = {
        "two_workers_rps": rounds["a_rps"],
        "one_worker_rps": rounds["b_rps"],
        "ratio": rounds["ratio"],
        "two_worker_rounds": rounds["a_rounds"],
        "one_worker_rounds": rounds["b_rounds"],
        "cpu_count": os.cpu_count(),
    }
    figures["p99_at_200_per_s"]["stored_postgresql_2_workers"] = p99_at_fixed_rate(
        f"{two}{path}", body, headers
    )


def _stored_figures(
    figures: dict[str, Any], base: str, env: dict[str, str], workdir: Path, backend: str
) -> tuple[str, bytes, dict[str, str]]:
    """Stored over stateless assess on one worker, and the stored p99 at 200/s; returns
    the stored request (path, body, headers) for the figures that follow."""
    username, token, course_id, document = _store_course(base, env, workdir)
    json_headers = {"Content-Type": "application/json"}
    stored_headers = {**json_headers, "Authorization": f"Bearer {token}"}
    flags = json.dumps(document["today"]).encode()
    body = json.dumps(document).encode()
    path = f"/api/v1/courses/{course_id}/assess"
    rounds = alternate(
        (f"{base}{path}", flags, stored_headers, STORED_CONNECTIONS),
        (f"{base}/api/v1/assess", body, json_headers, STORED_CONNECTIONS),
    )
    figures["stored_over_stateless"][backend] = {
        **rounds,
        "target": 0.5,
        "meets_target": rounds["ratio"] >= 0.5,
    }
    if backend == "sqlite":
        figures["course_page"] = _page_vs_assess(
            base, username, token, course_id, document["today"]
        )
    figures["p99_at_200_per_s"][f"stored_{backend}"] = p99_at_fixed_rate(
        f"{base}{path}", flags, stored_headers
    )
    return path, flags, stored_headers


def _postgres_database() -> tuple[str, Any] | None:
    """A new PostgreSQL database for the stored-course figures, and its drop function."""
    try:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        name = f"inocds_bench_{secrets.token_hex(4)}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception:  # no PostgreSQL here: the figure is skipped, not failed
        return None

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    return url, drop


if __name__ == "__main__":
    print(json.dumps(http_figures(), indent=2))
