"""Counts and a bounded log of the requests the sandbox saw, for tests and operators.

Secrets (bearer tokens, subscription keys, consent tokens) are never kept, and ident headers
are kept masked.
"""

from collections import Counter, deque
from typing import Any

from starlette.requests import Request

from nav_lookup_contracts.ident import mask_ident
from nav_lookup_contracts.operations import CONSENT_HEADER, OPERATIONS, Where

_SECRET_HEADERS = frozenset({"authorization", "ocp-apim-subscription-key", CONSENT_HEADER.lower(), "cookie"})
_SECRET_QUERY = frozenset({"subscription-key", "assertion", "access_token"})
_IDENT_HEADERS = frozenset(
    p.wire.lower() for op in OPERATIONS for p in op.params if p.where is Where.HEADER and p.field == "ident"
)
REDACTED = "[redacted]"


def _header_value(name: str, value: str) -> str:
    if name in _SECRET_HEADERS:
        return REDACTED
    return mask_ident(value) if name in _IDENT_HEADERS else value


class Recorder:
    def __init__(self, capacity: int) -> None:
        self.requests: Counter[tuple[str, int]] = Counter()
        self._log: deque[dict[str, Any]] = deque(maxlen=capacity)

    def record(self, target: str, status: int, request: Request) -> None:
        self.requests[target, status] += 1
        self._log.append(
            {
                "target": target,
                "method": request.method,
                "path": request.url.path,
                "query": [
                    [k, REDACTED if k in _SECRET_QUERY else v] for k, v in request.query_params.multi_items()
                ],
                "headers": {k: _header_value(k, v) for k, v in request.headers.items()},
                "status": status,
            }
        )

    def recorded(self) -> list[dict[str, Any]]:
        return list(self._log)

    def counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for (target, status), n in sorted(self.requests.items()):
            out.setdefault(target, {})[str(status)] = n
        return out

    def reset(self) -> None:
        self.requests.clear()
        self._log.clear()
