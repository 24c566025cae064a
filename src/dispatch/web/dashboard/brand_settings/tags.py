"""Settings → Brand → Tags: the brand's tags by name with their colors and how many
tickets carry each; owners and admins create tags and, on a tag's page, rename or recolor
it, merge it into another (its tickets get that tag) or delete it (taken off its
tickets)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from dispatch.tags import service as tags
from dispatch.tags.schemas import NewTag, TagChanges
from dispatch.web.dashboard.brand_settings.screen import (
    done,
    form_errors,
    managing,
    notice_of,
    shell,
    url_of,
)
from dispatch.web.runner import Screen, WebError, command, run
from dispatch.web.templating import page

router = APIRouter(include_in_schema=False)

NAV = "tags"
BASE = "/brands/{brand_id}/settings/tags"
_FIELD_OF_CODE = {"tag_exists": "name"}


def _listing(screen: Screen, brand_id: str) -> dict[str, Any]:
    context = shell(screen, brand_id, NAV)
    return {**context, "tags": tags.stats(screen.session, context["brand"])}


def _one(screen: Screen, brand_id: str, tag_id: str) -> dict[str, Any]:
    """A tag's page: the tag with its count, and the others it may be merged into."""
    context = managing(screen, brand_id, NAV, "change tags")
    tag = tags.get_tag(screen.session, context["brand"], tag_id)
    listed = tags.stats(screen.session, context["brand"])
    this = next(s for s in listed if s.id == tag.id)
    others = [s for s in listed if s.id != tag.id]
    values = {"name": this.name, "color": this.color}
    return {**context, "tag": this, "others": others, "values": values}


@router.get(BASE)
async def tags_page(request: Request, brand_id: str) -> Response:
    context = await run(request, lambda screen: _listing(screen, brand_id))
    return page(request, "settings/tags.html", notice=notice_of(request), **context)


@router.post(BASE)
async def create_tag(
    request: Request,
    brand_id: str,
    name: Annotated[str, Form()] = "",
    color: Annotated[str, Form()] = "",
) -> Response:
    def work(screen: Screen) -> str:
        brand = screen.brand(brand_id)
        data = command(NewTag, name=name, color=color or None)
        return tags.create_tag(screen.session, screen.actor, brand, data).name

    try:
        created = await run(request, work, write=True)
    except WebError as refused:
        errors = form_errors(refused, _FIELD_OF_CODE)
        context = await run(request, lambda screen: _listing(screen, brand_id))
        context.update(values={"name": name, "color": color}, errors=errors, creating=True)
        return page(request, "settings/tags.html", 422, **context)
    return done(url_of(brand_id, NAV), "created", created)


@router.get(BASE + "/{tag_id}")
async def tag_page(request: Request, brand_id: str, tag_id: str) -> Response:
    context = await run(request, lambda screen: _one(screen, brand_id, tag_id))
    return page(request, "settings/tag.html", notice=notice_of(request), **context)


async def _refused(
    request: Request, refused: WebError, brand_id: str, tag_id: str, **shown: Any
) -> Response:
    """The tag's page again with the refused form's errors (422)."""
    errors = form_errors(refused, _FIELD_OF_CODE)
    # Merging a tag into itself is refused as about its sources: here, the target picked.
    if "source_tag_ids" in errors:
        errors["target_tag_id"] = errors.pop("source_tag_ids")
    context = await run(request, lambda screen: _one(screen, brand_id, tag_id))
    context.update(errors=errors, **shown)
    return page(request, "settings/tag.html", 422, **context)


@router.post(BASE + "/{tag_id}")
async def edit_tag(
    request: Request,
    brand_id: str,
    tag_id: str,
    name: Annotated[str, Form()] = "",
    color: Annotated[str, Form()] = "",
) -> Response:
    def work(screen: Screen) -> str:
        brand = screen.brand(brand_id)
        data = command(TagChanges, name=name, color=color or None)
        return tags.update_tag(screen.session, screen.actor, brand, tag_id, data).name

    try:
        saved = await run(request, work, write=True)
    except WebError as refused:
        values = {"name": name, "color": color}
        return await _refused(request, refused, brand_id, tag_id, values=values)
    return done(url_of(brand_id, NAV), "saved", saved)


@router.post(BASE + "/{tag_id}/merge")
async def merge_tag(
    request: Request, brand_id: str, tag_id: str, target_tag_id: Annotated[str, Form()] = ""
) -> Response:
    """Merge this tag into the picked one: its tickets get the target, it goes."""

    def work(screen: Screen) -> str:
        brand = screen.brand(brand_id)
        tags.get_tag(screen.session, brand, tag_id)  # this brand's tag, or a 404
        target = tags.merge_tags(
            screen.session,
            screen.actor,
            brand,
            target_tag_id,
            [tag_id],
            target_field="targetTagId",
        )
        return target.name

    try:
        target = await run(request, work, write=True)
    except WebError as refused:
        return await _refused(request, refused, brand_id, tag_id, target_id=target_tag_id)
    return done(url_of(brand_id, NAV), "merged", target)


@router.post(BASE + "/{tag_id}/delete")
async def delete_tag(request: Request, brand_id: str, tag_id: str) -> Response:
    def work(screen: Screen) -> str:
        brand = screen.brand(brand_id)
        return tags.delete_tag(screen.session, screen.actor, brand, tag_id).name

    deleted = await run(request, work, write=True)
    return done(url_of(brand_id, NAV), "deleted", deleted)
