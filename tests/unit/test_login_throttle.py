"""The login throttle's rules, with a hand-driven clock (no server, no database)."""

from __future__ import annotations

from inocds.services.login_throttle import (
    ACCOUNT_FREE_FAILURES,
    ACCOUNT_MAX_DELAY_S,
    CLIENT_ATTEMPTS_PER_MINUTE,
    PAIR_FREE_FAILURES,
    LoginThrottle,
)


class Clock:
    """Seconds, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _fail(throttle: LoginThrottle, client: str, user: str) -> None:
    assert throttle.retry_after(client, user) == 0
    throttle.settle(client, user, False)


def test_pair_waits_double_after_the_free_failures() -> None:
    """3 free failures; then 2 s, then 4 s, then 8 s after each further failure."""
    clock = Clock()
    throttle = LoginThrottle(clock)
    for _ in range(PAIR_FREE_FAILURES):
        _fail(throttle, "a", "joy")
    for wait in (2, 4, 8):
        assert throttle.retry_after("a", "joy") == wait
        clock.now += wait
        _fail(throttle, "a", "joy")
    assert throttle.retry_after("b", "joy") == 0  # another client is not slowed


def test_attempts_in_flight_count_until_settled() -> None:
    """Three admitted, unanswered attempts saturate the pair: the fourth retries in 1 s."""
    throttle = LoginThrottle(Clock())
    for _ in range(PAIR_FREE_FAILURES):
        assert throttle.retry_after("a", "joy") == 0
    assert throttle.retry_after("a", "joy") == 1
    throttle.settle("a", "joy", None)
    assert throttle.retry_after("a", "joy") == 0


def test_the_account_wait_spares_known_clients_and_is_capped() -> None:
    """After 20 failures from many clients a new client waits (<= 60 s); a known one never."""
    clock = Clock()
    throttle = LoginThrottle(clock)
    assert throttle.retry_after("home", "joy") == 0
    throttle.settle("home", "joy", True)
    for n in range(ACCOUNT_FREE_FAILURES):
        _fail(throttle, f"203.0.113.{n}", "joy")
    assert 1 <= throttle.retry_after("new", "joy") <= ACCOUNT_MAX_DELAY_S
    assert throttle.retry_after("home", "joy") == 0
    throttle.settle("home", "joy", None)
    throttle.unlock("joy")
    assert throttle.retry_after("new", "joy") == 0


def test_a_client_has_a_rate_limit_whatever_the_outcome() -> None:
    """30 attempts in a minute, then a wait until the oldest is a minute old."""
    clock = Clock()
    throttle = LoginThrottle(clock)
    for _ in range(CLIENT_ATTEMPTS_PER_MINUTE):
        assert throttle.retry_after("a", "joy") == 0
        throttle.settle("a", "joy", True)
        clock.now += 1
    assert throttle.retry_after("a", "joy") == 30
