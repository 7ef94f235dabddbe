"""The public board of 1022 reports (anyone, no login): published reports, filters and the per-unit table.

Only what the unit published (feedback.board_selectors); the reporter's own
text, name, phone, email, address and the staff's names never reach these pages.
"""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from feedback import board_selectors
from feedback.forms import category_name

PAGE_SIZE = 20


def board_filters(request) -> dict[str, str]:
    """The board's GET filters (unit = place code, category = category code), trimmed; unknown values filter nothing out."""
    return {
        "unit": (request.GET.get("unit") or "").strip()[:20],
        "category": (request.GET.get("category") or "").strip()[:40],
    }


@require_GET
def board(request):
    filters = board_filters(request)
    reports = board_selectors.board_reports(unit_code=filters["unit"], category_code=filters["category"])
    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("page"))
    for report in page.object_list:
        report.category_label = category_name(report.category)
    query = urlencode({key: value for key, value in filters.items() if value})
    categories = list(board_selectors.board_filter_categories())
    for category in categories:
        category.label = category_name(category)
    categories.sort(key=lambda category: category.label)
    return render(
        request,
        "feedback/board/board.html",
        {
            "page": page,
            "filters": filters,
            "filtered": any(filters.values()),
            "query": query,
            "units": board_selectors.board_filter_units(),
            "categories": categories,
            "scores": board_selectors.board_unit_scores(category_code=filters["category"]),
            "atom_url": reverse("report-board-atom") + (f"?{query}" if query else ""),
            "rss_url": reverse("report-board-rss") + (f"?{query}" if query else ""),
        },
    )


@require_GET
def board_detail(request, code: str):
    report = board_selectors.board_report(code)
    if report is None:
        raise Http404
    report.category_label = category_name(report.category)
    return render(request, "feedback/board/detail.html", {"report": report})
