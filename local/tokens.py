"""The local stage's operator tokens (POST /_dev/token): RS256 JWTs shaped
like Cognito's ID tokens, signed with a key made per process, checked by the
same TokenVerifier the AWS stages use."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache

from chalicelib.auth import TokenVerifier
from chalicelib.clock import Clock

LOCAL_KID = "careline-local"
LOCAL_AUDIENCE = "careline-local"
LOCAL_LIFETIME = timedelta(days=365)  # the dev clock may move by days


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


def local_verifier(public_url: str, clock: Clock) -> TokenVerifier:
    return TokenVerifier(
        local_issuer(public_url),
        LOCAL_AUDIENCE,
        lambda kid: _local_key().public_key() if kid == LOCAL_KID else None,
        clock,
    )
