"""Staff lockout: failed password logins counted per (user name, client address) and per address.

allauth counts failures per user name alone, so a stranger who fails five times locks a named officer
out. Here a lock holds only for the pair (name, address): a stranger failing from address B locks
(name, B), and the officer at address A still logs in. An address that fails too often, whatever the
names, is locked as a whole (guessing across many names).

The counts come from the audit trail itself (AccountEvent "login_failed" rows, append-only): nothing
to keep in step, nothing lost when the cache is flushed. A lock ends when its oldest counted failure
leaves the window, when the officer logs in fully from that address, or when an administrator unlocks
(a "login_unlocked" event: counting restarts after it). Attempts refused while locked are audited
with `refused` in their detail and never counted, so waiting the lock out always works.

Limits: settings.LOGIN_LOCKOUT_PER_NAME_AND_ADDRESS and LOGIN_LOCKOUT_PER_ADDRESS ("5/15m").
"""

import ipaddress
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from govportal.ratelimit import client_address, parse_rate
from identity.models import AccountEvent, User

logger = logging.getLogger(__name__)

NAME_AND_ADDRESS = "name_and_address"
ADDRESS = "address"
Action = AccountEvent.Action


@dataclass(frozen=True)
class Lock:
    scope: str  # NAME_AND_ADDRESS or ADDRESS
    failures: int
    wait: int  # seconds until the lock ends by itself


def address_of(request) -> str | None:
    """The client address as the audit trail stores it (None when it is not an IP address)."""
    if request is None:
        return None
    try:
        return str(ipaddress.ip_address(client_address(request)))
    except ValueError:
        return None


def normalized(username: str) -> str:
    """allauth matches user names case-insensitively: so do the counts."""
    return (username or "").strip().lower()[:150]


# --- selectors ----------------------------------------------------------------------------------------


def _latest(events: QuerySet) -> datetime | None:
    return events.order_by("-at").values_list("at", flat=True).first()


def _counted_failures(*, since: datetime) -> QuerySet:
    return AccountEvent.objects.filter(action=Action.LOGIN_FAILED, at__gte=since).exclude(detail__has_key="refused")


def _lock(scope: str, failures: QuerySet, rate: str, now: datetime) -> Lock | None:
    limit, period = parse_rate(rate)
    # One more than the limit: `failures == limit` then tells the failure that locked from later ones.
    recent = list(failures.order_by("-at").values_list("at", flat=True)[: limit + 1])
    if len(recent) < limit:
        return None
    wait = math.ceil((recent[limit - 1] + timedelta(seconds=period) - now).total_seconds())
    return Lock(scope=scope, failures=len(recent), wait=max(1, wait))


def locks(*, username: str, address: str | None) -> list[Lock]:
    """The locks in force for this name from this address: empty when the attempt may go ahead."""
    name = normalized(username)
    now = timezone.now()
    found = []

    limit_rate = settings.LOGIN_LOCKOUT_PER_NAME_AND_ADDRESS
    since = now - timedelta(seconds=parse_rate(limit_rate)[1])
    resets = [
        _latest(AccountEvent.objects.filter(action=Action.LOGIN_UNLOCKED, detail__username=name)),
        _latest(
            AccountEvent.objects.filter(action=Action.STAFF_LOGIN, user__username__iexact=name, ip_address=address)
        ),
    ]
    since = max([since, *(r for r in resets if r)])
    lock = _lock(
        NAME_AND_ADDRESS,
        _counted_failures(since=since).filter(detail__username=name, ip_address=address),
        limit_rate,
        now,
    )
    if lock:
        found.append(lock)

    address_rate = settings.LOGIN_LOCKOUT_PER_ADDRESS
    since = now - timedelta(seconds=parse_rate(address_rate)[1])
    if address is not None:
        reset = _latest(AccountEvent.objects.filter(action=Action.LOGIN_UNLOCKED, detail__address=address))
        since = max(since, reset) if reset else since
    lock = _lock(ADDRESS, _counted_failures(since=since).filter(ip_address=address), address_rate, now)
    if lock:
        found.append(lock)
    return found


def failures_since_last_login(*, user) -> tuple[int, AccountEvent | None]:
    """How many failed logins (refused ones included) the user's name had since their last login, and the last."""
    last_login = _latest(AccountEvent.objects.filter(user=user, action__in=[Action.STAFF_LOGIN, Action.EID_LOGIN]))
    failures = AccountEvent.objects.filter(action=Action.LOGIN_FAILED, detail__username=normalized(user.username))
    if last_login:
        failures = failures.filter(at__gt=last_login)
    return failures.count(), failures.order_by("-at").first()


