"""How POST /forms/:token answers: JSON when asked, else a 303 to the form's success or
error URL, else the brand's small thank-you or error page; CORS for the listed origins
only (preflight too), never a wildcard."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy.orm import Session

from tests.conftest import Api
from tests.webforms.helpers import (
    JSON_ACCEPT,
    Json,
    brand_tickets,
    forms_path,
    make_form,
    submit_url,
)

FILLED = {"email": "ann@example.com", "subject": "Lamp broken", "message": "It flickers."}
ORIGIN = "https://shop.example"


def post_html(api: Api, form: Json, data: Json, **headers: str) -> Any:
    return api.client.post(
        submit_url(form),
        data=data,
        headers={"Accept": "text/html", **headers},
        follow_redirects=False,
    )


# --- redirects and pages --------------------------------------------------------------------


def test_a_success_redirects_to_the_success_url(api: Api, brand: Json, session: Session) -> None:
    form = make_form(api, brand, successUrl="https://shop.example/thanks")
    answer = post_html(api, form, FILLED)
    assert answer.status_code == 303
    assert answer.headers["location"] == "https://shop.example/thanks"
    assert len(brand_tickets(session, brand)) == 1


def test_a_refusal_redirects_to_the_error_url_with_its_code(
    api: Api, brand: Json, session: Session
) -> None:
    form = make_form(api, brand, errorUrl="https://shop.example/contact?tab=form")
    answer = post_html(api, form, {"email": "nonsense"})
    assert answer.status_code == 303
    location = urlsplit(answer.headers["location"])
    assert (location.netloc, location.path) == ("shop.example", "/contact")
    assert parse_qs(location.query) == {"tab": ["form"], "error": ["invalid_email"]}
    assert brand_tickets(session, brand) == []


def test_without_urls_a_thank_you_page_shows_the_message_and_the_reference(
    api: Api, brand: Json, session: Session
) -> None:
    form = make_form(api, brand, thankYouMessage="Thanks! We answer within a day.")
    answer = post_html(api, form, FILLED)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    [ticket] = brand_tickets(session, brand)
    assert "Thanks! We answer within a day." in answer.text
    assert f"ACME-{ticket.ticket_number}" in answer.text or str(ticket.ticket_number) in answer.text
    assert "Acme Store" in answer.text


def test_the_thank_you_page_has_a_default_message(api: Api, brand: Json, form: Json) -> None:
    answer = post_html(api, form, FILLED)
    assert "We received your message" in answer.text


def test_without_an_error_url_a_refusal_shows_an_error_page(
    api: Api, brand: Json, form: Json
) -> None:
    answer = post_html(api, form, {"name": "Only a name"})
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("text/html")
    assert "Your message was not sent" in answer.text
    assert "at least an email address, a subject or a message" in answer.text


def test_an_unknown_form_shows_a_not_found_page_even_with_an_error_url(
    api: Api, brand: Json
) -> None:
    form = make_form(api, brand, errorUrl="https://shop.example/oops")
    api.ok("patch", forms_path(brand, f"/{form['id']}"), json={"enabled": False})
    answer = post_html(api, form, FILLED)
    assert answer.status_code == 404
    assert "This form is not available" in answer.text


def test_the_honeypot_answers_like_a_success(api: Api, brand: Json, session: Session) -> None:
    form = make_form(api, brand, honeypotField="website", successUrl="https://shop.example/ok")
    answer = post_html(api, form, {**FILLED, "website": "spam"})
    assert (answer.status_code, answer.headers["location"]) == (303, "https://shop.example/ok")
    assert brand_tickets(session, brand) == []


def test_a_json_body_gets_a_json_answer_without_asking(api: Api, brand: Json) -> None:
    form = make_form(api, brand, successUrl="https://shop.example/thanks")
    answer = api.client.post(
        submit_url(form), json=FILLED, headers={"Accept": "*/*"}, follow_redirects=False
    )
    assert answer.status_code == 200
    assert answer.json()["success"] is True


# --- CORS -----------------------------------------------------------------------------------


def test_a_listed_origin_gets_cors_headers(api: Api, brand: Json) -> None:
    form = make_form(api, brand, allowedOrigins=[ORIGIN])
    answer = api.client.post(
        submit_url(form), data=FILLED, headers={**JSON_ACCEPT, "Origin": ORIGIN}
    )
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == ORIGIN
    assert "Origin" in answer.headers["vary"]


def test_a_listed_origin_can_read_a_refusal_too(api: Api, brand: Json) -> None:
    form = make_form(api, brand, allowedOrigins=[ORIGIN])
    answer = api.client.post(
        submit_url(form), data={"name": "x"}, headers={**JSON_ACCEPT, "Origin": ORIGIN}
    )
    assert answer.status_code == 422
    assert answer.headers["access-control-allow-origin"] == ORIGIN


def test_an_unlisted_origin_is_refused(api: Api, brand: Json, session: Session) -> None:
    form = make_form(api, brand, allowedOrigins=[ORIGIN])
    answer = api.client.post(
        submit_url(form), data=FILLED, headers={**JSON_ACCEPT, "Origin": "https://evil.example"}
    )
    assert answer.status_code == 403
    assert answer.json()["code"] == "origin_not_allowed"
    assert "access-control-allow-origin" not in answer.headers
    assert "Origin" in answer.headers["vary"]
    assert brand_tickets(session, brand) == []


def test_a_request_without_origin_is_not_a_browsers_and_is_taken(
    api: Api, brand: Json, session: Session
) -> None:
    form = make_form(api, brand, allowedOrigins=[ORIGIN])
    assert api.client.post(submit_url(form), data=FILLED, headers=JSON_ACCEPT).status_code == 200
    assert len(brand_tickets(session, brand)) == 1


def test_a_form_without_origins_takes_any_page_but_answers_no_script(
    api: Api, brand: Json, form: Json
) -> None:
    answer = api.client.post(
        submit_url(form), data=FILLED, headers={**JSON_ACCEPT, "Origin": "https://any.example"}
    )
    assert answer.status_code == 200
    assert "access-control-allow-origin" not in answer.headers


def test_a_preflight_from_a_listed_origin_is_answered(api: Api, brand: Json) -> None:
    form = make_form(api, brand, allowedOrigins=[ORIGIN, "http://localhost:3000"])
    answer = api.client.options(
        submit_url(form),
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == ORIGIN
    assert answer.headers["access-control-allow-methods"] == "POST"
    assert "Content-Type" in answer.headers["access-control-allow-headers"]
    assert answer.headers["vary"] == "Origin"


@pytest.mark.parametrize("origin", ["https://evil.example", "null", None])
def test_a_preflight_from_anywhere_else_is_refused(
    api: Api, brand: Json, origin: str | None
) -> None:
    form = make_form(api, brand, allowedOrigins=[ORIGIN])
    headers = {"Access-Control-Request-Method": "POST", **({"Origin": origin} if origin else {})}
    answer = api.client.options(submit_url(form), headers=headers)
    assert answer.status_code == 403
    assert "access-control-allow-origin" not in answer.headers


def test_a_preflight_for_an_unknown_form_is_not_found(api: Api) -> None:
    answer = api.client.options("/forms/ft_nothing", headers={"Origin": ORIGIN})
    assert answer.status_code == 404
    assert "access-control-allow-origin" not in answer.headers
