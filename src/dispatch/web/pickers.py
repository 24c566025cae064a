"""What the dashboard's pickers offer, shared by the screens that show them."""

from __future__ import annotations

from dispatch.brands.models import Brand
from dispatch.contacts import companies
from dispatch.contacts.schemas import CompanyOut
from dispatch.web.runner import Screen

# Companies offered (by name); a brand with more filters from its companies' pages (each
# links to its contacts and tickets).
COMPANY_CHOICES = 200


def company_choices(screen: Screen, brand: Brand, current: str | None) -> list[CompanyOut]:
    """The brand's companies by name, with the current one always among them."""
    found, _ = companies.list_companies(
        screen.session, brand, search=None, sort="name", order="asc", cursor=None,
        limit=COMPANY_CHOICES,
    )  # fmt: skip
    if current and current != "null" and all(c.id != current for c in found):
        found.append(companies.read_company(screen.session, brand, current))
    return found
