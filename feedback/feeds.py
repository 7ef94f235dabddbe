"""Atom and RSS feeds of the public board (django.contrib.syndication), with the board's filters (GET unit, category).

Items are published reports only: title = code and category, description =
the published text and answer; nothing personal.
"""

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from feedback import board_selectors
from feedback.forms import category_name
from feedback.views.board import board_filters

FEED_SIZE = 50


class BoardRssFeed(Feed):
    def get_object(self, request, *args, **kwargs):
        return board_filters(request)

    def title(self, filters):
        return _("1022 reports board of Ho Chi Minh City")

    def link(self, filters):
        return reverse("report-board")

    def description(self, filters):
        return _("Reports answered and published by the city's units.")

    def items(self, filters):
        return board_selectors.board_reports(unit_code=filters["unit"], category_code=filters["category"])[:FEED_SIZE]

    def item_title(self, report):
        return f"{report.code} · {category_name(report.category)}"

    def item_description(self, report):
        return f"{report.public_text}\n\n{_('Answer of the unit')}: {report.public_answer}"

    def item_link(self, report):
        return reverse("report-board-detail", kwargs={"code": report.code})

    def item_pubdate(self, report):
        return report.published_at

    def item_updateddate(self, report):
        return report.published_at

    def item_categories(self, report):
        return [category_name(report.category), report.unit.name]


class BoardAtomFeed(BoardRssFeed):
    feed_type = Atom1Feed

    def subtitle(self, filters):
        return self.description(filters)
