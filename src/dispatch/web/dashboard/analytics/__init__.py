"""Analytics: a brand's reports (`/brands/{id}/analytics`) or those of every brand the
member reaches (`/analytics`), drawn as server-rendered SVG charts.

The controls live in the URL (bookmarkable); htmx swaps only the report area. Each chart
has its numbers one click away (a real table), a text summary and a CSV of exactly those
numbers (`…/analytics/<chart>.csv` with the same query). The reports come from the
analytics services, called with the member's actor like every screen's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from dispatch.accounts import service as accounts
from dispatch.analytics import service as analytics
from dispatch.brands.models import Brand
from dispatch.categories import loading as categories
from dispatch.core.errors import DomainError
from dispatch.web.dashboard.analytics import controls as form
from dispatch.web.dashboard.analytics import svg
from dispatch.web.dashboard.analytics.charts import CHARTS, Chart, Reports, cell
from dispatch.web.dashboard.analytics.controls import Controls
from dispatch.web.forms import field_errors
from dispatch.web.runner import Screen, run
from dispatch.web.templating import page

router = APIRouter(include_in_schema=False)

ALL = "/analytics"
BRAND = "/brands/{brand_id}/analytics"
REPORT_TARGET = "analytics-report"


def _shell(screen: Screen, brand_id: str | None) -> tuple[dict[str, Any], list[Brand]]:
    """The page's shell and the brands its reports cover."""
    brand = screen.brand(brand_id) if brand_id is not None else None
    covered = [brand] if brand else analytics.account_brands(screen.session, screen.actor, None)
    shell = {
        "member": screen.member,
        "brands": screen.brands(),
        "brand": brand,
        "nav": "analytics",
        "base": BRAND.format(brand_id=brand.id) if brand else ALL,
        # Deactivated members too: their tickets stay in the history.
        "agents": accounts.list_members(screen.session, screen.actor),
        # Across brands, a category names its brand.
        "categories": [
            (c.id, c.name if brand else f"{b.name} · {c.name}")
            for b in covered
            for c in categories.list_categories(screen.session, b.id)
        ],
        "presets": form.PRESETS,
        "priorities": form.PRIORITIES,
        "channels": form.CHANNELS,
    }
    return shell, covered


def _build(
    screen: Screen, brand_id: str | None, controls: Controls, names: Sequence[str]
) -> dict[str, Any]:
    """The page's context with the charts `names`; a wrong control gives the form's
    field errors and no charts."""
    shell, covered = _shell(screen, brand_id)
    context = {
        **shell,
        "controls": controls,
        "errors": {},
        "charts": [],
        "cell": cell,
        "box": svg.BOX,
    }
    try:
        reports = Reports(screen.session, screen.actor, covered, controls.report_query())
        context["charts"] = [CHARTS[name](reports) for name in names]
    except DomainError as refused:
        errors = field_errors(refused)
        if errors is None:
            raise
        context["errors"] = errors
    return context


async def _page(request: Request, brand_id: str | None) -> Response:
    controls = Controls.parse(request.query_params)
    context = await run(request, lambda s: _build(s, brand_id, controls, list(CHARTS)))
    partial = request.headers.get("hx-target") == REPORT_TARGET
    template = "analytics/_report.html" if partial else "analytics/page.html"
    status = 422 if context["errors"] else 200
    return page(request, template, status_code=status, **context)


async def _csv(request: Request, brand_id: str | None, name: str) -> Response:
    controls = Controls.parse(request.query_params)
    context = await run(request, lambda s: _build(s, brand_id, controls, [name]))
    if context["errors"]:
        return page(request, "analytics/page.html", status_code=422, **context)
    chart: Chart = context["charts"][0]
    brand = context["brand"]
    filename = (
        f"{brand.slug if brand else 'all-brands'}-{name}-{chart.period.from_}-{chart.period.to}.csv"
    )
    return Response(
        chart.table.csv(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@router.get(ALL)
async def all_brands(request: Request) -> Response:
    return await _page(request, None)


@router.get(BRAND)
async def one_brand(request: Request, brand_id: str) -> Response:
    return await _page(request, brand_id)


def _csv_routes(name: str) -> None:
    async def all_brands_csv(request: Request) -> Response:
        return await _csv(request, None, name)

    async def one_brand_csv(request: Request, brand_id: str) -> Response:
        return await _csv(request, brand_id, name)

    router.add_api_route(f"{ALL}/{name}.csv", all_brands_csv, methods=["GET"])
    router.add_api_route(f"{BRAND}/{name}.csv", one_brand_csv, methods=["GET"])


for _name in CHARTS:
    _csv_routes(_name)
