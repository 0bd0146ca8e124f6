from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _


class InvitationSignupForm(forms.Form):
    """A new member's name and password, chosen on the invitation page."""

    name = forms.CharField(label=_("Your name"), max_length=200)
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(
        label=_("Password (again)"), widget=forms.PasswordInput, strip=False
    )

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        self.email = email
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            from careboard.users.models import User

            try:
                password_validation.validate_password(
                    p1, User(email=self.email, name=data.get("name", ""))
                )
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data
