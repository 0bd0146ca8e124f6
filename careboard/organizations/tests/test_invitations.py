"""Invitations: the admin API (/api/v1/invitations/), the e-mail, the page behind the link
(/invite/<token>/) and accepting through the API (/api/v1/invitations/accept/)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from allauth.account.models import EmailAddress
from django.contrib import auth
from django.core import mail
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from careboard.organizations import services
from careboard.organizations.models import Invitation, Membership, Organization
from careboard.organizations.roles import Role
from careboard.users.models import User
from careboard.users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

INVITATIONS_URL = "/api/v1/invitations/"
ACCEPT_API_URL = "/api/v1/invitations/accept/"
PROBLEM = "application/problem+json"
NEW_EMAIL = "new.person@example.test"
NEW_PASSWORD = "Quiet-Harbour-Lantern-42"
INVITATION_FIELDS = {
    "id",
    "organization",
    "email",
    "role",
    "status",
    "invited_by",
    "created_at",
    "expires_at",
    "accepted_at",
    "accept_url",
}

ClientFor = Callable[[User | None], APIClient]


def invite(
    organization: Organization, admin: User, email: str = NEW_EMAIL, role: str = Role.NURSE
) -> tuple[Invitation, str]:
    """An invitation made through the service; returns it and the page path of its link."""
    invitation, token = services.invitation_create(
        organization=organization,
        email=email,
        role=role,
        invited_by=admin,
        accept_url="http://testserver/invite/",
    )
    return invitation, f"/invite/{token}/"


def token_of(path: str) -> str:
    return path.strip("/").split("/")[-1]


def post_invitation(client: APIClient, organization: Organization, **data: str):
    return client.post(
        INVITATIONS_URL,
        {"organization": str(organization.pk), "email": NEW_EMAIL, "role": "nurse", **data},
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def signup_data(**overrides: str) -> dict[str, str]:
    return {"name": "Nia New", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, **overrides}


def assert_invalid_page(response) -> None:
    assert response.status_code == 404
    assert [t.name for t in response.templates][0] == "organizations/invitation_invalid.html"


# POST /api/v1/invitations/ --------------------------------------------------------------------


def test_admin_invites_and_the_link_is_emailed(
    admin: User,
    organization: Organization,
    client_for: ClientFor,
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = post_invitation(
            client_for(admin), organization, email=" New.Person@Example.TEST ", role="physician"
        )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == INVITATION_FIELDS
    invitation = Invitation.objects.get()
    assert body["id"] == str(invitation.pk)
    assert body["organization"] == str(organization.pk)
    assert body["email"] == NEW_EMAIL
    assert body["role"] == "physician"
    assert body["status"] == "pending"
    assert body["invited_by"] == admin.email
    assert body["accepted_at"] is None
    accept_url = body["accept_url"]
    assert accept_url.startswith("http://testserver/invite/")
    assert invitation.invited_by == admin
    assert invitation.expires_at - invitation.created_at == pytest.approx(
        timedelta(days=7), abs=timedelta(seconds=5)
    )
    # Only the digest of the token is stored.
    assert token_of(urlparse(accept_url).path) not in str(
        Invitation.objects.filter(pk=invitation.pk).values().get()
    )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [NEW_EMAIL]
    assert message.subject == "Invitation to St. Example Hospital on Careboard"
    assert accept_url in message.body
    assert "as Physician" in message.body


def test_no_email_is_sent_before_the_transaction_commits(
    admin: User,
    organization: Organization,
    client_for: ClientFor,
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post_invitation(client_for(admin), organization)

    assert len(callbacks) == 1
    assert mail.outbox == []


def test_member_without_the_role_gets_403(
    nurse: User,
    organization: Organization,
    client_for: ClientFor,
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = post_invitation(client_for(nurse), organization)

    assert response.status_code == 403
    assert response.json()["detail"] == "Your role does not allow this."
    assert Invitation.objects.count() == 0
    assert mail.outbox == []


# Holds before and after the fix above: whatever the status, nothing is created or sent.
def test_member_without_the_role_creates_nothing(
    nurse: User,
    organization: Organization,
    client_for: ClientFor,
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = post_invitation(client_for(nurse), organization)

    assert response.status_code in (400, 403)
    assert Invitation.objects.count() == 0
    assert mail.outbox == []


def test_outsider_is_told_the_organization_does_not_exist(
    outsider: User,
    organization: Organization,
    client_for: ClientFor,
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = post_invitation(client_for(outsider), organization)

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert response.json()["errors"] == {
        "organization": [f'Invalid pk "{organization.pk}" - object does not exist.']
    }
    assert Invitation.objects.count() == 0
    assert mail.outbox == []


def test_anonymous_gets_401(organization: Organization, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = post_invitation(APIClient(), organization)

    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert Invitation.objects.count() == 0
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"email": "not-an-email"}, {"email": ["Enter a valid email address."]}),
        ({"role": "surgeon"}, {"role": ['"surgeon" is not a valid choice.']}),
        ({"email": ""}, {"email": ["This field may not be blank."]}),
    ],
)
def test_invalid_fields_are_refused(
    admin: User,
    organization: Organization,
    client_for: ClientFor,
    data: dict[str, str],
    errors: dict[str, list[str]],
) -> None:
    response = post_invitation(client_for(admin), organization, **data)

    assert response.status_code == 400
    assert response.json()["errors"] == errors
    assert Invitation.objects.count() == 0


def test_inviting_an_existing_member_conflicts(
    admin: User,
    nurse: User,
    organization: Organization,
    client_for: ClientFor,
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = post_invitation(client_for(admin), organization, email=nurse.email.upper())

    assert response.status_code == 409
    assert response["Content-Type"] == PROBLEM
    assert (
        response.json()["detail"] == f"{nurse.email} is already a member of St. Example Hospital."
    )
    assert Invitation.objects.count() == 0
    assert mail.outbox == []


def test_member_of_another_organization_can_be_invited(
    admin: User, outsider: User, organization: Organization, client_for: ClientFor
) -> None:
    response = post_invitation(client_for(admin), organization, email=outsider.email)

    assert response.status_code == 201


def test_reinviting_replaces_the_pending_invitation(
    admin: User,
    organization: Organization,
    client_for: ClientFor,
    django_capture_on_commit_callbacks,
) -> None:
    client = client_for(admin)
    first = post_invitation(client, organization, role="viewer").json()

    with django_capture_on_commit_callbacks(execute=True):
        second = post_invitation(client, organization, role="therapist").json()

    old = Invitation.objects.get(pk=first["id"])
    assert old.status == "revoked"
    assert str(Invitation.objects.pending().get().pk) == second["id"]
    assert second["role"] == "therapist"
    assert_invalid_page(Client().get(urlparse(first["accept_url"]).path))
    page = Client().get(urlparse(second["accept_url"]).path)
    assert page.status_code == 200
    assert page.context["invitation"].role == "therapist"


def test_inviting_to_another_organization_keeps_this_one(
    admin: User,
    organization: Organization,
    other_organization: Organization,
    outsider: User,
) -> None:
    here, _ = invite(organization, admin)
    invite(other_organization, outsider)

    here.refresh_from_db()
    assert here.status == "pending"


# GET and DELETE /api/v1/invitations/ ----------------------------------------------------------


def test_admin_lists_only_own_organizations_invitations(
    admin: User,
    outsider: User,
    organization: Organization,
    other_organization: Organization,
    client_for: ClientFor,
) -> None:
    here, _ = invite(organization, admin)
    invite(other_organization, outsider, email="elsewhere@example.test")

    response = client_for(admin).get(INVITATIONS_URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["results"][0]["id"] == str(here.pk)
    # The link is shown only in the response that created the invitation.
    assert body["results"][0]["accept_url"] is None


def test_member_without_the_role_lists_nothing(
    admin: User, nurse: User, organization: Organization, client_for: ClientFor
) -> None:
    invite(organization, admin)

    response = client_for(nurse).get(INVITATIONS_URL)

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_admin_revokes_with_delete(
    admin: User, organization: Organization, client_for: ClientFor
) -> None:
    invitation, path = invite(organization, admin)

    response = client_for(admin).delete(f"{INVITATIONS_URL}{invitation.pk}/")

    assert response.status_code == 204
    invitation.refresh_from_db()
    assert invitation.status == "revoked"
    assert_invalid_page(Client().get(path))


def test_revoking_an_accepted_invitation_changes_nothing(
    admin: User, organization: Organization, client_for: ClientFor
) -> None:
    invitation, _ = invite(organization, admin)
    joiner = UserFactory.create(email=NEW_EMAIL)
    services.invitation_accept(invitation=invitation, user=joiner)

    response = client_for(admin).delete(f"{INVITATIONS_URL}{invitation.pk}/")

    assert response.status_code == 204
    invitation.refresh_from_db()
    assert invitation.status == "accepted"
    assert invitation.revoked_at is None


@pytest.mark.parametrize("persona", ["nurse", "outsider"])
def test_others_cannot_revoke(
    admin: User,
    organization: Organization,
    client_for: ClientFor,
    persona: str,
    request: pytest.FixtureRequest,
) -> None:
    invitation, path = invite(organization, admin)

    response = client_for(request.getfixturevalue(persona)).delete(
        f"{INVITATIONS_URL}{invitation.pk}/"
    )

    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == "pending"
    assert Client().get(path).status_code == 200


def test_anonymous_cannot_revoke(admin: User, organization: Organization) -> None:
    invitation, _ = invite(organization, admin)

    response = APIClient().delete(f"{INVITATIONS_URL}{invitation.pk}/")

    assert response.status_code == 401
    invitation.refresh_from_db()
    assert invitation.status == "pending"


# The page behind the link: a new person -------------------------------------------------------


def test_new_person_sees_the_signup_form(
    client: Client, admin: User, organization: Organization
) -> None:
    _invitation, path = invite(organization, admin, role=Role.THERAPIST)

    response = client.get(path)

    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "organizations/invitation_signup.html"
    assert set(response.context["form"].fields) == {"name", "password1", "password2"}
    content = response.content.decode()
    assert "Join St. Example Hospital" in content
    assert f"Your sign-in will be {NEW_EMAIL}." in content


def test_new_person_signs_up_joins_and_is_signed_in(
    client: Client, admin: User, organization: Organization
) -> None:
    invitation, path = invite(organization, admin, role=Role.THERAPIST)

    response = client.post(path, signup_data())

    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get(email=NEW_EMAIL)
    assert user.name == "Nia New"
    assert user.check_password(NEW_PASSWORD)
    assert auth.get_user(client) == user
    membership = Membership.objects.get(user=user)
    assert membership.organization == organization
    assert membership.role == Role.THERAPIST
    address = EmailAddress.objects.get(user=user)
    assert (address.email, address.verified, address.primary) == (NEW_EMAIL, True, True)
    invitation.refresh_from_db()
    assert invitation.status == "accepted"
    assert invitation.accepted_by == user
    # The same link cannot be used again.
    assert_invalid_page(Client().get(path))


def test_new_person_can_sign_in_with_the_chosen_password(
    client: Client, admin: User, organization: Organization
) -> None:
    _invitation, path = invite(organization, admin)
    client.post(path, signup_data())
    client.logout()

    response = client.post("/accounts/login/", {"login": NEW_EMAIL, "password": NEW_PASSWORD})

    assert response.status_code == 302
    signed_in = auth.get_user(client)
    assert isinstance(signed_in, User)
    assert signed_in.email == NEW_EMAIL


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        (
            {"password2": "Quiet-Harbour-Lantern-43"},
            {"password2": ["The two passwords differ."]},
        ),
        (
            {"password1": "letmein", "password2": "letmein"},
            {
                "password1": [
                    "This password is too short. It must contain at least 8 characters.",
                    "This password is too common.",
                ]
            },
        ),
        (
            {"password1": "new.person1", "password2": "new.person1"},
            {"password1": ["The password is too similar to the e-mail address."]},
        ),
        ({"name": ""}, {"name": ["This field is required."]}),
    ],
)
def test_invalid_signup_shows_errors_and_creates_nothing(
    client: Client,
    admin: User,
    organization: Organization,
    data: dict[str, str],
    errors: dict[str, list[str]],
) -> None:
    invitation, path = invite(organization, admin)
    users = User.objects.count()

    response = client.post(path, signup_data(**data))

    assert response.status_code == 200
    assert response.context["form"].errors == errors
    assert User.objects.count() == users
    assert not EmailAddress.objects.filter(email=NEW_EMAIL).exists()
    assert not auth.get_user(client).is_authenticated
    invitation.refresh_from_db()
    assert invitation.status == "pending"


@pytest.mark.parametrize("state", ["accepted", "expired", "revoked", "unknown"])
def test_unusable_link_shows_the_invalid_page(
    client: Client, admin: User, organization: Organization, state: str
) -> None:
    invitation, path = invite(organization, admin)
    if state == "accepted":
        services.invitation_accept(invitation=invitation, user=UserFactory.create(email=NEW_EMAIL))
    elif state == "expired":
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    elif state == "revoked":
        services.invitation_revoke(invitation=invitation)
    else:
        path = "/invite/not-a-real-token/"
    users = User.objects.count()

    get = client.get(path)
    post = client.post(path, signup_data())

    assert_invalid_page(get)
    assert_invalid_page(post)
    assert User.objects.count() == users
    assert Membership.objects.filter(user__email=NEW_EMAIL).count() == (
        1 if state == "accepted" else 0
    )


# The page behind the link: someone who already has an account ---------------------------------


@pytest.fixture
def existing(outsider: User) -> User:
    """A person with an account (an admin elsewhere) invited to this organisation."""
    return outsider


def test_existing_user_not_signed_in_is_sent_to_login_and_back(
    client: Client, admin: User, organization: Organization, existing: User
) -> None:
    _invitation, path = invite(organization, admin, email=existing.email)

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path.replace('/', '%2F')}"
    assert not Membership.objects.filter(user=existing, organization=organization).exists()
    login = client.post(response["Location"], {"login": existing.email, "password": PASSWORD})
    assert login["Location"] == path


def test_existing_user_not_signed_in_cannot_take_over_by_posting_a_signup(
    client: Client, admin: User, organization: Organization, existing: User
) -> None:
    _invitation, path = invite(organization, admin, email=existing.email)

    response = client.post(path, signup_data())

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    existing.refresh_from_db()
    assert existing.check_password(PASSWORD)
    assert not Membership.objects.filter(user=existing, organization=organization).exists()


def test_invited_user_signed_in_sees_the_accept_page(
    client: Client, admin: User, organization: Organization, existing: User
) -> None:
    _invitation, path = invite(organization, admin, email=existing.email, role=Role.VIEWER)
    client.force_login(existing)

    response = client.get(path)

    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "organizations/invitation_accept.html"
    assert "You were invited as Viewer" in response.content.decode()
    assert not Membership.objects.filter(user=existing, organization=organization).exists()


def test_invited_user_signed_in_joins_by_posting(
    client: Client, admin: User, organization: Organization, existing: User
) -> None:
    invitation, path = invite(organization, admin, email=existing.email, role=Role.VIEWER)
    client.force_login(existing)

    response = client.post(path, follow=True)

    assert response.redirect_chain == [("/", 302)]
    assert messages_of(response) == ["You joined St. Example Hospital."]
    membership = Membership.objects.get(user=existing, organization=organization)
    assert membership.role == Role.VIEWER
    invitation.refresh_from_db()
    assert invitation.status == "accepted"
    assert invitation.accepted_by == existing


def test_signed_in_as_someone_else_cannot_join(
    client: Client, admin: User, organization: Organization, existing: User
) -> None:
    invitation, path = invite(organization, admin, email=existing.email)
    stranger = UserFactory.create(email="stranger@example.test")
    client.force_login(stranger)

    response = client.post(path, follow=True)

    assert response.redirect_chain == [(path, 302)]
    assert messages_of(response) == ["This invitation was sent to another e-mail address."]
    assert not Membership.objects.filter(user=stranger).exists()
    invitation.refresh_from_db()
    assert invitation.status == "pending"


# POST /api/v1/invitations/accept/ -------------------------------------------------------------


def test_invited_user_accepts_through_the_api(
    admin: User, organization: Organization, existing: User, client_for: ClientFor
) -> None:
    invitation, path = invite(organization, admin, email=existing.email, role=Role.PHYSICIAN)

    response = client_for(existing).post(ACCEPT_API_URL, {"token": token_of(path)})

    assert response.status_code == 201
    membership = Membership.objects.get(user=existing, organization=organization)
    body = response.json()
    assert body["id"] == str(membership.pk)
    assert body["user"] == {
        "id": str(existing.public_id),
        "email": existing.email,
        "name": existing.name,
    }
    assert body["organization"] == str(organization.pk)
    assert body["role"] == "physician"
    invitation.refresh_from_db()
    assert invitation.status == "accepted"


def test_accepting_gives_access_at_once(
    admin: User,
    organization: Organization,
    other_organization: Organization,
    existing: User,
    client_for: ClientFor,
) -> None:
    _invitation, path = invite(organization, admin, email=existing.email, role=Role.PHYSICIAN)
    client = client_for(existing)
    client.post(ACCEPT_API_URL, {"token": token_of(path)})

    response = client.get("/api/v1/me/")

    assert {m["organization_id"]: m["role"] for m in response.json()["memberships"]} == {
        str(organization.pk): "physician",
        str(other_organization.pk): "admin",
    }


def test_wrong_user_cannot_accept_through_the_api(
    admin: User, organization: Organization, existing: User, client_for: ClientFor
) -> None:
    stranger = UserFactory.create(email="stranger@example.test")
    invitation, path = invite(organization, admin, email=existing.email)

    response = client_for(stranger).post(ACCEPT_API_URL, {"token": token_of(path)})

    assert response.status_code == 409
    assert response["Content-Type"] == PROBLEM
    assert response.json()["detail"] == "This invitation was sent to another e-mail address."
    assert not Membership.objects.filter(user=stranger).exists()
    invitation.refresh_from_db()
    assert invitation.status == "pending"


@pytest.mark.parametrize("state", ["unknown", "accepted", "revoked", "expired"])
def test_unusable_token_is_404_through_the_api(
    admin: User, organization: Organization, existing: User, client_for: ClientFor, state: str
) -> None:
    invitation, path = invite(organization, admin, email=existing.email)
    token = token_of(path)
    if state == "unknown":
        token = "not-a-real-token"
    elif state == "accepted":
        services.invitation_accept(invitation=invitation, user=existing)
    elif state == "revoked":
        services.invitation_revoke(invitation=invitation)
    else:
        Invitation.objects.filter(pk=invitation.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    memberships = Membership.objects.count()

    response = client_for(existing).post(ACCEPT_API_URL, {"token": token})

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    assert response.json()["detail"] == "This invitation is unknown, used, revoked or expired."
    assert Membership.objects.count() == memberships


def test_accept_requires_a_token(existing: User, client_for: ClientFor) -> None:
    response = client_for(existing).post(ACCEPT_API_URL, {})

    assert response.status_code == 400
    assert response.json()["errors"] == {"token": ["This field is required."]}


def test_anonymous_cannot_accept_through_the_api(
    admin: User, organization: Organization, existing: User
) -> None:
    invitation, path = invite(organization, admin, email=existing.email)

    response = APIClient().post(ACCEPT_API_URL, {"token": token_of(path)})

    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    invitation.refresh_from_db()
    assert invitation.status == "pending"
    assert not Membership.objects.filter(user=existing, organization=organization).exists()
