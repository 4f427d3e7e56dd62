"""One error type for every refusal, so pages, API and CLI report it the same way."""


class DomainError(Exception):
    """A business rule said no. `message` is Chinese and shown to the user as is."""

    code = "domain_error"
    status = 400

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code


class NotFound(DomainError):
    code, status = "not_found", 404


class PermissionDenied(DomainError):
    code, status = "permission_denied", 403
