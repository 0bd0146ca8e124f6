"""The exercise library and the program builder.

Programs are edited concurrently by a team, so every response about one program carries
``ETag: "<version>"``, and every change needs ``If-Match`` with the version it edits:
missing → 428, stale → 412 and nothing changes. Neither exercises nor programs are deleted:
they are referenced by programs and assignments, so they are archived (``archived`` on an
exercise, ``status=archived`` on a program) and DELETE answers 405.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

import django_filters
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import translation
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from careboard.builder import selectors, services
from careboard.builder.api.serializers import (
    ExerciseSerializer,
    ProgramCopySerializer,
    ProgramItemAddSerializer,
    ProgramItemPatchSerializer,
    ProgramItemSerializer,
    ProgramListSerializer,
    ProgramPatchSerializer,
    ProgramReorderSerializer,
    ProgramSerializer,
    ProgramWriteSerializer,
    program_detail_data,
)
from careboard.builder.fields import has_any_code
from careboard.builder.models import Exercise, Program, ProgramItem, ProgramSession, ProgramStatus
from careboard.builder.vocabulary import BodyRegion, Difficulty, Equipment, Position
from careboard.core.idempotency import idempotent
from careboard.core.problems import PreconditionFailed, PreconditionRequired
from careboard.organizations import access
from careboard.organizations.api.scoping import ScopedViewSetMixin
from careboard.organizations.models import Organization
from careboard.organizations.roles import Capability
from careboard.users.signed_in import signed_in_user

# DRF's filter_queryset keeps whatever row type it is given (models, or values() dicts).
_Row = TypeVar("_Row")

_ETAG = re.compile(r'^(?:W/)?"(\d+)"$')

IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description='The program version being edited, as read from its ETag (`"3"`).',
)


def etag_header(*codes: int) -> OpenApiParameter:
    return OpenApiParameter(
        "ETag",
        str,
        OpenApiParameter.HEADER,
        response=list(codes),
        description='The program\'s version (`"3"`): send it back as If-Match to edit.',
    )


def request_language(request: Request) -> str:
    """The caller's language: their profile's, else the request's (Accept-Language)."""
    preferred = getattr(request.user, "language", "") or ""
    if preferred:
        try:
            return translation.get_supported_language_variant(preferred)
        except LookupError:
            pass
    return translation.get_language_from_request(request._request) or settings.LANGUAGE_CODE


def _django_errors(exc: DjangoValidationError) -> DRFValidationError:
    """A service ValidationError as the API's 400 (path keys such as
    ``sessions[1].items[3].reps`` pass through as they are)."""
    detail = serializers.as_serializer_error(exc)
    if NON_FIELD_ERRORS in detail:
        detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop(NON_FIELD_ERRORS)
    return DRFValidationError(detail)


def _organization_for_create(
    request: Request, chosen: Organization | None, capability: Capability
) -> Organization:
    """The organisation a new object goes to: the one given, else the caller's only one
    where ``capability`` is granted. A caller who may write nowhere gets the organisation
    they see, so the role check answers 403 rather than 400."""
    if chosen is None:
        user = request.user
        choices = access.organization_ids(user, capability) or access.organization_ids(
            user, Capability.ORGANIZATION_VIEW
        )
        if len(choices) != 1:
            raise DRFValidationError({"organization": ["This field is required."]})
        chosen = Organization.objects.get(pk=choices[0])
    access.require(request.user, capability, chosen.pk)
    return chosen


# Exercises ----------------------------------------------------------------------------------


# django-filter ships no types: its FilterSet is Any to mypy.
class ExerciseFilter(django_filters.FilterSet):  # type: ignore[misc]
    search = django_filters.CharFilter(
        method="filter_search", help_text="Words of the name or steps, in any language."
    )
    body_region = django_filters.MultipleChoiceFilter(
        choices=BodyRegion.choices,
        method="filter_body_region",
        help_text="Any of these regions (repeat the parameter).",
    )
    equipment = django_filters.MultipleChoiceFilter(
        choices=Equipment.choices,
        method="filter_equipment",
        help_text="Any of these (repeat the parameter).",
    )
    difficulty = django_filters.ChoiceFilter(choices=Difficulty.choices)
    position = django_filters.ChoiceFilter(choices=Position.choices)
    archived = django_filters.BooleanFilter(
        help_text="Archived exercises instead of the current ones (default false)."
    )

    class Meta:
        model = Exercise
        fields = ("search", "body_region", "equipment", "difficulty", "position", "archived")

    def filter_search(self, queryset: QuerySet[Exercise], name: str, value: str) -> Any:
        for word in value.lower().split():
            queryset = queryset.filter(search_text__contains=word)
        return queryset

    def filter_body_region(self, queryset: QuerySet[Exercise], name: str, value: Any) -> Any:
        return queryset.filter(has_any_code("body_regions", value)) if value else queryset

    def filter_equipment(self, queryset: QuerySet[Exercise], name: str, value: Any) -> Any:
        return queryset.filter(has_any_code("equipment", value)) if value else queryset


class ExerciseViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Exercise],
):
    """The exercise library: the shared global library (read-only) and the caller's
    organisations' own exercises. Names and steps come in the caller's language where
    translated (`display`). Admins and therapists add and edit their organisation's
    exercises; PATCH `archived=true` archives one (DELETE is not offered: programs keep
    referring to it)."""

    serializer_class = ExerciseSerializer
    view_capability = Capability.EXERCISE_VIEW
    write_capability = Capability.EXERCISE_MANAGE
    filterset_class = ExerciseFilter
    ordering_fields = ("name", "difficulty", "created_at", "updated_at")
    http_method_names = ("get", "post", "patch", "head", "options")
    lookup_value_converter = "uuid"

    def get_queryset(self) -> QuerySet[Exercise]:
        return selectors.exercises_visible_to(self.request.user)

    def filter_queryset(self, queryset: QuerySet[Exercise, _Row]) -> QuerySet[Exercise, _Row]:
        queryset = super().filter_queryset(queryset)
        # The library shows current exercises unless asked otherwise; an archived one
        # stays readable by id (programs still refer to it).
        if self.action == "list" and "archived" not in self.request.query_params:
            queryset = queryset.filter(archived=False)
        return queryset

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "language": request_language(self.request)}

    # The object is the one get_object() fetched, an Exercise; the mixin takes any Model.
    def check_object_permissions(self, request: Request, obj: Exercise) -> None:  # type: ignore[override]
        if obj.organization_id is None and self.capability_for_action() is not None:
            raise PermissionDenied("The shared global library is read-only.")
        super().check_object_permissions(request, obj)

    def perform_create(self, serializer: serializers.BaseSerializer[Exercise]) -> None:
        data = dict(serializer.validated_data)
        organization = _organization_for_create(
            self.request, data.pop("organization", None), Capability.EXERCISE_MANAGE
        )
        try:
            serializer.instance = services.exercise_create(
                organization=organization, by=signed_in_user(self.request), **data
            )
        except DjangoValidationError as exc:
            raise _django_errors(exc) from exc

    def perform_update(self, serializer: serializers.BaseSerializer[Exercise]) -> None:
        exercise = serializer.instance
        if exercise is None:  # update() always passes the object it fetched
            raise NotFound
        data = dict(serializer.validated_data)
        organization = data.pop("organization", None)
        if organization is not None and organization.pk != exercise.organization_id:
            raise DRFValidationError({"organization": ["An exercise cannot change owner."]})
        try:
            services.exercise_update(exercise=exercise, **data)
        except DjangoValidationError as exc:
            raise _django_errors(exc) from exc


# Programs ----------------------------------------------------------------------------------


class ProgramFilter(django_filters.FilterSet):  # type: ignore[misc]  # untyped, as above
    status = django_filters.ChoiceFilter(choices=ProgramStatus.choices)
    is_template = django_filters.BooleanFilter()
    search = django_filters.CharFilter(
        method="filter_search", help_text="Words of the name or description."
    )

    class Meta:
        model = Program
        fields = ("status", "is_template", "search")

    def filter_search(self, queryset: QuerySet[Program], name: str, value: str) -> Any:
        for word in value.split():
            queryset = queryset.filter(Q(name__icontains=word) | Q(description__icontains=word))
        return queryset


def expected_version(request: Request, program: Program) -> int:
    """The version named by ``If-Match`` if it is the program's current one.

    Missing → 428. ``*`` is refused too: it would skip the check that If-Match exists for.
    A weak tag (``W/"3"``) counts: the version is semantic, not a byte-level hash.
    """
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        raise PreconditionRequired()
    versions = set()
    for tag in header.split(","):
        match = _ETAG.match(tag.strip())
        if match:
            versions.add(int(match.group(1)))
    if program.version not in versions:
        raise PreconditionFailed()
    return program.version


def _with_etag(response: Response, program: Program) -> Response:
    response["ETag"] = f'"{program.version}"'
    return response


