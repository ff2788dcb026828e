"""Errors that services raise and pages turn into plain-English messages."""


class PermissionDenied(Exception):
    """The acting user may not do this. The message is safe to show."""

    def __init__(self, message: str = "You do not have permission to do that.") -> None:
        super().__init__(message)


class NotFound(Exception):
    """The record does not exist, or the acting user may not know it does."""

    def __init__(self, message: str = "That record could not be found.") -> None:
        super().__init__(message)


class ValidationFailed(Exception):
    """Input was refused. ``field_errors`` maps a form field to its message."""

    def __init__(self, field_errors: dict[str, str]) -> None:
        self.field_errors = dict(field_errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.field_errors.items()))
