"""GET/POST /handouts/<assignment id>/: the printable handout and its portal QR code."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from careboard.builder.assignments import organization_today
from careboard.builder.handouts import qr_svg
from careboard.builder.models import PortalToken
from careboard.builder.tests.assignment_factories import ExerciseFactory, assign, make_program
from careboard.patients.tests.factories import PatientFactory
from careboard.users.tokens import digest

pytestmark = pytest.mark.django_db


@pytest.fixture
def assigned(organization, therapist):
    today = organization_today(organization)
    return assign(
        program=make_program(organization, name="Knee rehab", description="After surgery."),
        patient=PatientFactory.create(
            organization=organization, given_name="Ada", family_name="Lovelace", mrn="OP-7"
        ),
        by=therapist,
        start_date=today,
        end_date=today + dt.timedelta(days=27),
    )


@pytest.fixture
def assignment(assigned):
    return assigned[0]


def url(assignment) -> str:
    return f"/handouts/{assignment.pk}/"


def browser(user=None, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    if user is not None:
        client.force_login(user)
    return client


def live_tokens(assignment) -> list[PortalToken]:
    return list(PortalToken.objects.active().filter(assignment=assignment))


def printed_link(html: str) -> str:
    match = re.search(r'<p class="handout-link">([^<]+)</p>', html)
    assert match, "no portal link printed"
    return match.group(1)


def test_therapist_prints_the_handout(assignment, therapist):
    response = browser(therapist).get(url(assignment))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Knee rehab</h1>" in html
    assert "Ada Lovelace · OP-7" in html
    assert "After surgery." in html
    # Sessions, days, exercises, this week's dosage, progression and instructions.
    assert "Monday, Wednesday, Friday · once a day" in html
    assert "Every day · 2 times a day" in html
    assert "<h3>Squat</h3>" in html
    assert "3 sets × 10 repetitions · rest 30 s" in html
    assert "Each week add 2 repetitions, up to 14." in html
    assert "2 sets · hold 30 s" in html
    assert "10 min" in html
    assert "<li>Stand tall.</li>" in html
    # No QR code without a token; the ways to get one are offered.
    assert "<svg" not in html
    assert 'name="issue"' in html
    assert 'name="token"' in html
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


def test_the_page_obeys_the_content_security_policy(assignment, therapist):
    response = browser(therapist).post(url(assignment), {"issue": "1"})
    html = response.content.decode()
    assert "<svg" in html
    assert "<style" not in html
    assert "style=" not in html
    assert "<script" not in html
    assert "/static/css/handout.css" in html
    policy = response["Content-Security-Policy"]
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_issuing_a_new_link_shows_its_qr_code_once(assignment, assigned, therapist):
    old_secret = assigned[1]
    response = browser(therapist).post(url(assignment), {"issue": "1"})

    assert response.status_code == 200
    html = response.content.decode()
    link = printed_link(html)
    secret = link.split("#", 1)[1]
    assert link == f"http://testserver/portal/#{secret}"
    assert str(qr_svg(link)) in html
    (token,) = live_tokens(assignment)
    assert token.token_hash == digest(secret)
    assert secret != old_secret
    assert "A new portal link was issued" in html
    # The new link is not shown again.
    assert secret not in browser(therapist).get(url(assignment)).content.decode()


def test_the_current_token_shows_its_qr_code_without_a_new_link(assignment, assigned, therapist):
    secret = assigned[1]
    response = browser(therapist).post(url(assignment), {"token": secret})
    assert response.status_code == 200
    html = response.content.decode()
    assert printed_link(html) == f"http://testserver/portal/#{secret}"
    assert str(qr_svg(f"http://testserver/portal/#{secret}")) in html
    (token,) = live_tokens(assignment)
    assert token.token_hash == digest(secret)


@pytest.mark.parametrize("given", ["", "cbp_not-the-token", "REVOKED"])
def test_a_wrong_token_shows_no_qr_code(assignment, assigned, therapist, given):
    if given == "REVOKED":
        given = assigned[1]
        browser(therapist).post(url(assignment), {"issue": "1"})
    before = [t.pk for t in live_tokens(assignment)]
    response = browser(therapist).post(url(assignment), {"token": given})
    assert response.status_code == 400
    html = response.content.decode()
    assert "This is not the current portal link of this program." in html
    assert "<svg" not in html
    assert [t.pk for t in live_tokens(assignment)] == before


def test_the_token_is_never_taken_from_the_url(assignment, assigned, therapist):
    response = browser(therapist).get(url(assignment) + f"?token={assigned[1]}")
    assert response.status_code == 200
    assert "<svg" not in response.content.decode()


def test_viewer_prints_but_cannot_issue_a_link(assignment, assigned, viewer):
    client = browser(viewer)
    html = client.get(url(assignment)).content.decode()
    assert "<h1>Knee rehab</h1>" in html
    assert 'name="issue"' not in html
    assert client.post(url(assignment), {"issue": "1"}).status_code == 403
    (token,) = live_tokens(assignment)
    assert token.token_hash == digest(assigned[1])


def test_ended_program_offers_no_link(assignment, therapist, client_for):
    client_for(therapist).post(f"/api/v1/assignments/{assignment.pk}/end/")
    client = browser(therapist)
    html = client.get(url(assignment)).content.decode()
    assert "This program has ended; it has no portal link." in html
    assert 'name="issue"' not in html
    assert client.post(url(assignment), {"issue": "1"}).status_code == 403
    assert live_tokens(assignment) == []


def test_outsider_gets_404(assignment, outsider):
    assert browser(outsider).get(url(assignment)).status_code == 404
    assert browser(outsider).post(url(assignment), {"issue": "1"}).status_code == 404
    assert len(live_tokens(assignment)) == 1


def test_anonymous_visitor_is_sent_to_sign_in(assignment):
    response = browser().get(url(assignment))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/handouts/")
    assert browser().post(url(assignment), {"issue": "1"}).status_code == 302
    assert len(live_tokens(assignment)) == 1


def test_staff_bearer_tokens_do_not_open_the_page(assignment, assigned, client_for, therapist):
    # The handout is a session page: a bearer token (staff or portal) is not a sign-in.
    assert client_for(therapist).get(url(assignment)).status_code == 302


def test_posting_without_the_csrf_token_is_refused(assignment, therapist):
    response = browser(therapist, csrf=True).post(url(assignment), {"issue": "1"})
    assert response.status_code == 403
    assert len(live_tokens(assignment)) == 1


def test_the_handout_speaks_the_patients_language(organization, therapist):
    today = organization_today(organization)
    program = make_program(organization)
    item = program.sessions.get(name="Strength").items.get(position=1)
    item.exercise = ExerciseFactory.create(
        organization=organization,
        name="Squat",
        translations={"de": {"name": "Kniebeuge", "instructions": ["Aufrecht stehen."]}},
    )
    item.save()
    assignment, _ = assign(
        program=program,
        patient=PatientFactory.create(organization=organization, preferred_language="de"),
        by=therapist,
        start_date=today,
    )
    html = browser(therapist).get(url(assignment)).content.decode()
    assert '<article class="handout">' in html
    assert "<h3>Kniebeuge</h3>" in html
    assert "<li>Aufrecht stehen.</li>" in html
