"""Expected failures of the domain, shown to people as a clear message (never a 500)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class ApplicationError(Exception):
    """An expected, user-facing failure: the API maps it to a 4xx body, pages show the message.

    ``fields`` maps an input field to its messages, for errors tied to one field.
    """

    status_code = 400

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid",
        fields: Mapping[str, Sequence[str]] | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.fields = {key: [str(m) for m in value] for key, value in (fields or {}).items()}
        if status_code is not None:
            self.status_code = status_code


class NotFoundError(ApplicationError):
    status_code = 404

    def __init__(self, message: str = "Not found.", *, code: str = "not_found") -> None:
        super().__init__(message, code=code)


class PermissionDeniedError(ApplicationError):
    status_code = 403

    def __init__(self, message: str = "You are not allowed to do this.", *, code: str = "forbidden") -> None:
        super().__init__(message, code=code)
