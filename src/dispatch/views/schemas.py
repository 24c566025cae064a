from __future__ import annotations

from pydantic import Field

from dispatch.core.schemas import Command


class NewView(Command):
    name: str = Field(min_length=1, max_length=100)
    # The inbox URL's query string, without the page's cursor.
    query: str = Field(max_length=2000)
    shared: bool = False
