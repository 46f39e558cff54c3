"""Where the course page's server time goes, in-process: the served app (`served_app`'s
stack) driven straight through ASGI, no socket, no client.

usage: .venv/bin/python bench/profile_page.py [--n N] [--profile] [--top K]

Stores the 6-cycle course (`profile_stored._stored_course`), logs in on the web, then
calls the ASGI app for the page and for the stored assess in turn and prints each one's
process CPU per request (all threads: the thread hops count) and wall median. With
`--profile`, a cProfile of the page requests (the event loop's thread only). Not a
benchmark of record (`make bench` is).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from profile_stored import PASSWORD, _stored_course  # noqa: E402


async def _call(app: Any, method: str, path: str, query: bytes, headers: list, body: bytes) -> Any:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent = False
    out: dict[str, Any] = {"body": b""}

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
            out["headers"] = message["headers"]
        else:
            out["body"] += message.get("body", b"")

    await app(scope, receive, send)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--spin", type=float, default=0, help="then pages only for S seconds")
    args = parser.parse_args(argv)
    import orjson
    from fastapi.testclient import TestClient

    from inocds.entrypoints.api.app import create_app
    from inocds.entrypoints.api.contract_asgi import ContractFastPath
    from inocds.settings import Settings

    with tempfile.TemporaryDirectory(prefix="inocds-page-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'page.sqlite3'}"
        app = create_app(Settings(database_url=url, audit_key_dir=tmp))
        served = ContractFastPath(app)
        with TestClient(app, base_url="http://127.0.0.1:8000") as client:
            auth, course_id, today = _stored_course(client, app.state.session_factory)
            from inocds.adapters.db.engine import transaction
            from inocds.services.accounts import create_user

            with transaction(app.state.session_factory) as session:
                create_user(session, None, "pageuser", "Page", "physician", PASSWORD)
            login = client.post(
                "/login",
                data={"username": "pageuser", "password": PASSWORD},
                headers={"Origin": "http://127.0.0.1:8000"},
                follow_redirects=False,
            )
            cookie = login.headers["set-cookie"].split(";", 1)[0]
            host = [(b"host", b"127.0.0.1:8000")]
            page_headers = [*host, (b"cookie", cookie.encode())]
            assess_headers = [
                *host,
                (b"authorization", auth["Authorization"].encode()),
                (b"content-type", b"application/json"),
            ]
            page_path = f"/courses/{course_id}"
            page_query = f"on={today['date']}".encode()
            assess_path = f"/api/v1/courses/{course_id}/assess"
            body = orjson.dumps(today)

            async def run() -> None:
                page = await _call(served, "GET", page_path, page_query, page_headers, b"")
                assess = await _call(served, "POST", assess_path, b"", assess_headers, body)
                print("page", page["status"], len(page["body"]), "assess", assess["status"])
                kinds = {
                    "page (layer on)": (True, "GET", page_path, page_query, page_headers, b""),
                    "page (layer off)": (False, "GET", page_path, page_query, page_headers, b""),
                    "assess": (True, "POST", assess_path, b"", assess_headers, body),
                }
                cpu: dict[str, list[float]] = {name: [] for name in kinds}
                wall: dict[str, list[float]] = {name: [] for name in kinds}
                for _ in range(args.n):
                    for name, (fast, *request) in kinds.items():
                        app.state.course_page_fast = fast
                        c0, w0 = time.process_time(), time.perf_counter()
                        await _call(served, *request)
                        cpu[name].append((time.process_time() - c0) * 1000)
                        wall[name].append((time.perf_counter() - w0) * 1000)
                app.state.course_page_fast = True
                for name in cpu:
                    print(
                        f"{name}: CPU mean {statistics.mean(cpu[name]):.3f} ms, "
                        f"wall median {statistics.median(wall[name]):.3f} ms"
                    )
                if args.profile:  # the page's work alone, in this thread
                    from starlette.requests import Request

                    from inocds.entrypoints.web.kit import quick_page
                    from inocds.entrypoints.web.pages.courses import course_view_work

                    scope = {
                        "type": "http",
                        "method": "GET",
                        "path": page_path,
                        "root_path": "",
                        "query_string": page_query,
                        "headers": page_headers,
                        "app": app,
                        "scheme": "http",
                        "server": ("127.0.0.1", 8000),
                    }

                    def work() -> None:
                        request = Request(scope)
                        quick_page(request, course_view_work(request, course_id, today["date"]))

                    profile = cProfile.Profile()
                    profile.enable()
                    for _ in range(args.n):
                        work()
                    profile.disable()
                    pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)

            import inocds.entrypoints.web.kit as kit

            spent: list[float] = []
            original = kit._read_page

            def timed_read_page(request: Any, work: Any) -> Any:
                start = time.thread_time()
                try:
                    return original(request, work)
                finally:
                    spent.append((time.thread_time() - start) * 1000)

            kit._read_page = timed_read_page
            asyncio.run(run())
            if spent:
                print(f"_read_page CPU mean {statistics.mean(spent):.3f} ms over {len(spent)}")

            async def spin() -> None:
                end = time.monotonic() + args.spin
                while time.monotonic() < end:
                    await _call(served, "GET", page_path, page_query, page_headers, b"")

            if args.spin:
                asyncio.run(spin())
    return 0


if __name__ == "__main__":
    sys.exit(main())
