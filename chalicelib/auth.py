"""Operator tokens: Cognito-issued JWTs in AWS stages, locally signed ones in
the local stage, both verified by the same code (RS256 against a JWKS)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from .domain.errors import Unauthorized
from .domain.ticket import Actor

ROLES = ("agent", "admin")
LOCAL_KID = "careline-local"
LOCAL_AUDIENCE = "careline-local"
LOCAL_LIFETIME = timedelta(days=365)  # the dev clock may move by days
CLOCK_SKEW_SECONDS = 60


@dataclass(frozen=True)
class Principal:
    subject: str
    email: str
    roles: frozenset[str]
    name: str = ""

    @property
    def actor(self) -> Actor:
        return Actor("operator", self.email, self.name)


class TokenVerifier:
    def __init__(self, issuer: str, audience: str, keys, clock) -> None:
        self._issuer = issuer
        self._audience = audience
        self._keys = keys  # kid -> public key (callable, so JWKS can be fetched lazily)
        self._clock = clock

    def verify(self, token: str) -> Principal:
        import jwt

        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = self._keys(kid)
            if key is None:
                raise Unauthorized("unknown signing key")
            # Times are checked against the injected clock, not time.time().
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                audience=self._audience,
                issuer=self._issuer,
                options={
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                    "require": ["exp", "iss", "aud", "sub"],
                },
            )
        except jwt.PyJWTError as error:
            raise Unauthorized(str(error)) from None
        if claims.get("token_use") != "id":
            raise Unauthorized("not an id token")
        now = self._clock.now().timestamp()
        if claims["exp"] <= now:
            raise Unauthorized("token expired")
        if claims.get("iat", 0) > now + CLOCK_SKEW_SECONDS or claims.get("nbf", 0) > now + CLOCK_SKEW_SECONDS:
            raise Unauthorized("token not yet valid")
        roles = frozenset(g for g in claims.get("cognito:groups", ()) if g in ROLES)
        return Principal(claims["sub"], claims.get("email", ""), roles, claims.get("name", ""))


@lru_cache(maxsize=1)
def _local_key():
    from cryptography.hazmat.primitives.asymmetric import rsa

    # A fresh key per process: tokens of an earlier `make run` stop working.
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def local_issuer(public_url: str) -> str:
    return f"{public_url}/_dev"


def issue_local_token(email: str, role: str, public_url: str, now: datetime) -> str:
    import jwt

    claims = {
        "sub": email,
        "email": email,
        "cognito:groups": [role],
        "token_use": "id",
        "iss": local_issuer(public_url),
        "aud": LOCAL_AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int((now + LOCAL_LIFETIME).timestamp()),
    }
    return jwt.encode(claims, _local_key(), algorithm="RS256", headers={"kid": LOCAL_KID})


def local_verifier(public_url: str, clock) -> TokenVerifier:
    return TokenVerifier(
        local_issuer(public_url),
        LOCAL_AUDIENCE,
        lambda kid: _local_key().public_key() if kid == LOCAL_KID else None,
        clock,
    )


class CognitoKeys:
    """The user pool's JWKS, fetched once per container and again only for an unknown kid."""

    def __init__(self, jwks_url: str) -> None:
        self._url = jwks_url
        self._keys: dict = {}
        self._lock = threading.Lock()

    def __call__(self, kid: str | None):
        if kid not in self._keys:
            with self._lock:
                self._keys = self._fetch()
        return self._keys.get(kid)

    def _fetch(self) -> dict:
        import urllib.request

        from jwt.algorithms import RSAAlgorithm

        with urllib.request.urlopen(self._url, timeout=3) as answer:
            document = json.load(answer)
        return {k["kid"]: RSAAlgorithm.from_jwk(json.dumps(k)) for k in document.get("keys", ())}
