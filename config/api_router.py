"""Every REST endpoint under /api/v1/ is registered here."""

from __future__ import annotations

from django.urls import path
from rest_framework.routers import DefaultRouter

from careboard.organizations.api import views as org_views
from careboard.users.api import views as user_views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("tokens", user_views.ApiTokenViewSet, basename="apitoken")
router.register("organizations", org_views.OrganizationViewSet, basename="organization")
router.register("wards", org_views.WardViewSet, basename="ward")
router.register("memberships", org_views.MembershipViewSet, basename="membership")
router.register("invitations", org_views.InvitationViewSet, basename="invitation")

app_name = "api"
urlpatterns = [
    path("me/", user_views.MeView.as_view(), name="me"),
    path(
        "invitations/accept/",
        org_views.InvitationAcceptView.as_view(),
        name="invitation-accept",
    ),
    *router.urls,
]
