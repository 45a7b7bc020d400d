"""The control plane under `/_sandbox/`: faults, token expiry, stats, recorded requests, reset.

POST   /_sandbox/faults          add a fault (FaultSpec JSON); answers the active faults
GET    /_sandbox/faults          the active faults
DELETE /_sandbox/faults          clear all faults
POST   /_sandbox/tokens/expire   expire every issued access token
GET    /_sandbox/stats           token fetches per scope, requests per target and status
GET    /_sandbox/requests        recorded requests (secrets redacted, idents masked)
GET    /_sandbox/people          the synthetic people's idents and unntakIds
GET    /_sandbox/consents        the people's Altinn 3 consents (id, person, resource, period)
POST   /_sandbox/gateway-limit   {"per_minute": 100} pensjon-gw's limit per endpoint (null: off)
POST   /_sandbox/reset           forget tokens, grant ids, faults, stats and recordings
"""

import orjson
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from nav_lookup_contracts.validation import problems
from nav_sandbox.consents import CONSENTS
from nav_sandbox.faults import Faults, FaultSpec, error_response
from nav_sandbox.maskinporten import TokenStore
from nav_sandbox.people import PEOPLE, UNKNOWN_IDENT
from nav_sandbox.recorder import Recorder

PREFIX = "/_sandbox"


class ControlPlane:
    def __init__(self, tokens: TokenStore, faults: Faults, recorder: Recorder) -> None:
        self._tokens = tokens
        self._faults = faults
        self._recorder = recorder

    def routes(self) -> list[Route]:
        return [
            Route(f"{PREFIX}/faults", self.add_fault, methods=["POST"]),
            Route(f"{PREFIX}/faults", self.list_faults, methods=["GET"]),
            Route(f"{PREFIX}/faults", self.clear_faults, methods=["DELETE"]),
            Route(f"{PREFIX}/tokens/expire", self.expire_tokens, methods=["POST"]),
            Route(f"{PREFIX}/stats", self.stats, methods=["GET"]),
            Route(f"{PREFIX}/requests", self.requests, methods=["GET"]),
            Route(f"{PREFIX}/people", self.people, methods=["GET"]),
            Route(f"{PREFIX}/consents", self.consents, methods=["GET"]),
            Route(f"{PREFIX}/reset", self.reset, methods=["POST"]),
        ]

    async def add_fault(self, request: Request) -> Response:
        try:
            self._faults.add(FaultSpec.model_validate_json(await request.body()))
        except ValidationError as exc:
            return error_response(400, "; ".join(problems(exc)))
        except ValueError as exc:
            return error_response(400, str(exc))
        return JSONResponse({"faults": self._faults.active()}, status_code=201)

    async def list_faults(self, request: Request) -> Response:
        return JSONResponse({"faults": self._faults.active()})

    async def clear_faults(self, request: Request) -> Response:
        self._faults.clear()
        return Response(status_code=204)

    async def expire_tokens(self, request: Request) -> Response:
        return JSONResponse({"expired": self._tokens.expire_all()})

    async def stats(self, request: Request) -> Response:
        return JSONResponse(
            {
                "token_fetches": dict(self._tokens.fetches),
                "consent_token_fetches": dict(self._tokens.consent_fetches),
                "requests": self._recorder.counts(),
            }
        )

    async def requests(self, request: Request) -> Response:
        return Response(orjson.dumps(self._recorder.recorded()), media_type="application/json")

    async def people(self, request: Request) -> Response:
        return JSONResponse(
            {
                "people": [
                    {
                        "ident": p.ident,
                        "description": p.description,
                        "unntakIds": [u.unntakId for u in p.medlemskapsunntak],
                        "tpnr": sorted(p.tp_ordninger),
                    }
                    for p in PEOPLE
                ],
                "unknown_ident": UNKNOWN_IDENT,
            }
        )

    async def consents(self, request: Request) -> Response:
        now = self._tokens.clock()
        return JSONResponse({"consents": [c.listed(now) for c in CONSENTS]})

    async def reset(self, request: Request) -> Response:
        self._tokens.reset()
        self._faults.clear()
        self._recorder.reset()
        return Response(status_code=204)
