"""Documents made from a course: lab plots (SVG), order and worksheet PDFs, the
patient's calendar (.ics) and a plain-language handout.

Adapters: pure functions from the contract's dictionaries to bytes or text; they read
the protocol and call the clinical core, never the database or the web framework.
"""

from __future__ import annotations

from inocds.adapters.reports.handout import handout_pdf, patient_handout
from inocds.adapters.reports.ics import course_calendar
from inocds.adapters.reports.order_document import order_pdf
from inocds.adapters.reports.plots import lab_plots_svg
from inocds.adapters.reports.schedule import ScheduledDose, dose_schedule
from inocds.adapters.reports.worksheet import build_worksheet
from inocds.adapters.reports.worksheet_document import worksheet_pdf

__all__ = [
    "ScheduledDose",
    "build_worksheet",
    "course_calendar",
    "dose_schedule",
    "handout_pdf",
    "lab_plots_svg",
    "order_pdf",
    "patient_handout",
    "worksheet_pdf",
]
