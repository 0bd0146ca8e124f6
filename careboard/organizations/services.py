"""Writes on organisations, memberships and invitations."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from careboard.core.problems import Conflict
from careboard.organizations import access
from careboard.organizations.models import Invitation, Membership, Organization
from careboard.organizations.roles import Role
from careboard.realtime.publish import access_changed_after_commit
from careboard.users.models import User
from careboard.users.tokens import digest


def _lock_admins(organization: Organization) -> int:
    """Count the organisation's admins with their rows locked, so two concurrent demotions
    cannot both see "another admin remains"."""
    return len(
        Membership.objects.select_for_update()
        .filter(organization=organization, role=Role.ADMIN)
        .values_list("pk", flat=True)
    )


def membership_set_role(*, membership: Membership, role: str) -> Membership:
    """Change a member's role; the last admin cannot be demoted."""
    with transaction.atomic():
        if (
            membership.role == Role.ADMIN
            and role != Role.ADMIN
            and _lock_admins(membership.organization) <= 1
        ):
            raise Conflict("An organisation needs at least one admin; appoint another first.")
        membership.role = role
        membership.full_clean()
        membership.save(update_fields=["role", "updated_at"])
        access_changed_after_commit(membership.user_id)
    access.forget_roles(membership.user)
    return membership


def membership_remove(*, membership: Membership) -> None:
    """Remove a member; the last admin cannot be removed."""
    with transaction.atomic():
        if membership.role == Role.ADMIN and _lock_admins(membership.organization) <= 1:
            raise Conflict("An organisation needs at least one admin; appoint another first.")
        user_id = membership.user_id
        membership.delete()
        access_changed_after_commit(user_id)
    access.forget_roles(membership.user)


def invitation_create(
    *, organization: Organization, email: str, role: str, invited_by: User, accept_url: str
) -> tuple[Invitation, str]:
    """Invite ``email`` to join with ``role`` and send the link.

    ``accept_url`` is the absolute URL prefix of the invitation page; the token is appended.
    Returns the invitation and the token (shown to the admin once, e.g. to copy the link).
    """
    email = email.strip().lower()
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise Conflict(f"{email} is already a member of {organization.name}.")
    # A new invitation replaces a pending one: the newest role and link are the valid ones.
    Invitation.objects.pending().filter(organization=organization, email__iexact=email).update(
        revoked_at=timezone.now()
    )
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        organization=organization,
        email=email,
        role=role,
        invited_by=invited_by,
        token_hash=digest(token),
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    invitation.full_clean()
    invitation.save()
    link = f"{accept_url}{token}/"
    context = {"invitation": invitation, "link": link, "inviter": invited_by}
    transaction.on_commit(
        lambda: send_mail(
            subject=f"Invitation to {organization.name} on Careboard",
            message=render_to_string("organizations/email/invitation.txt", context),
            from_email=None,
            recipient_list=[email],
        )
    )
    return invitation, token


def invitation_for_token(token: str) -> Invitation | None:
    """The pending invitation a token belongs to, or None (unknown, used, revoked, expired)."""
    return (
        Invitation.objects.pending()
        .select_related("organization")
        .filter(token_hash=digest(token))
        .first()
    )


def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Accept an invitation for ``user``, whose e-mail must be the invited one."""
    if user.email.lower() != invitation.email.lower():
        raise Conflict("This invitation was sent to another e-mail address.")
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.status != "pending":
            raise Conflict("This invitation is no longer valid.")
        membership, _created = Membership.objects.get_or_create(
            user=user, organization=locked.organization, defaults={"role": locked.role}
        )
        locked.accepted_at = timezone.now()
        locked.accepted_by = user
        locked.save(update_fields=["accepted_at", "accepted_by"])
    access.forget_roles(user)
    return membership


def invitation_accept_new_user(*, invitation: Invitation, name: str, password: str) -> User:
    """Create the invited person's account (their e-mail is verified by the link) and join."""
    from allauth.account.models import EmailAddress

    with transaction.atomic():
        user = User.objects.create_user(email=invitation.email, password=password, name=name)
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        invitation_accept(invitation=invitation, user=user)
    return user


def invitation_revoke(*, invitation: Invitation) -> Invitation:
    if invitation.status == "pending":
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation
