"""Domain errors raised by journey services; the API maps each to one HTTP status."""


class DomainError(Exception):
    code = "invalid"
    status_code = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class UnknownCustomer(DomainError):
    code = "unknown_customer"
    status_code = 422

    def __init__(self, external_id: str) -> None:
        super().__init__(f"Unknown customer {external_id!r}: create it with POST customers/ first.")
        self.external_id = external_id


class UnknownReference(DomainError):
    code = "unknown_reference"
    status_code = 422
