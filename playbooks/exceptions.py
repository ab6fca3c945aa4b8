"""Domain errors raised by playbook services."""

from journeys.exceptions import DomainError


class RunNotAllowed(DomainError):
    code = "transition_not_allowed"
    status_code = 409


class UnknownStep(DomainError):
    code = "unknown_step"
    status_code = 404


class PlaybookInvalid(DomainError):
    code = "invalid_playbook"
    status_code = 400
