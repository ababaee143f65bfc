"""What the client raises. Every error carries the server's own words.

    BotmoonError
    ├── APIConnectionError          the server could not be reached (refused, DNS, connect timeout)
    │   └── APITimeoutError         no answer in time
    └── APIStatusError              the server answered 4xx/5xx: .status_code, .message, .fields, .request_id
        ├── BadRequestError         400
        ├── AuthenticationError     401 (no key, or a wrong one)
        ├── PermissionDeniedError   403
        ├── NotFoundError           404
        ├── ConflictError           409 (e.g. start a running strategy)
        ├── RequestTooLargeError    413
        ├── InvalidRequestError     422: .fields names each field and why
        ├── RateLimitError          429 (retried first, honouring Retry-After)
        └── ServerError             5xx; 503 is retried first
"""

from typing import Any


class BotmoonError(Exception):
    """Base of every error the client raises."""


class APIConnectionError(BotmoonError):
    def __init__(self, message: str, url: str = ""):
        super().__init__(message)
        self.url = url


class APITimeoutError(APIConnectionError):
    pass


class APIStatusError(BotmoonError):
    def __init__(self, status_code: int, message: str, fields: list[dict[str, str]] | None = None,
                 body: Any = None, request_id: str | None = None):
        self.status_code, self.message, self.fields = status_code, message, fields or []
        self.body, self.request_id = body, request_id
        super().__init__(self._text())

    def _text(self) -> str:
        details = "; ".join(f"{f.get('field', '?')}: {f.get('reason', '')}" for f in self.fields)
        return f"{self.status_code} {self.message}" + (f" ({details})" if details else "")

    @property
    def field(self) -> str | None:
        """The first field the server named, if any."""
        return self.fields[0].get("field") if self.fields else None


class BadRequestError(APIStatusError):
    pass


class AuthenticationError(APIStatusError):
    pass


class PermissionDeniedError(APIStatusError):
    pass


class NotFoundError(APIStatusError):
    pass


class ConflictError(APIStatusError):
    pass


class RequestTooLargeError(APIStatusError):
    pass


class InvalidRequestError(APIStatusError):
    pass


class RateLimitError(APIStatusError):
    pass


class ServerError(APIStatusError):
    pass


_BY_STATUS = {400: BadRequestError, 401: AuthenticationError, 403: PermissionDeniedError, 404: NotFoundError,
              409: ConflictError, 413: RequestTooLargeError, 422: InvalidRequestError, 429: RateLimitError}


def status_error(status_code: int, body: Any, request_id: str | None) -> APIStatusError:
    """The exception for one error reply: the gateway's `{"error": ..., "fields": [...]}`, or its raw text."""
    message, fields = f"HTTP {status_code}", []
    if isinstance(body, dict):
        message = str(body.get("error") or body.get("detail") or message)
        fields = [f for f in body.get("fields") or [] if isinstance(f, dict)]
    elif isinstance(body, str) and body.strip():
        message = body.strip()[:500]
    cls = _BY_STATUS.get(status_code, ServerError if status_code >= 500 else APIStatusError)
    return cls(status_code, message, fields, body, request_id)
