"""The one pagination partial: previous/next links keep the page's filters, and htmx swaps only the region."""

from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation


def render(page_number: int, query: str, **extra) -> str:
    request = RequestFactory().get(f"/workbench/?{query}")
    page = Paginator(list(range(120)), 50).get_page(page_number)
    with translation.override("en"):
        return render_to_string("partials/pagination.html", {"page": page, **extra}, request=request)


def test_links_keep_the_filters_and_change_only_the_page():
    html = render(2, "status=received&overdue=on&page=2")
    assert '<a href="?status=received&amp;overdue=on&amp;page=1" rel="prev">' in html
    assert '<a href="?status=received&amp;overdue=on&amp;page=3" rel="next">' in html
    assert "Page 2 of 3" in html
    first = render(1, "status=received")
    assert 'rel="prev"' not in first and '<a href="?status=received&amp;page=2" rel="next">' in first


def test_htmx_targets_only_when_asked_and_nothing_for_one_page():
    assert "hx-get" not in render(1, "")
    assert 'hx-get="?page=2" hx-target="#queue-region" hx-push-url="true"' in render(1, "", htmx_target="#queue-region")
    single = Paginator([1, 2], 50).get_page(1)
    assert (
        render_to_string("partials/pagination.html", {"page": single}, request=RequestFactory().get("/")).strip() == ""
    )
