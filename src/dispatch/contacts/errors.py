from __future__ import annotations

from dispatch.core.errors import Conflict, NotFound, ValidationFailed


class ContactNotFound(NotFound):
    def __init__(self, contact_id: str) -> None:
        super().__init__("contact", contact_id)


class CompanyNotFound(NotFound):
    def __init__(self, company_id: str) -> None:
        super().__init__("company", company_id)


class ContactExists(Conflict):
    code = "contact_exists"

    def __init__(self, email: str) -> None:
        super().__init__(f"This brand already has a contact with email {email!r}")


class CompanyDomainTaken(Conflict):
    code = "company_domain_taken"

    def __init__(self, domain: str) -> None:
        super().__init__(f"Another company of this brand already has the domain {domain!r}")


class FreeMailDomain(ValidationFailed):
    def __init__(self, domain: str) -> None:
        super().__init__(
            "domain",
            f"{domain!r} is a free email provider: it cannot identify a company "
            "(every consumer address on it would be linked)",
            code="free_mail_domain",
        )


class UnknownCompany(ValidationFailed):
    def __init__(self, company_id: str, field: str = "companyId") -> None:
        super().__init__(field, f"No company {company_id!r} in this brand", code="unknown_company")
