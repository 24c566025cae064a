"""Pure rules of contacts and companies: email domains, company domains, map merging."""

from __future__ import annotations

import re

# Providers whose addresses belong to individuals, not organisations: never a company
# domain, or every consumer writing from it would be linked to that company.
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "ymail.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.net",
        "gmx.de",
        "yandex.com",
        "yandex.ru",
        "mail.com",
        "zoho.com",
        "fastmail.com",
        "hey.com",
        "qq.com",
        "163.com",
    }
)

DOMAIN_MAX = 253
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_TLD = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")


def normalize_domain(value: str) -> str:
    """A company domain as stored: a lowercase ASCII hostname with at least two labels.

    Raises ValueError with a message meant for the client."""
    domain = value.strip().lower()
    if not domain:
        raise ValueError("domain must not be empty")
    if len(domain) > DOMAIN_MAX:
        raise ValueError(f"domain must be at most {DOMAIN_MAX} characters")
    labels = domain.split(".")
    if (
        len(labels) < 2
        or not all(_LABEL.match(label) for label in labels)
        or not _TLD.match(labels[-1])
    ):
        raise ValueError(
            "domain must be a hostname such as example.com (letters, digits and hyphens; "
            "no scheme, path, @ or port; internationalised names in their xn-- form)"
        )
    return domain


def is_free_mail(domain: str) -> bool:
    return domain.lower() in FREE_MAIL_DOMAINS


def email_domain(email: str) -> str:
    """The domain part of an address, lowercase ("" if there is none)."""
    return email.rpartition("@")[2].lower()
