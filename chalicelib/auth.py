"""Operator tokens: Cognito-issued JWTs, verified against the user pool's
JWKS (RS256); the local stage's own tokens (local/tokens.py) go through the
same TokenVerifier."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from .domain.errors import ServiceUnavailable, Unauthorized
from .domain.ticket import Actor
from .log import logger

log = logger(__name__)

ROLES = ("agent", "admin")
CLOCK_SKEW_SECONDS = 60
# The pool's key set is fetched again at most once in this long for a kid it
# does not hold (a rotated key), and not at all this long after a failed fetch;
# a failed fetch answers 503 with this as Retry-After.
REFETCH_SECONDS = 30
FETCH_TIMEOUT_SECONDS = 3


class KeysUnavailable(Exception):
    """The key set could not be fetched: no token can be verified just now."""


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
        except KeysUnavailable as error:
            # Not 401: the token may well be good, and the admin page answers a
            # 401 by signing the operator out, which would not help them.
            log.warning("operator tokens cannot be verified", extra={"error": str(error)})
            raise ServiceUnavailable(
                "tokens cannot be verified just now; please try again in a minute",
                retry_after_seconds=REFETCH_SECONDS,
                field="Authorization",
            ) from None
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


class CognitoKeys:
    """The user pool's signing keys, from its JWKS by PyJWKClient: the set is
    kept for the client's lifespan (5 minutes), and a kid it does not hold
    fetches it again at most once per interval (the client's cooldown), so a
    made-up kid costs one fetch per interval at most. After a failed fetch no
    other is tried for an interval: a caller cannot make each request wait on
    an endpoint that is failing."""

    def __init__(self, jwks_url: str, interval_seconds: float = REFETCH_SECONDS) -> None:
        from jwt import PyJWKClient
        from jwt.exceptions import PyJWTError

        class Client(PyJWKClient):
            paused_until = 0.0  # no fetch before this (time.monotonic(), as the client's own cooldown)

            def fetch_data(self) -> Any:
                # PyJWKClient's cooldown counts from the last fetch that worked;
                # this pause counts from the last that failed.
                if time.monotonic() < self.paused_until:
                    raise KeysUnavailable("the key set could not be fetched a moment ago")
                try:
                    return super().fetch_data()
                except (PyJWTError, OSError, ValueError) as error:  # unreachable, an HTTP error, not a key set
                    self.paused_until = time.monotonic() + interval_seconds
                    raise KeysUnavailable(f"the key set could not be fetched: {error}") from error

        self._client = Client(jwks_url, cooldown_duration=interval_seconds, timeout=FETCH_TIMEOUT_SECONDS)

    def __call__(self, kid: object) -> Any:
        from jwt import PyJWKClientError

        if not isinstance(kid, str):
            return None
        try:
            return self._client.get_signing_key(kid).key
        except PyJWKClientError:  # not in the set, as fetched within the interval
            return None
