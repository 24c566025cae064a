"""The HTML a brand pastes into its own page to use a form: a plain `<form>` posting to
the form's public URL with the fields its mapping reads (no script needed)."""

from __future__ import annotations

from html import escape

from dispatch.webforms.mapping import effective_mapping
from dispatch.webforms.models import FormToken
from dispatch.webforms.schemas import (
    BODY,
    CUSTOM_PREFIX,
    CUSTOMER_EMAIL,
    CUSTOMER_NAME,
    PRIORITY,
    TITLE,
)

# Each standard property: its label and input, in the order a form shows them.
_INPUTS = (
    (CUSTOMER_NAME, "Your name", '<input type="text" name="{name}" id="{id}" autocomplete="name">'),
    (
        CUSTOMER_EMAIL,
        "Email",
        '<input type="email" name="{name}" id="{id}" autocomplete="email" required>',
    ),
    (TITLE, "Subject", '<input type="text" name="{name}" id="{id}" maxlength="500">'),
    (BODY, "Message", '<textarea name="{name}" id="{id}" rows="6" required></textarea>'),
)
_PRIORITY = (
    '<select name="{name}" id="{id}">'
    '<option value="normal">Normal</option><option value="low">Low</option>'
    '<option value="high">High</option><option value="urgent">Urgent</option></select>'
)


def _field_of(form: FormToken, target: str) -> str | None:
    """The form field `target` is read from: the form's own name for it, else the
    default's first (`message` rather than `body`)."""
    own = [field for field, to in (form.field_mapping or {}).items() if to == target]
    if own:
        return own[0]
    named = [field for field, to in effective_mapping(form.field_mapping).items() if to == target]
    return named[0] if named else None


def public_url(base_url: str, form: FormToken) -> str:
    return f"{base_url.rstrip('/')}/forms/{form.token}"


def html_snippet(form: FormToken, action: str, *, attachments: bool = False) -> str:
    """A ready `<form>`: name, email, subject and message (by the names the mapping
    reads), the form's custom-field fields, the hidden honeypot and, when asked, a file
    input (then `multipart/form-data`)."""
    enctype = ' enctype="multipart/form-data"' if attachments else ""
    lines = [f'<form method="post" action="{escape(action)}"{enctype}>']

    def row(label: str, template: str, name: str, index: int) -> None:
        element_id = f"dispatch-field-{index}"
        control = template.format(name=escape(name), id=element_id)
        lines.append(f'  <p><label for="{element_id}">{escape(label)}</label><br>')
        lines.append(f"    {control}</p>")

    index = 0
    for target, label, template in _INPUTS:
        name = _field_of(form, target)
        if name is not None:
            index += 1
            row(label, template, name, index)
    # Offered only when the form maps a field to it: most forms let the team decide.
    priority = _field_of(form, PRIORITY)
    if priority is not None and PRIORITY in (form.field_mapping or {}).values():
        index += 1
        row("Priority", _PRIORITY, priority, index)
    for field, target in (form.field_mapping or {}).items():
        if target.startswith(CUSTOM_PREFIX):
            index += 1
            template = '<input type="text" name="{name}" id="{id}">'
            row(target.removeprefix(CUSTOM_PREFIX), template, field, index)
    if attachments:
        index += 1
        files = '<input type="file" name="{name}" id="{id}" multiple>'
        row("Attachments (up to 5 files)", files, "attachments", index)
    if form.honeypot_field:
        # Hidden from people (and screen readers); bots that fill every field give
        # themselves away.
        lines.append(
            '  <div style="position:absolute;left:-10000px" aria-hidden="true">'
            f'<input type="text" name="{escape(form.honeypot_field)}" tabindex="-1" '
            'autocomplete="off"></div>'
        )
    lines.append('  <button type="submit">Send</button>')
    lines.append("</form>")
    return "\n".join(lines)