# --- services -----------------------------------------------------------------------------------------


def _user_named(name: str) -> User | None:
    return User.objects.filter(username__iexact=name).first() if name else None


def _record(*, user, action: str, ip: str | None, **detail) -> AccountEvent:
    return AccountEvent.objects.create(user=user, action=action, detail=detail, ip_address=ip)


def refused_message(lock_list: list[Lock]) -> str:
    minutes = max(1, math.ceil(max(lock.wait for lock in lock_list) / 60))
    return ngettext(
        "Too many failed login attempts from this address. Logins are paused for %(minutes)d minute; "
        "an administrator can unlock them sooner.",
        "Too many failed login attempts from this address. Logins are paused for %(minutes)d minutes; "
        "an administrator can unlock them sooner.",
        minutes,
    ) % {"minutes": minutes}


def attempt_check(*, request, username: str) -> list[Lock]:
    """Before a password is checked: the locks in force (an audited refusal), or [] to go ahead."""
    name = normalized(username)
    address = address_of(request)
    found = locks(username=name, address=address)
    if found:
        _record(
            user=_user_named(name),
            action=Action.LOGIN_FAILED,
            ip=address,
            username=name,
            refused=[lock.scope for lock in found],
        )
    return found


def failure_record(*, request, username: str) -> AccountEvent:
    """A wrong password: audit it; when it is the one that locks, audit the lock and tell the officer."""
    name = normalized(username)
    address = address_of(request)
    user = _user_named(name)
    event = _record(user=user, action=Action.LOGIN_FAILED, ip=address, username=name)
    rates = {NAME_AND_ADDRESS: settings.LOGIN_LOCKOUT_PER_NAME_AND_ADDRESS, ADDRESS: settings.LOGIN_LOCKOUT_PER_ADDRESS}
    for lock in locks(username=name, address=address):
        if lock.failures != parse_rate(rates[lock.scope])[0]:
            continue  # already locked before this failure
        locked = _record(
            user=user,
            action=Action.LOGIN_LOCKED,
            ip=address,
            username=name,
            scope=lock.scope,
            failures=lock.failures,
            seconds=lock.wait,
        )
        if user is not None and lock.scope == NAME_AND_ADDRESS:
            _tell_locked(user=user, event=locked, failures=lock.failures)
    return event


def _tell_locked(*, user, event: AccountEvent, failures: int) -> None:
    from identity.notifications import format_when, in_language, language_of, notification_send

    language = language_of(user)
    values = {"count": failures, "address": event.ip_address or "?", "when": format_when(event.at)}

    def subject():
        return gettext("Failed login attempts on your account")

    def body():
        return (
            ngettext(
                "%(count)d failed login attempt on your account, the last from address %(address)s at %(when)s. "
                "Logins to your account from that address are paused for a while; other addresses are not "
                "affected. If this was not you, tell your administrator.",
                "%(count)d failed login attempts on your account, the last from address %(address)s at %(when)s. "
                "Logins to your account from that address are paused for a while; other addresses are not "
                "affected. If this was not you, tell your administrator.",
                failures,
            )
            % values
        )

    try:
        notification_send(
            user=user,
            subject=in_language(subject, language, legal_below=False),
            body=in_language(body, language),
            source=f"login-locked:{event.pk}",
        )
    except Exception:  # the mail server down: the in-portal row is written; the login page must not fail
        logger.warning("Email about the login lock %s failed", event.pk, exc_info=True)


def failures_notice(*, user) -> str | None:
    """On a login: "N failed attempts since your last login, the last from X at dd/mm/yyyy HH:MM", or None."""
    from identity.notifications import format_when

    count, last = failures_since_last_login(user=user)
    if not count:
        return None
    return ngettext(
        "%(count)d failed login attempt since your last login, the last from address %(address)s at %(when)s.",
        "%(count)d failed login attempts since your last login, the last from address %(address)s at %(when)s.",
        count,
    ) % {"count": count, "address": last.ip_address or "?", "when": format_when(last.at)}


def unlock(*, username: str = "", address: str = "", by=None, request=None) -> AccountEvent:
    """An administrator ends a lock early: every address for a user name, or every name for an address."""
    name = normalized(username)
    if not name and not address:
        raise ValueError("unlock needs a user name or an address")
    detail = {"by": getattr(by, "username", "") or "command"}
    if name:
        detail["username"] = name
    if address:
        detail["address"] = str(ipaddress.ip_address(address))
    return _record(user=_user_named(name), action=Action.LOGIN_UNLOCKED, ip=address_of(request), **detail)
