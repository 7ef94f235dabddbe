"""Public unit finder: works without JavaScript (a GET form)."""

from django.shortcuts import render

from govportal.tiers.selectors import unit_list

MAX_RESULTS = 50


def unit_search(request):
    query = request.GET.get("q", "").strip()[:100]
    units = list(unit_list(search=query)[: MAX_RESULTS + 1]) if query else []
    return render(
        request,
        "tiers/unit_search.html",
        {"query": query, "units": units[:MAX_RESULTS], "truncated": len(units) > MAX_RESULTS},
    )
