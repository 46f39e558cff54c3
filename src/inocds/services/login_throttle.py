"""Login throttling that slows guessing without letting a stranger lock the owner out.

Three counters of *failed* logins, kept in memory by the process (each worker process
throttles on its own; the numbers below are per process):

- per client (IP address): `CLIENT_FREE_FAILURES` failures within `CLIENT_WINDOW`,
  then a growing wait (2, 4, 8 ... s, at most `MAX_DELAY_S`); besides, at most
  `CLIENT_ATTEMPTS_PER_MINUTE` attempts a minute whatever their outcome;
- per account *and* client: `PAIR_FREE_FAILURES`, then the same growing wait: a
  stranger guessing one account only slows themselves;
- per account, from every client (a distributed guess): `ACCOUNT_FREE_FAILURES` within
  `ACCOUNT_WINDOW`, then a soft wait of at most `ACCOUNT_MAX_DELAY_S`, applied only to
  clients that have not logged in to this account before (`KNOWN_CLIENT_TTL`); the
  owner's usual workstation is never slowed by it, and nothing is a hard lock.

A refused attempt answers 429 with `Retry-After` *before* the password is hashed, and
is not counted. Attempts admitted but not yet answered count as failures until they
are settled, so a burst of parallel guesses cannot slip past a counter that has not
caught up yet (the surplus is told to retry in a second). A success clears the
client's and the pair's counters and the account's. `unlock` (the admin's) clears
every counter of an account.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

__all__ = [
    "ACCOUNT_FREE_FAILURES",
    "ACCOUNT_MAX_DELAY_S",
    "CLIENT_ATTEMPTS_PER_MINUTE",
    "CLIENT_FREE_FAILURES",
    "PAIR_FREE_FAILURES",
    "LoginThrottle",
]

CLIENT_FREE_FAILURES = 10
PAIR_FREE_FAILURES = 3
ACCOUNT_FREE_FAILURES = 20
CLIENT_ATTEMPTS_PER_MINUTE = 30
CLIENT_WINDOW = 15 * 60.0
ACCOUNT_WINDOW = 60 * 60.0
MAX_DELAY_S = 15 * 60.0
ACCOUNT_MAX_DELAY_S = 60.0
KNOWN_CLIENT_TTL = 30 * 24 * 3600.0
_MAX_KEYS = 50_000  # beyond this many tracked keys, expired ones are dropped

K = TypeVar("K")


@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0


@dataclass
class _State:
    clients: dict[str, _Failures] = field(default_factory=dict)
    pairs: dict[tuple[str, str], _Failures] = field(default_factory=dict)
    accounts: dict[str, _Failures] = field(default_factory=dict)
    attempts: dict[str, deque[float]] = field(default_factory=dict)
    known: dict[tuple[str, str], float] = field(default_factory=dict)
    pending_clients: dict[str, int] = field(default_factory=dict)
    pending_pairs: dict[tuple[str, str], int] = field(default_factory=dict)


def _wait(failures: _Failures | None, free: int, cap: float, window: float, now: float) -> float:
    """Seconds still to wait before the next attempt (0: none)."""
    if failures is None or failures.count < free or now - failures.last > window:
        return 0.0
    delay = min(2.0 ** (failures.count - free + 1), cap)
    return max(0.0, failures.last + delay - now)


def _saturated(
    failures: _Failures | None, pending: int, free: int, window: float, now: float
) -> bool:
    """Whether the failures so far plus the attempts still in flight reach the free allowance."""
    if pending == 0:
        return False
    counted = 0 if failures is None or now - failures.last > window else failures.count
    return counted + pending >= free


def _bump(table: dict[K, _Failures], key: K, window: float, now: float) -> None:
    failures = table.setdefault(key, _Failures())
    if now - failures.last > window:
        failures.count = 0
    failures.count += 1
    failures.last = now


def _decrement(table: dict[K, int], key: K) -> None:
    left = table.get(key, 0) - 1
    if left > 0:
        table[key] = left
    else:
        table.pop(key, None)


def _expire(table: dict[K, _Failures], window: float, now: float) -> None:
    for key in [k for k, f in table.items() if now - f.last > window]:
        del table[key]


class LoginThrottle:
    """The throttle's state and rules (thread-safe; `clock` is injectable for tests)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._state = _State()

    def retry_after(self, client: str, username: str | None) -> int:
        """Whole seconds the client must wait before trying (0: it may try now).

        When it may, the attempt is counted and pending: `settle` must follow.
        """
        now = self._clock()
        name = (username or "").strip().lower()
        with self._lock:
            state = self._state
            recent = state.attempts.setdefault(client, deque())
            while recent and now - recent[0] >= 60.0:
                recent.popleft()
            by_client = state.clients.get(client)
            waits = [_wait(by_client, CLIENT_FREE_FAILURES, MAX_DELAY_S, CLIENT_WINDOW, now)]
            if len(recent) >= CLIENT_ATTEMPTS_PER_MINUTE:
                waits.append(recent[0] + 60.0 - now)
            if name:
                pair = state.pairs.get((name, client))
                waits.append(_wait(pair, PAIR_FREE_FAILURES, MAX_DELAY_S, CLIENT_WINDOW, now))
                known = now - state.known.get((name, client), -math.inf) < KNOWN_CLIENT_TTL
                if not known:
                    account = state.accounts.get(name)
                    cap = ACCOUNT_MAX_DELAY_S
                    waits.append(_wait(account, ACCOUNT_FREE_FAILURES, cap, ACCOUNT_WINDOW, now))
            by_pair = state.pairs.get((name, client)) if name else None
            pending_pair = state.pending_pairs.get((name, client), 0) if name else 0
            pending_client = state.pending_clients.get(client, 0)
            if _saturated(
                by_client, pending_client, CLIENT_FREE_FAILURES, CLIENT_WINDOW, now
            ) or _saturated(by_pair, pending_pair, PAIR_FREE_FAILURES, CLIENT_WINDOW, now):
                waits.append(1.0)
            wait = max(waits)
            if wait <= 0:
                recent.append(now)
                state.pending_clients[client] = pending_client + 1
                if name:
                    state.pending_pairs[(name, client)] = pending_pair + 1
                return 0
            return max(1, math.ceil(wait))

    def settle(self, client: str, username: str | None, outcome: bool | None) -> None:
        """Ends an admitted attempt: False a failure, True a success, None neither."""
        name = (username or "").strip().lower()
        with self._lock:
            state = self._state
            _decrement(state.pending_clients, client)
            if name:
                _decrement(state.pending_pairs, (name, client))
        if outcome is False:
            self.failed(client, username)
        elif outcome is True:
            self.succeeded(client, username)

    def failed(self, client: str, username: str | None) -> None:
        """Counts a wrong password (or unknown user) from `client`."""
        now = self._clock()
        name = (username or "").strip().lower()
        with self._lock:
            self._prune(now)
            state = self._state
            _bump(state.clients, client, CLIENT_WINDOW, now)
            if name:
                _bump(state.pairs, (name, client), CLIENT_WINDOW, now)
                _bump(state.accounts, name, ACCOUNT_WINDOW, now)

    def succeeded(self, client: str, username: str | None) -> None:
        """A right password: the client becomes known for the account; its counters clear."""
        now = self._clock()
        name = (username or "").strip().lower()
        with self._lock:
            state = self._state
            state.clients.pop(client, None)
            if name:
                state.pairs.pop((name, client), None)
                state.accounts.pop(name, None)
                state.known[(name, client)] = now

    def unlock(self, username: str) -> None:
        """Clears every failure counted against the account (the admin's unlock)."""
        name = username.strip().lower()
        with self._lock:
            state = self._state
            state.accounts.pop(name, None)
            for pair in [p for p in state.pairs if p[0] == name]:
                del state.pairs[pair]

    def _prune(self, now: float) -> None:
        state = self._state
        size = len(state.clients) + len(state.pairs) + len(state.accounts) + len(state.known)
        if size < _MAX_KEYS:
            return
        _expire(state.clients, CLIENT_WINDOW, now)
        _expire(state.pairs, CLIENT_WINDOW, now)
        _expire(state.accounts, ACCOUNT_WINDOW, now)
        for pair in [p for p, at in state.known.items() if now - at > KNOWN_CLIENT_TTL]:
            del state.known[pair]
        for client in [c for c, q in state.attempts.items() if not q or now - q[-1] > 60.0]:
            del state.attempts[client]
