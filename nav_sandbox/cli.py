"""`nav-sandbox`: run the sandbox over HTTP (or HTTPS, with a certificate) with uvicorn."""

import argparse
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

import uvicorn

from nav_sandbox.app import create_app
from nav_sandbox.settings import SandboxConfig


def _parser() -> argparse.ArgumentParser:
    defaults = SandboxConfig()
    parser = argparse.ArgumentParser(
        prog="nav-sandbox", description="A local stand-in for NAV's APIs and Maskinporten."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090, help="0 picks a free port")
    parser.add_argument("--jwks", type=Path, help="JWKS file with the client's public keys")
    parser.add_argument("--client-id", default=defaults.client_id)
    parser.add_argument("--issuer", help="the aud grants must carry (default: http://HOST:PORT/)")
    parser.add_argument("--subscription-key", default=defaults.subscription_key)
    parser.add_argument("--token-lifetime", type=int, default=defaults.token_lifetime_seconds, help="seconds")
    parser.add_argument(
        "--gateway-limit",
        type=float,
        help="pensjon-gw's requests a minute per endpoint, over which it answers 503 (NAV: 100)",
    )
    parser.add_argument("--log-level", default="warning")
    parser.add_argument("--tls-cert", type=Path, help="PEM certificate (chain): serve HTTPS")
    parser.add_argument("--tls-key", type=Path, help="PEM private key of --tls-cert")
    parser.add_argument(
        "--people", action="store_true", help="list the synthetic people and what each API knows; exit"
    )
    return parser


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("--tls-cert and --tls-key go together")
    if args.people:
        from nav_sandbox.roster import people_listing

        print(people_listing())
        return 0
    config = SandboxConfig(
        client_id=args.client_id,
        jwks_path=args.jwks,
        issuer=args.issuer,
        subscription_key=args.subscription_key,
        token_lifetime_seconds=args.token_lifetime,
        gateway_requests_per_minute=args.gateway_limit,
    )
    if args.jwks is None:
        print("nav-sandbox: no --jwks given, so every token request will be refused", file=sys.stderr)
    app = create_app(config)
    sock = _bind(args.host, args.port)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    scheme = "https" if args.tls_cert else "http"
    print(f"nav-sandbox listening on {scheme}://{shown}:{port}", flush=True)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            access_log=False,
            log_level=args.log_level,
            http="h11",
            ws="none",
            lifespan="off",
            ssl_certfile=args.tls_cert,
            ssl_keyfile=args.tls_key,
        )
    )
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return 0
