"""Errors of the NAV client, and the one place that turns NAV's answers and the HTTP exchange's
failures (`adapter.nav.exchange`) into them. Nothing outside `adapter.nav` sees an HTTP client's type.

    NavError(code, retryable, http_status)
      NavUnavailable     connect errors, timeouts, 5xx, 429, token endpoint down  -> retryable
      NavRejected        a 4xx answer: not found, forbidden, bad request         -> permanent
      NavContractError   a 2xx body that fails the contract                      -> permanent, alert

Messages name the call and the status only: never an ident, a token or a NAV body.
"""

import re
from collections.abc import Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime

from pydantic import ValidationError

from adapter.nav.consent_tokens import ConsentRefused
from adapter.nav.exchange import ExchangeFailed, ExchangeTimeout
from adapter.nav.tokens import TokenEndpointError
from nav_lookup_contracts._wire import NavModel
from nav_lookup_contracts.replies import ErrorCode
from nav_lookup_contracts.validation import problem_locations


class NavError(Exception):
    retryable = False

    def __init__(
        self, code: ErrorCode, message: str, *, http_status: int | None = None, nav_code: str | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status
        self.nav_code = nav_code


class NavUnavailable(NavError):
    retryable = True

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        http_status: int | None = None,
        retry_after: float | None = None,
        nav_code: str | None = None,
    ) -> None:
        super().__init__(code, message, http_status=http_status, nav_code=nav_code)
        self.retry_after = retry_after


class NavRejected(NavError):
    pass


class NavContractError(NavError):
    def __init__(self, message: str, *, http_status: int | None = None) -> None:
        super().__init__(ErrorCode.INTERNAL, message, http_status=http_status)


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(raw).timestamp() - datetime.now().timestamp())
    except (TypeError, ValueError):
        return None


_REJECTIONS = {
    400: ErrorCode.INVALID_REQUEST,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
}


_NAV_CODE = re.compile(r"[A-Za-z_][A-Za-z_.]{0,99}")
"""What a NAV error name (an exception's class name) looks like: no digits, so never an ident."""


def nav_code_of(error_model: type[NavModel] | None, body: bytes) -> str | None:
    """NAV's name for the error from an error body of `error_model`'s shape (its `kode`)."""
    if error_model is None or not body:
        return None
    try:
        kode = getattr(error_model.model_validate_json(body), "kode", None)
    except ValidationError:
        return None
    return kode if isinstance(kode, str) and _NAV_CODE.fullmatch(kode) else None


def error_for_status(
    name: str,
    status: int,
    headers: Mapping[str, str],
    *,
    busy_503: bool = False,
    body: bytes = b"",
    error_model: type[NavModel] | None = None,
    forbidden: str = "",
) -> NavError:
    """The NavError a non-2xx answer to call `name` stands for; `busy_503`: the API's gateway
    answers 503 over its rate limit, so a 503 is rate limiting. `error_model` and `forbidden` are
    the operation's (the table's): the shape of NAV's error bodies and what its 403 means."""
    nav_code = nav_code_of(error_model, body)
    if status == 429 or (busy_503 and status == 503):
        return NavUnavailable(
            ErrorCode.RATE_LIMITED,
            f"{name}: NAV is rate limiting ({status})",
            http_status=status,
            retry_after=retry_after_seconds(headers),
        )
    if status >= 500:
        return NavUnavailable(
            ErrorCode.UPSTREAM_UNAVAILABLE,
            f"{name}: NAV answered {status}",
            http_status=status,
            retry_after=retry_after_seconds(headers),
            nav_code=nav_code,
        )
    code = _REJECTIONS.get(status, ErrorCode.INVALID_REQUEST)
    message = f"{name}: NAV answered {status}"
    if status == 403 and forbidden:
        message += f": {forbidden}, or the token lacks the scope"
    elif nav_code is not None:
        message += f" ({nav_code})"
    return NavRejected(code, message, http_status=status, nav_code=nav_code)


def contract_error(name: str, exc: ValidationError, status: int) -> NavContractError:
    # Only locations: a NAV body may hold personal data.
    where = ", ".join(problem_locations(exc)[:5])
    return NavContractError(
        f"{name}: NAV's answer does not match the contract at {where}", http_status=status
    )


def from_transport(exc: Exception, name: str) -> NavError | None:
    """The NavError an exchange or token failure of call `name` stands for; None if it is neither."""
    if isinstance(exc, NavError):
        return exc
    if isinstance(exc, ExchangeTimeout):
        return NavUnavailable(ErrorCode.TIMEOUT, f"{name}: NAV did not answer in time")
    if isinstance(exc, ExchangeFailed):
        return NavUnavailable(ErrorCode.UPSTREAM_UNAVAILABLE, f"{name}: cannot reach NAV")
    if isinstance(exc, ConsentRefused):
        return NavRejected(
            ErrorCode.FORBIDDEN,
            f"{name}: Maskinporten refused a token for the consent (unknown, withdrawn or not this client's)",
        )
    if isinstance(exc, TokenEndpointError):
        if exc.retryable:
            return NavUnavailable(ErrorCode.UPSTREAM_UNAVAILABLE, f"{name}: Maskinporten is unavailable")
        return NavRejected(ErrorCode.UNAUTHORIZED, f"{name}: Maskinporten refused the grant")
    return None
