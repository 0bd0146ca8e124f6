"""Server-rendered invitation page: the link in the invitation e-mail lands here."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from careboard.core.problems import Conflict
from careboard.organizations import services
from careboard.organizations.forms import InvitationSignupForm
from careboard.users.models import User


def invitation_page(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return render(request, "organizations/invitation_invalid.html", status=404)

    if request.user.is_authenticated:
        if request.method == "POST":
            try:
                services.invitation_accept(invitation=invitation, user=request.user)
            except Conflict as exc:
                messages.error(request, str(exc.detail))
                return redirect(request.path)
            messages.success(
                request, _("You joined %(org)s.") % {"org": invitation.organization.name}
            )
            return redirect("home")
        return render(request, "organizations/invitation_accept.html", {"invitation": invitation})

    if User.objects.filter(email__iexact=invitation.email).exists():
        # An existing account signs in first, then accepts on this page.
        return redirect(f"{reverse('account_login')}?{urlencode({'next': request.path})}")

    form = InvitationSignupForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        user = services.invitation_accept_new_user(
            invitation=invitation,
            name=form.cleaned_data["name"],
            password=form.cleaned_data["password1"],
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("home")
    return render(
        request, "organizations/invitation_signup.html", {"invitation": invitation, "form": form}
    )
