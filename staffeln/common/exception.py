"""Staffeln's domain exceptions, with messages an operator can act on."""


class StaffelnException(Exception):
    """Base of Staffeln's own errors."""


class ConfigurationError(StaffelnException):
    """A setting is missing or invalid."""


class CloudError(StaffelnException):
    """An OpenStack API call failed.

    ``status`` is the HTTP status (None for a connection failure or a
    timeout) and ``retriable`` says whether trying again can help.
    """

    def __init__(self, message: str, status: int | None = None,
                 retriable: bool = False):
        super().__init__(message)
        self.status = status
        self.retriable = retriable

    @property
    def ambiguous(self) -> bool:
        """Whether the request may have taken effect despite the error."""
        return self.status is None or self.status >= 500


class NotFound(CloudError):
    def __init__(self, message: str):
        super().__init__(message, status=404)