class ProgramViewSet(ScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet[Program]):
    """Programs and templates of the caller's organisations: sessions of exercises with
    their dosage. Therapists and physicians write; everyone on staff reads. Every response
    about one program carries its `ETag`; changes need `If-Match` (428 without, 412 when
    stale). Programs are archived (`status`), not deleted."""

    view_capability = Capability.PROGRAM_VIEW
    write_capability = Capability.PROGRAM_WRITE
    filterset_class = ProgramFilter
    ordering_fields = ("name", "created_at", "updated_at")
    http_method_names = ("get", "post", "put", "patch", "head", "options")
    lookup_value_converter = "uuid"

    _PROBLEMS_BY_ACTION: dict[str, tuple[int, ...]] = {
        "update": (412, 428),
        "partial_update": (412, 428),
        "reorder": (412, 428),
        "instantiate": (409,),
    }

    @property
    def extra_problem_statuses(self) -> tuple[int, ...]:
        """Read by the schema (``careboard.core.schema``): per action, not per view."""
        return self._PROBLEMS_BY_ACTION.get(self.action or "", ())

    def base_queryset(self) -> QuerySet[Program]:
        return Program.objects.all()

    def get_queryset(self) -> QuerySet[Program]:
        queryset = super().get_queryset()
        if self.action == "list":
            return selectors.program_list(queryset)
        if self.action == "retrieve":
            return queryset.select_related("created_by")
        return queryset

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Program]]:
        return ProgramListSerializer if self.action == "list" else ProgramSerializer

    def filter_queryset(self, queryset: QuerySet[Program, _Row]) -> QuerySet[Program, _Row]:
        # One program is found by its id among those the caller may see (get_queryset's
        # scope); the list's query-parameter filters are not for it, and building them
        # cost a detail request about a sixth of its time.
        if self.action == "retrieve":
            return queryset
        return super().filter_queryset(queryset)

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "language": request_language(self.request)}

    def _detail(self, program: Program, *, status_code: int = status.HTTP_200_OK) -> Response:
        program = Program.objects.select_related("created_by").get(pk=program.pk)
        sessions = selectors.program_tree_values(program=program)
        data = program_detail_data(program, sessions, language=request_language(self.request))
        return _with_etag(Response(data, status=status_code), program)

    @extend_schema(parameters=[etag_header(200)])
    def retrieve(self, request: Request, pk: str) -> Response:
        program = self.get_object()
        sessions = selectors.program_tree_values(program=program)
        data = program_detail_data(program, sessions, language=request_language(request))
        return _with_etag(Response(data), program)

    @extend_schema(
        request=ProgramWriteSerializer,
        responses={201: ProgramSerializer},
        parameters=[etag_header(201)],
    )
    @idempotent
    def create(self, request: Request) -> Response:
        serializer = ProgramWriteSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        organization = _organization_for_create(
            request, data.pop("organization", None), Capability.PROGRAM_WRITE
        )
        try:
            program = services.program_create(
                organization=organization, by=signed_in_user(request), **data
            )
        except DjangoValidationError as exc:
            raise _django_errors(exc) from exc
        return self._detail(program, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        request=ProgramWriteSerializer,
        responses=ProgramSerializer,
        parameters=[IF_MATCH, etag_header(200)],
    )
    def update(self, request: Request, pk: str) -> Response:
        """Replace the program with its sessions and items, all or nothing."""
        program = self.get_object()
        version = expected_version(request, program)
        serializer = ProgramWriteSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        organization = data.pop("organization", None)
        if organization is not None and organization.pk != program.organization_id:
            raise DRFValidationError({"organization": ["A program cannot change organisation."]})
        try:
            program = services.program_replace(program=program, expected_version=version, **data)
        except DjangoValidationError as exc:
            raise _django_errors(exc) from exc
        return self._detail(program)

    @extend_schema(
        request=ProgramPatchSerializer,
        responses=ProgramSerializer,
        parameters=[IF_MATCH, etag_header(200)],
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        """Change program-level fields (name, description, status, duration, template)."""
        program = self.get_object()
        version = expected_version(request, program)
        serializer = ProgramPatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            program = services.program_update(
                program=program, expected_version=version, **serializer.validated_data
            )
        except DjangoValidationError as exc:
            raise _django_errors(exc) from exc
        return self._detail(program)

    @extend_schema(
        request=ProgramReorderSerializer,
        responses=ProgramSerializer,
        parameters=[IF_MATCH, etag_header(200)],
    )
    @action(detail=True, methods=["post"])
    def reorder(self, request: Request, pk: str) -> Response:
        """Put sessions, and items within or between sessions, in a new order."""
        program = self.get_object()
        version = expected_version(request, program)
        serializer = ProgramReorderSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            program = services.program_reorder(
                program=program,
                expected_version=version,
                session_ids=serializer.validated_data.get("sessions"),
                item_ids=serializer.validated_data.get("items"),
            )
        except DjangoValidationError as exc:
            raise _django_errors(exc) from exc
        return self._detail(program)

    @extend_schema(
        request=ProgramCopySerializer,
        responses={201: ProgramSerializer},
        parameters=[etag_header(201)],
    )
    @action(detail=True, methods=["post"])
    def duplicate(self, request: Request, pk: str) -> Response:
        """A copy as a new draft (a template's copy is a template)."""
        program = self.get_object()
        serializer = ProgramCopySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        copy = services.program_duplicate(
            program=program,
            by=signed_in_user(request),
            name=serializer.validated_data.get("name", ""),
        )
        return self._detail(copy, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        request=ProgramCopySerializer,
        responses={201: ProgramSerializer},
        parameters=[etag_header(201)],
    )
    @action(detail=True, methods=["post"])
    def instantiate(self, request: Request, pk: str) -> Response:
        """New from template: a new draft program (not a template) with the template's
        sessions and items. 409 when the program is not a template."""
        template = self.get_object()
        serializer = ProgramCopySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        program = services.program_instantiate(
            template=template,
            by=signed_in_user(request),
            name=serializer.validated_data.get("name", ""),
        )
        return self._detail(program, status_code=status.HTTP_201_CREATED)


# One item ----------------------------------------------------------------------------------


def _program_for_write(request: Request, program_id: Any) -> Program:
    program = selectors.program_get_for_user(user=request.user, program_id=program_id)
    access.require(request.user, Capability.PROGRAM_WRITE, program.organization_id)
    return program


def _session_of(program: Program, session_id: Any) -> ProgramSession:
    try:
        return ProgramSession.objects.get(program=program, pk=session_id)
    except ProgramSession.DoesNotExist as exc:
        raise Http404 from exc


def _item_of(session: ProgramSession, item_id: Any) -> ProgramItem:
    try:
        return ProgramItem.objects.select_related("session").get(session=session, pk=item_id)
    except ProgramItem.DoesNotExist as exc:
        raise Http404 from exc


def _item_response(
    request: Request, item: ProgramItem, program: Program, status_code: int = 200
) -> Response:
    context = {"request": request, "language": request_language(request)}
    return _with_etag(
        Response(ProgramItemSerializer(item, context=context).data, status=status_code), program
    )


class ProgramItemsView(APIView):
    """Add one exercise to a session (the builder's drag-and-drop). Needs If-Match."""

    extra_problem_statuses = (412, 428)

    @extend_schema(
        request=ProgramItemAddSerializer,
        responses={201: ProgramItemSerializer},
        parameters=[IF_MATCH, etag_header(201)],
    )
    @idempotent
    def post(self, request: Request, program_id: str, session_id: str) -> Response:
        program = _program_for_write(request, program_id)
        session = _session_of(program, session_id)
        version = expected_version(request, program)
        serializer = ProgramItemAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        try:
            item = services.program_item_add(
                program=program,
                session=session,
                expected_version=version,
                position=data.pop("position", None),
                **data,
            )
        except DjangoValidationError as exc:
            raise _django_errors(exc) from exc
        return _item_response(request, item, item.session.program, status.HTTP_201_CREATED)


class ProgramItemView(APIView):
    """Change or remove one item of a session. Both need If-Match; the response's ETag is
    the program's new version."""

    extra_problem_statuses = (412, 428)

    @extend_schema(
        request=ProgramItemPatchSerializer,
        responses=ProgramItemSerializer,
        parameters=[IF_MATCH, etag_header(200)],
    )
    def patch(self, request: Request, program_id: str, session_id: str, item_id: str) -> Response:
        program = _program_for_write(request, program_id)
        item = _item_of(_session_of(program, session_id), item_id)
        version = expected_version(request, program)
        serializer = ProgramItemPatchSerializer(item, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            item = services.program_item_update(
                program=program, item=item, expected_version=version, **serializer.validated_data
            )
        except DjangoValidationError as exc:
            raise _django_errors(exc) from exc
        return _item_response(request, item, item.session.program)

    @extend_schema(
        responses={204: OpenApiResponse(description="Removed.")},
        parameters=[IF_MATCH, etag_header(204)],
    )
    def delete(self, request: Request, program_id: str, session_id: str, item_id: str) -> Response:
        program = _program_for_write(request, program_id)
        item = _item_of(_session_of(program, session_id), item_id)
        version = expected_version(request, program)
        try:
            program = services.program_item_delete(
                program=program, item=item, expected_version=version
            )
        except DjangoValidationError as exc:
            raise _django_errors(exc) from exc
        return _with_etag(Response(status=status.HTTP_204_NO_CONTENT), program)
