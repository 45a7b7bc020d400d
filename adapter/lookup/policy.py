"""Who may ask for what, and where answers go: the policy, and the checks made before NAV is called.

`Admission.admit` runs after the request has passed its contract: the operation's own scope, the
caller's right to it, the caller's quota, consent, and the deadline. Each refusal is a `Refused`
with the code the caller is answered with; NAV is not called.
"""

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from adapter.lookup.reply_to import ReplyRoutes
from adapter.token_bucket import TokenBucket
from nav_lookup_contracts.lookups import ConsentMixin, LookupBase
from nav_lookup_contracts.operations import operation_of
from nav_lookup_contracts.replies import ErrorCode


@dataclass(frozen=True)
class LookupPolicy:
    scopes_by_request_topic: Mapping[str, frozenset[str]]
    caller_by_request_topic: Mapping[str, str]
    replies: ReplyRoutes
    """Each caller's reply topic, and where its reply_to may point."""
    dead_letter_topic: str
    audit_topic: str
    allow_synthetic_idents: bool = False
    key_secret: bytes | None = None
    """When set, reply and audit keys are HMAC-SHA256(secret, ident) instead of the request's key."""
    dedupe_window_seconds: float = 300.0
    quotas_per_second: Mapping[str, float] = field(default_factory=dict)
    """Caller name -> lookups a second; callers not named are not limited."""
    retry_topics: tuple[tuple[str, float], ...] = ()
    """(topic, delay in seconds) for each delayed retry after NAV stayed unavailable."""
    max_request_bytes: int = 1_048_576
    max_request_headers: int = 64
    max_list_items: int = 100

    def caller(self, request_topic: str) -> str | None:
        return self.caller_by_request_topic.get(request_topic)


class Refused(Exception):
    """The adapter itself answers the request with an error, without calling NAV."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Admission:
    def __init__(
        self,
        policy: LookupPolicy,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._policy = policy
        self._clock = clock
        self._monotonic = monotonic
        self._quotas = {
            caller: TokenBucket(rate=rate, clock=monotonic)
            for caller, rate in policy.quotas_per_second.items()
        }

    def admit(self, request_topic: str, request: LookupBase) -> float | None:
        """The request's deadline on the monotonic clock (None: none), or Refused."""
        op = operation_of(request)
        if request.scope not in op.scopes:
            raise Refused(
                ErrorCode.INVALID_REQUEST, f"scope must be one of {', '.join(op.scopes)} for {op.name}"
            )
        if request.scope not in self._policy.scopes_by_request_topic.get(request_topic, ()):
            raise Refused(ErrorCode.SCOPE_NOT_ALLOWED, f"this caller may not use scope {request.scope}")
        quota = self._quotas.get(self._policy.caller(request_topic) or "")
        if quota is not None and not quota.take():
            raise Refused(ErrorCode.RATE_LIMITED, "this caller's lookup quota is used up; try again shortly")
        if op.needs_consent and not (isinstance(request, ConsentMixin) and request.consent_given()):
            raise Refused(
                ErrorCode.CONSENT_REQUIRED,
                f"{op.name} needs the person's consent: consent_id (Altinn 3) or consent_token (Altinn 2)",
            )
        if request.deadline is None:
            return None
        left = request.deadline.timestamp() - self._clock()
        if left <= 0:
            raise Refused(ErrorCode.EXPIRED, "deadline passed before NAV was called")
        return self._monotonic() + left
