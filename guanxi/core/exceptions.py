"""Domain errors with a user-facing message; views and the API turn them into messages."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A business rule refused an operation. `message` is shown to the user as is."""

    status_code = 400
    code = "domain_error"
    default_message: str | Promise = _("The operation was refused.")

    def __init__(self, message: object | None = None, *, field: str | None = None) -> None:
        self.message = message if message is not None else self.default_message
        self.field = field
        super().__init__(str(self.message))


class StaleEdit(DomainError):
    """Someone else saved the record after this edit was started (optimistic lock)."""

    status_code = 409
    code = "stale_edit"
    default_message = _(
        "Someone else changed this record while you were editing it. "
        "Reload it to see their changes, then make yours again."
    )


class DeletionRefused(DomainError):
    """The record may not be moved to the recycle bin (for example, it is locked)."""

    status_code = 409
    code = "deletion_refused"
    default_message = _("This record cannot be deleted.")


class NotInRecycleBin(DomainError):
    status_code = 409
    code = "not_deleted"
    default_message = _("This record is not in the recycle bin.")
