"""Errors that services raise and pages turn into plain-English messages."""

# The database was unreachable or locked and the unit of work was rolled back.
# Raised by db/engine.session_scope; pages/_ui.database_guard shows its message.
from db.engine import DatabaseUnavailable  # noqa: F401  (re-exported)


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


class StaleEdit(Exception):
    """Someone else saved this record after it was opened, so nothing was saved. The message is safe to show.

    Raised by ``qa/optimistic.claim``; pages keep the person's text in the form.
    """

    def __init__(
        self,
        message: str = (
            "Someone else saved this record while you were editing, so your changes have not been saved. "
            "Your text is still below: copy what you need, reload the latest version, then re-apply your changes."
        ),
    ) -> None:
        super().__init__(message)
