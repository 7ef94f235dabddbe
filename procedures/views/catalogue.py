"""Public catalogue pages: search and browse (a GET form, no JavaScript needed) and one procedure."""

from decimal import Decimal

from django.shortcuts import render
from django.utils.formats import number_format
from django.utils.functional import SimpleLazyObject
from django.utils.translation import ngettext_lazy

from govportal.tiers.models import Tier
from procedures.catalogue_cache import CATALOGUE_CACHE_SECONDS, catalogue_version, procedure_shown, procedures_listed
from procedures.models import Field, Procedure, TimeLimitUnit

# The plural form is chosen from "n", the whole number of the limit; "count" is the number as shown.
_TIME_LIMIT_TEXTS = {
    TimeLimitUnit.WORKING_DAYS: ngettext_lazy("%(count)s working day", "%(count)s working days", "n"),
    TimeLimitUnit.WORKING_HOURS: ngettext_lazy("%(count)s working hour", "%(count)s working hours", "n"),
    TimeLimitUnit.DAYS: ngettext_lazy("%(count)s calendar day", "%(count)s calendar days", "n"),
}


def time_limit_text(procedure: Procedure) -> str:
    """The limit as people say it: 3 working days, 15 calendar days, 0.5 working days (localised)."""
    value = Decimal(procedure.time_limit_value).normalize()
    whole = value == value.to_integral_value()
    shown = number_format(value.quantize(Decimal(1)) if whole else value)
    text = _TIME_LIMIT_TEXTS.get(procedure.time_limit_unit, _TIME_LIMIT_TEXTS[TimeLimitUnit.WORKING_DAYS])
    # A fraction reads as plural: "0.5 working days".
    return text % {"n": int(value) if whole else 2, "count": shown}


def _choice(value: str, choices) -> str:
    return value if value in {code for code, _ in choices} else ""


def procedure_list_page(request):
    query = request.GET.get("q", "").strip()[:100]
    field = _choice(request.GET.get("field", ""), Field.choices)
    tier = _choice(request.GET.get("tier", ""), Tier.choices)

    def listed():
        procedures = procedures_listed(search=query, field=field, tier=tier)
        for procedure in procedures:
            procedure.time_limit_text = time_limit_text(procedure)
        return procedures

    # The results are a fragment cached per catalogue version, language and query (no CSRF token in it):
    # read only when the fragment is not cached.
    return render(
        request,
        "procedures/catalogue/list.html",
        {
            "procedures": SimpleLazyObject(listed),
            "catalogue_version": catalogue_version(),
            "cache_seconds": CATALOGUE_CACHE_SECONDS,
            "query": query,
            "field": field,
            "tier": tier,
            "fields": Field.choices,
            "tiers": Tier.choices,
            "filtered": bool(query or field or tier),
        },
    )


def procedure_detail_page(request, code: str):
    procedure = procedure_shown(code=code)
    procedure.time_limit_text = time_limit_text(procedure)
    return render(
        request,
        "procedures/catalogue/detail.html",
        {
            "procedure": procedure,
            "fee_lines": list(procedure.fee_lines.all()),
            "documents": list(procedure.documents.all()),
            "counted_in_working_time": procedure.time_limit_unit != TimeLimitUnit.DAYS,
            # The citizen-facing URL of the filing flow (built by the citizen views).
            "file_url": f"/procedures/{procedure.code}/file/",
        },
    )
