"""Headers read from their raw values (`dispatch.email.parsing`): what the modern header
classes gave, for the cases mail really sends."""

from __future__ import annotations

from dispatch.email import parsing
from dispatch.email.parsing import Address


def _mail(*headers: bytes, body: bytes = b"Hello\n") -> bytes:
    return b"\r\n".join([*headers, b"Content-Type: text/plain; charset=utf-8", b"", body])


def test_raw_utf8_headers_are_read_as_utf8() -> None:
    parsed = parsing.parse(
        _mail(
            "From: Jörg Müller <jorg@example.com>".encode(),
            "Subject: Bestellung für Köln".encode(),
        )
    )

    assert parsed.subject == "Bestellung für Köln"
    assert parsed.from_ == Address("Jörg Müller", "jorg@example.com")


def test_raw_8bit_headers_that_are_not_utf8_are_read_as_windows_1252() -> None:
    parsed = parsing.parse(_mail("Subject: Café crème €".encode("cp1252")))

    assert parsed.subject == "Café crème €"


def test_an_encoded_comma_in_a_display_name_does_not_split_the_address() -> None:
    parsed = parsing.parse(
        _mail(
            b"From: =?utf-8?q?Doe=2C_John?= <john@example.com>",
            b"To: =?utf-8?q?Support=2C_EU?= <eu@help.example>, ann@help.example",
        )
    )

    assert parsed.from_ == Address("Doe, John", "john@example.com")
    assert parsed.to == [
        Address("Support, EU", "eu@help.example"),
        Address(None, "ann@help.example"),
    ]


def test_folded_headers_and_encoded_words_are_joined() -> None:
    parsed = parsing.parse(
        _mail(
            b"From: =?iso-8859-1?q?Andr=E9?= <andre@example.com>",
            b"Subject: =?utf-8?b?w4l0w6k=?=\r\n =?utf-8?q?_=C3=A0_Paris?= and\r\n  more",
            b"X-Mailer: Folded\r\n\tover lines",
        )
    )

    assert parsed.subject == "Été à Paris and more"
    assert parsed.from_ == Address("André", "andre@example.com")
    assert parsed.header("X-Mailer") == "Folded over lines"
    assert parsed.headers("x-mailer") == ["Folded over lines"]


def test_control_characters_never_reach_a_header_value() -> None:
    parsed = parsing.parse(_mail(b"Subject: bell\x07 and nul\x00 here"))

    assert parsed.subject == "bell and nul here"
