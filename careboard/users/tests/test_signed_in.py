from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.utils.functional import SimpleLazyObject
from rest_framework.exceptions import NotAuthenticated

from careboard.users.signed_in import signed_in_user
from careboard.users.tests.factories import UserFactory


@pytest.mark.django_db
def test_the_signed_in_user_is_returned_even_behind_djangos_lazy_object():
    user = UserFactory.create()
    request = RequestFactory().get("/")
    request.user = SimpleLazyObject(lambda: user)  # type: ignore[assignment]  # what Django sets

    assert signed_in_user(request) == user


def test_an_anonymous_request_is_not_authenticated():
    request = RequestFactory().get("/")
    request.user = AnonymousUser()

    with pytest.raises(NotAuthenticated):
        signed_in_user(request)
