"""Login choice, the citizen's profile, and logout (also at the e-ID provider)."""

from allauth.socialaccount.models import SocialApp
from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from identity.eid.adapter import SESSION_ID_TOKEN, SESSION_LEVEL, VNeIDAdapter
from identity.forms import ContactPreferencesForm
from identity.landing import landing_url
from identity.registry.services import registry_lookup
from identity.selectors import user_postings
from identity.services import contact_preferences_update


def login_choice(request):
    if request.user.is_authenticated:
        return redirect(landing_url(request.user))
    return render(request, "identity/login_choice.html", {"next": request.GET.get("next", "")})


@login_required
def profile(request):
    user = request.user
    form = ContactPreferencesForm(instance=user)
    if request.method == "POST":
        form = ContactPreferencesForm(request.POST, instance=user)
        if form.is_valid():
            contact_preferences_update(user=user, data=form.cleaned_data)
            messages.success(request, _("Your contact details were saved."))
            return redirect("profile")
    record = None
    if user.personal_id:
        record = registry_lookup(personal_id=user.personal_id, actor=user, purpose="profile")
    return render(
        request,
        "identity/profile.html",
        {
            "form": form,
            "record": record,
            "postings": user_postings(user=user),
            "session_eid_level": request.session.get(SESSION_LEVEL),
        },
    )


@require_POST
def logout(request):
    """Log out here, then at the e-ID provider (RP-initiated logout) if the citizen came from it."""
    id_token = request.session.get(SESSION_ID_TOKEN)
    auth_logout(request)
    if id_token:
        try:
            adapter = VNeIDAdapter(request, "vneid")
            url = adapter.end_session_url(id_token=id_token, post_logout_redirect_uri=request.build_absolute_uri("/"))
        except (SocialApp.DoesNotExist, OSError, ValueError, KeyError):
            url = None  # the provider is unreachable: the local logout still stands
        if url:
            return redirect(url)
    messages.info(request, _("You have logged out."))
    return redirect("home")
