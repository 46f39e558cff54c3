"""The clock, as a dependency: tests override it (`app.dependency_overrides`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Depends

__all__ = ["Now", "Today", "now", "today"]


def now() -> dt.datetime:
    """Now, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


def today() -> dt.date:
    """Today's date on the server."""
    return dt.date.today()


Now = Annotated[dt.datetime, Depends(now)]
Today = Annotated[dt.date, Depends(today)]
