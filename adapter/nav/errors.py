"""Errors of the NAV client. Nothing outside the client sees an httpx type.

    NavError(code, retryable, http_status)
      NavUnavailable     connect errors, timeouts, 5xx, 429, token endpoint down  -> retryable
      NavRejected        a 4xx answer: not found, forbidden, bad request         -> permanent
      NavContractError   a 2xx body that fails the contract                      -> permanent, alert

Messages name the operation and the status only: never an ident, a token or a NAV body.
"""

from contracts.replies import ErrorCode


class NavError(Exception):
    retryable = False

    def __init__(self, code: ErrorCode, message: str, *, http_status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status


class NavUnavailable(NavError):
    retryable = True

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        http_status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(code, message, http_status=http_status)
        self.retry_after = retry_after


class NavRejected(NavError):
    pass


class NavContractError(NavError):
    def __init__(self, message: str, *, http_status: int | None = None) -> None:
        super().__init__(ErrorCode.INTERNAL, message, http_status=http_status)
