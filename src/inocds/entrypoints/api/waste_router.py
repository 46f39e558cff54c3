"""The waste ledger under /api/v1/waste: a month by reason and by course, as JSON or CSV."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from inocds.entrypoints.api.clock import Now
from inocds.entrypoints.api.deps import SessionDep, require_roles
from inocds.services import waste

__all__ = ["waste_router"]

Reader = Annotated[Any, Depends(require_roles(*waste.REPORT_ROLES))]
"""The logged-in user: any role may read the ledger."""
Month = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM (UTC)")]


def _month(month: str | None, now: Any) -> str:
    return month or now.strftime("%Y-%m")


def waste_router() -> APIRouter:
    """The ledger's reads (writes happen where the waste does: vials, bags, cancellations)."""
    router = APIRouter(tags=["pharmacy"])

    @router.get("/api/v1/waste", summary="The waste ledger of a month")
    def month_json(session: SessionDep, user: Reader, now: Now, month: Month = None) -> Any:
        return waste.report_json(waste.monthly_report(session, user, _month(month, now)))

    @router.get(
        "/api/v1/waste.csv",
        summary="The waste ledger of a month, as CSV",
        response_class=Response,
        responses={
            200: {
                "description": "One row per wasted amount, with its reason and cost",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        },
    )
    def month_csv(session: SessionDep, user: Reader, now: Now, month: Month = None) -> Response:
        report = waste.monthly_report(session, user, _month(month, now))
        return Response(
            waste.report_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="waste-{report.month}.csv"'},
        )

    return router
