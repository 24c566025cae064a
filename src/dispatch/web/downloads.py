"""Signed download links for the files a page shows (the dashboard's ticket page, the
portal's attachments), made as the API's attachment routes make them."""

from __future__ import annotations

from fastapi import Request

from dispatch.attachments import config as attachment_config
from dispatch.attachments.api import links_for
from dispatch.attachments.links import Links


def links(request: Request) -> Links:
    return links_for(request, attachment_config.for_app(request.app))
