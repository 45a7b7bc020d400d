"""A throwaway RSA key pair for development: the adapter signs grants, the sandbox verifies them."""

import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


@dataclass(frozen=True)
class DevKeys:
    key_id: str
    private_key_path: Path
    jwks_path: Path


def make_dev_keys(directory: Path, key_id: str = "dev-key-1") -> DevKeys:
    directory.mkdir(parents=True, exist_ok=True)
    private_key_path, jwks_path = directory / "maskinporten-key.pem", directory / "jwks.json"
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    private_key_path.chmod(0o600)
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": key_id, "alg": "RS256", "use": "sig"})
    jwks_path.write_text(json.dumps({"keys": [jwk]}))
    return DevKeys(key_id, private_key_path, jwks_path)


def main(argv: list[str] | None = None) -> int:
    import sys

    args = sys.argv[1:] if argv is None else argv
    keys = make_dev_keys(Path(args[0] if args else ".dev"))
    print(f"{keys.private_key_path} {keys.jwks_path} kid={keys.key_id}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
