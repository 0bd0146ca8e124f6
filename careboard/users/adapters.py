"""allauth adapter: membership is by invitation, so there is no open sign-up."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # New members arrive through an organisation's invitation (careboard.organizations);
        # a public sign-up form would let strangers create accounts in a clinical system.
        return False
