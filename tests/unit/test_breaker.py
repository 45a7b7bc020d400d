from adapter.nav.breaker import CircuitBreaker, CircuitState


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_opens_after_threshold_then_half_opens_for_one_trial() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=2, cooldown=10, clock=clock)
    breaker.failed()
    assert breaker.allow()
    breaker.failed()
    assert breaker.state is CircuitState.OPEN and not breaker.allow()
    clock.now = 10
    assert breaker.state is CircuitState.HALF_OPEN
    assert breaker.allow() and not breaker.allow()  # one trial only
    breaker.failed()
    assert breaker.state is CircuitState.OPEN
    clock.now = 20
    assert breaker.allow()
    breaker.succeeded()
    assert breaker.state is CircuitState.CLOSED and breaker.allow()


def test_success_resets_the_count() -> None:
    breaker = CircuitBreaker(threshold=2, cooldown=10, clock=Clock())
    breaker.failed()
    breaker.succeeded()
    breaker.failed()
    assert breaker.state is CircuitState.CLOSED
