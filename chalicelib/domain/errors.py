"""Every error the API answers with: its status and code, in one table.
`api/http.py` is the one place that turns them into responses; anything
else a request raises is unexpected, logged with the request id and
answered 500 with that id only."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class CarelineError(Exception):
    """A refusal the caller can act on."""

    status = 500
    code = "internal"
    field = "request"

    def __init__(self, message: str = "", *, field: str | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message or self.__class__.__doc__ or self.code)
        self.message = message or (self.__class__.__doc__ or self.code).strip()
        self.field = field or self.field
        self.headers = dict(headers or {})

    @property
    def errors(self) -> list[FieldError]:
        return [FieldError(self.field, self.message)]


class InvalidInput(CarelineError):
    """Every problem with a request at once."""

    status, code, field = 400, "invalid", "body"

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self._errors = errors

    @property
    def errors(self) -> list[FieldError]:
        return self._errors


class Unauthorized(CarelineError):
    """A bearer token is required."""

    status, code, field = 401, "unauthorized", "Authorization"

    def __init__(self, message: str = "") -> None:
        super().__init__(message, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(CarelineError):
    """This role may not make this call."""

    status, code, field = 403, "forbidden", "Authorization"


class NotFound(CarelineError):
    """Not found."""

    status, code, field = 404, "not_found", "id"


class Conflict(CarelineError):
    """The request contradicts an earlier one."""

    status, code = 409, "conflict"


class Gone(CarelineError):
    """This no longer exists."""

    status, code = 410, "gone"


class PreconditionFailed(CarelineError):
    """The ticket changed meanwhile."""

    status, code, field = 412, "stale", "If-Match"

    def __init__(self, current_version: int) -> None:
        super().__init__(
            f"the ticket changed meanwhile; it is now at version {current_version}",
            headers={"ETag": f'"{current_version}"'},
        )
        self.current_version = current_version


class PayloadTooLarge(InvalidInput):
    """A body over the size limit: refused before it is read."""

    status, code = 413, "too_large"

    def __init__(self, limit_bytes: int) -> None:
        super().__init__([FieldError("body", f"must be at most {limit_bytes // 1024} KiB")])


class UnsupportedMediaType(CarelineError):
    """The body is of a type this call does not take."""

    status, code, field = 415, "unsupported_media_type", "Content-Type"


class TooManyRequests(CarelineError):
    """Too many requests; please try again later."""

    status, code, field = 429, "rate_limited", "email"

    def __init__(self, retry_after_seconds: int, message: str = "") -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after_seconds)})
        self.retry_after_seconds = retry_after_seconds


class ServiceUnavailable(CarelineError):
    """We could not take your request just now; please send it again in a minute."""

    status, code, field = 503, "unavailable", "body"

    def __init__(self, message: str = "", retry_after_seconds: int = 30, *, field: str | None = None) -> None:
        super().__init__(message, field=field, headers={"Retry-After": str(retry_after_seconds)})
        self.retry_after_seconds = retry_after_seconds


# AWS error codes that mean "not now" rather than "no": the service is
# throttling, overloaded or failing inside. A request that meets one (or
# cannot reach the service at all, or loses its answer) is answered
# ServiceUnavailable with Retry-After (api/errors.py recognises them).
TRY_AGAIN_CODES = frozenset(
    {
        "InternalServerError",
        "InternalFailure",
        "InternalError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "LimitExceededException",
        "TransactionInProgressException",
        "SlowDown",
    }
)


ERRORS: tuple[type[CarelineError], ...] = (
    InvalidInput,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    Gone,
    PreconditionFailed,
    PayloadTooLarge,
    TooManyRequests,
    ServiceUnavailable,
)
