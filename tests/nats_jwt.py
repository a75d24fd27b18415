"""Decentralized NATS auth for the tests: an operator, its accounts and a user, as JWTs signed with nkeys.

What ``nsc`` would make, written out for a test (nsc is not on PyPI): each JWT is
``header.claims.signature``, base64url without padding, the signature ed25519
by the issuer's nkey over ``header.claims``. The server trusts the operator
and preloads the accounts (``resolver: MEMORY``); a client proves itself with a
credentials file holding its user JWT and nkey seed (``NATS_CREDS``).
"""

import base64
import json
import os
import secrets
import time
from dataclasses import dataclass
from typing import Any

import nkeys

UNLIMITED = {"subs": -1, "data": -1, "payload": -1, "imports": -1, "exports": -1, "wildcards": True, "conn": -1}
JETSTREAM = {"mem_storage": -1, "disk_storage": -1, "streams": -1, "consumer": -1}


@dataclass(frozen=True)
class Identity:
    seed: bytes
    public_key: str
    keys: nkeys.KeyPair


def identity(prefix: int) -> Identity:
    seed = nkeys.encode_seed(os.urandom(32), prefix)
    keys = nkeys.from_seed(bytearray(seed))
    return Identity(seed, keys.public_key.decode(), keys)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def jwt(issuer: Identity, subject: str, name: str, nats: dict[str, Any]) -> str:
    header = _b64(json.dumps({"typ": "JWT", "alg": "ed25519-nkey"}).encode())
    claims = {
        "jti": secrets.token_hex(16),
        "iat": int(time.time()),
        "iss": issuer.public_key,
        "name": name,
        "sub": subject,
        "nats": {**nats, "version": 2},
    }
    body = _b64(json.dumps(claims).encode())
    signature = _b64(issuer.keys.sign(f"{header}.{body}".encode()))
    return f"{header}.{body}.{signature}"


@dataclass(frozen=True)
class Operator:
    """An operator, its system account and one account with JetStream, ready for a server config."""

    operator: Identity
    system: Identity
    account: Identity

    @classmethod
    def new(cls) -> "Operator":
        return cls(
            identity(nkeys.PREFIX_BYTE_OPERATOR),
            identity(nkeys.PREFIX_BYTE_ACCOUNT),
            identity(nkeys.PREFIX_BYTE_ACCOUNT),
        )

    def server_config(self) -> str:
        op = self.operator
        operator_jwt = jwt(
            op, op.public_key, "test-operator", {"type": "operator", "system_account": self.system.public_key}
        )
        system_jwt = jwt(op, self.system.public_key, "SYS", {"type": "account", "limits": UNLIMITED})
        account_jwt = jwt(
            op, self.account.public_key, "ORDERS", {"type": "account", "limits": {**UNLIMITED, **JETSTREAM}}
        )
        return f"""
operator: {operator_jwt}
system_account: {self.system.public_key}
resolver: MEMORY
resolver_preload: {{
  {self.system.public_key}: {system_jwt}
  {self.account.public_key}: {account_jwt}
}}
"""

    def credentials(self, name: str, publish: list[str], subscribe: list[str]) -> str:
        """A user of the account allowed ``publish`` and ``subscribe``, as a ``.creds`` file's text."""
        user = identity(nkeys.PREFIX_BYTE_USER)
        permissions = {"pub": {"allow": publish}, "sub": {"allow": subscribe}, "subs": -1, "data": -1, "payload": -1}
        token = jwt(self.account, user.public_key, name, {"type": "user", **permissions})
        return (
            f"-----BEGIN NATS USER JWT-----\n{token}\n------END NATS USER JWT------\n\n"
            f"-----BEGIN USER NKEY SEED-----\n{user.seed.decode()}\n------END USER NKEY SEED------\n"
        )
