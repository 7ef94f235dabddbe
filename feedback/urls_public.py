"""The public board of 1022 reports and its feeds (at the site root; anyone, no login)."""

from django.urls import path

from feedback.feeds import BoardAtomFeed, BoardRssFeed
from feedback.views import board

urlpatterns = [
    path("feedback/board/", board.board, name="report-board"),
    path("feedback/board/atom.xml", BoardAtomFeed(), name="report-board-atom"),
    path("feedback/board/rss.xml", BoardRssFeed(), name="report-board-rss"),
    path("feedback/board/<str:code>/", board.board_detail, name="report-board-detail"),
]
