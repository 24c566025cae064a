"""Rendering: comment bodies as safe HTML and readable text, brand placeholders, templates."""

from __future__ import annotations

import jinja2.loaders
import pytest

from dispatch.email import rendering
from dispatch.email.rendering import (
    attachment_ids,
    body_html,
    body_text,
    fill_placeholders,
    one_line,
    render,
)

URLS = {"att_1": "https://files.example.com/a?sig=1&x=2", "att_gone": None}


def test_raw_html_in_a_comment_is_shown_as_text_never_run() -> None:
    html = body_html('<script>alert(1)</script> <img src=x onerror="alert(2)"> & more', {})
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&amp; more" in html


def test_line_breaks_are_kept_and_bare_urls_become_links() -> None:
    html = body_html("first line\nsecond line https://example.com/x?a=1&b=2", {})
    assert "first line<br>\nsecond line" in html
    assert '<a href="https://example.com/x?a=1&amp;b=2" rel="noopener noreferrer">' in html


def test_markdown_formatting_renders() -> None:
    html = body_html("**bold** and *it*\n\n- one\n- two", {})
    assert "<strong>bold</strong>" in html
    assert "<em>it</em>" in html
    assert "<li>one</li>" in html


def test_attachment_references_become_signed_links_and_images() -> None:
    html = body_html("![shot.png](attachment:att_1) [report.pdf](attachment:att_1)", URLS)
    assert '<img src="https://files.example.com/a?sig=1&amp;x=2" alt="shot.png">' in html
    assert '<a href="https://files.example.com/a?sig=1&amp;x=2" rel="noopener noreferrer">' in html
    assert "report.pdf</a>" in html


def test_unknown_attachments_and_unsafe_links_keep_only_their_text() -> None:
    html = body_html(
        "[gone](attachment:att_gone) ![pic](attachment:att_other) "
        "[click](javascript:alert(1)) [rel](/relative) ![x](data:image/png;base64,AA==)",
        URLS,
    )
    assert "<a" not in html
    assert "<img" not in html
    assert "href" not in html
    for text in ("gone", "pic", "rel", "click"):
        assert text in html


def test_mentions_read_as_names() -> None:
    assert "@Dana Agent" in body_html("Hi @[Dana Agent](mem_123)!", {})
    assert body_text("Hi @[Dana Agent](mem_123)!", {}) == "Hi @Dana Agent!"


def test_the_text_part_spells_out_attachment_links() -> None:
    text = body_text("See ![shot.png](attachment:att_1) and [old](attachment:att_gone)", URLS)
    assert text == "See shot.png (https://files.example.com/a?sig=1&x=2) and old"


def test_attachment_ids_are_collected_once_in_order() -> None:
    bodies = ("[a](attachment:att_2) ![b](attachment:att_1)", "[c](attachment:att_2)")
    assert attachment_ids(*bodies) == ["att_2", "att_1"]


def test_placeholders_are_filled_and_unknown_ones_left_as_written() -> None:
    values = {"ticketNumber": "AS-1001", "brandName": "Acme"}
    filled = fill_placeholders("[{{ticketNumber}}] {{ brandName }} {{unknown}} {{ x.y }}", values)
    assert filled == "[AS-1001] Acme {{unknown}} {{ x.y }}"


def test_placeholders_are_not_templates() -> None:
    # Brand-written text is never evaluated: no expressions, no attribute access.
    assert fill_placeholders("{{ 7*7 }} {% if 1 %}x{% endif %}", {}) == (
        "{{ 7*7 }} {% if 1 %}x{% endif %}"
    )


def test_header_values_are_one_bounded_line() -> None:
    assert one_line("Broken\r\nsubject\tline") == "Broken subject line"
    assert len(one_line("x" * 500, 100)) == 100


def test_templates_escape_what_they_are_given_in_html_but_not_in_text() -> None:
    rendered = render(
        "watcher_status",
        brand_name="A&B <Shop>",
        public_id="AB-1",
        title="<b>Title</b>",
        subject="s",
        from_name="Open",
        to_name="Done",
        trigger_label=None,
    )
    assert "A&amp;B &lt;Shop&gt;" in rendered.html
    assert "&lt;b&gt;Title&lt;/b&gt;" in rendered.html
    assert '"<b>Title</b>"' in rendered.text
    assert rendered.text.endswith("in A&B <Shop>.\n")
    assert "-- \n" in rendered.text


def test_a_template_missing_a_value_fails_loudly() -> None:
    with pytest.raises(Exception, match="undefined"):
        render("watcher_status", brand_name="x")


def test_a_template_is_read_once_and_not_checked_for_changes_on_every_email(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The templates ship with the package; each email rendered looked at their files."""
    environment = rendering.environment()
    first = environment.get_template("comment.html")

    def looked_at(_path: str) -> bool:
        raise AssertionError("a template file was looked at again")

    monkeypatch.setattr(jinja2.loaders.os.path, "isfile", looked_at)
    assert environment.get_template("comment.html") is first
