"""Email addresses, checked for syntax only, in one place for every schema and the mail
parser.

Self-hosted teams mail each other on internal and reserved domains every day
(`agent@corp.local`, `ops@acme.internal`, `ann@customer.test`), so nothing here asks
whether a domain is public or deliverable: an address is a valid local part, `@`, and a
host name. `email_validator` checks the local part (dot-atoms, quoting, Unicode); its
domain check refuses special-use names, so the host name is checked here instead.
"""

from __future__ import annotations

import functools
import re
from typing import Annotated

import idna
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, Field

MAX_LENGTH = 254
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# A domain with no special status, to let the library judge the local part alone.
_NEUTRAL_DOMAIN = "example.com"
_BAD_DOMAIN = "not a valid email address: the part after the @ is not a valid domain name"


class InvalidEmailAddress(ValueError):
    pass


def _host(domain: str) -> str:
    """The domain, lowercased and in its ASCII (IDNA) form, if it is a host name."""
    try:
        ascii_domain = idna.encode(domain.rstrip("."), uts46=True).decode("ascii")
    except idna.IDNAError:
        raise InvalidEmailAddress(_BAD_DOMAIN) from None
    labels = ascii_domain.split(".")
    if len(ascii_domain) > 253 or not all(_LABEL.match(label) for label in labels):
        raise InvalidEmailAddress(_BAD_DOMAIN)
    return domain.rstrip(".").lower()


# Pure, and called again and again for the same few addresses (every header of every
# message, every schema that carries one): the library's check costs ~30 us a call.
@functools.lru_cache(maxsize=8192)
def normalize_email(value: str) -> str:
    """The address with its domain lowercased; InvalidEmailAddress (a ValueError, so
    pydantic reports it as a field error) when it is not an email address at all."""
    address = value.strip()
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        raise InvalidEmailAddress("not a valid email address: it needs a name, @ and a domain")
    if len(address) > MAX_LENGTH:
        raise InvalidEmailAddress(f"not a valid email address: longer than {MAX_LENGTH} characters")
    try:
        checked = validate_email(f"{local}@{_NEUTRAL_DOMAIN}", check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidEmailAddress(f"not a valid email address: {exc}") from None
    return f"{checked.local_part}@{_host(domain)}"


def is_email(value: str) -> bool:
    try:
        normalize_email(value)
    except InvalidEmailAddress:
        return False
    return True


# The type request models use for every address field.
EmailAddress = Annotated[
    str,
    Field(max_length=MAX_LENGTH, json_schema_extra={"format": "email"}),
    AfterValidator(normalize_email),
]
