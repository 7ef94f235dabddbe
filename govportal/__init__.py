"""govportal: the two-tier digital government portal of Ho Chi Minh City."""

from govportal.celery import app as celery_app

__all__ = ("celery_app",)
