"""Exercise library and programs: input validation and output shapes.

Output and input are separate serializers where their shapes differ: a program is read with
its sessions, items and exercise summaries, and written with sessions and items inline.
Dosage ranges come from the model fields' validators; the rules between fields (some dosage,
a complete progression) are the model's ``clean``, run here too so that the API reports
every error of a program in one answer, each under its path.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from careboard.builder.models import (
    DOSAGE_FIELDS,
    MAX_STEPS,
    Exercise,
    Program,
    ProgramItem,
    ProgramSession,
    ProgramStatus,
    ProgressionField,
    validate_days_of_week,
)
from careboard.builder.vocabulary import BodyRegion, Equipment, Weekday
from careboard.organizations.api.scoping import ScopedPrimaryKeyRelatedField
from careboard.organizations.models import Organization
from careboard.organizations.roles import Capability

# One shape (and one schema component) for "who" across the API.
from careboard.patients.api.serializers import UserRefSerializer

# Big enough for any real program, small enough to bound one request's work.
MAX_SESSIONS = 30
MAX_ITEMS_PER_SESSION = 60

_LANGUAGES = [code for code, _name in settings.LANGUAGES]


def localized(exercise: Exercise, language: str | None) -> dict[str, Any]:
    """The exercise's name and steps in ``language`` where translated (else the original,
    with ``language`` None)."""
    translation = (exercise.translations or {}).get(language or "") or {}
    if not translation.get("name"):
        return {"language": None, "name": exercise.name, "instructions": exercise.instructions}
    return {
        "language": language,
        "name": translation["name"],
        "instructions": translation.get("instructions") or exercise.instructions,
    }


class LocalizedTextSerializer(serializers.Serializer[dict[str, Any]]):
    language = serializers.ChoiceField(
        choices=_LANGUAGES,
        allow_null=True,
        help_text="The language shown; null: the original text (no translation).",
    )
    name = serializers.CharField()
    instructions = serializers.ListField(child=serializers.CharField())


class TranslationSerializer(serializers.Serializer[dict[str, Any]]):
    name = serializers.CharField(max_length=200)
    instructions = serializers.ListField(
        child=serializers.CharField(max_length=1000),
        min_length=1,
        max_length=MAX_STEPS,
        required=False,
    )


# Exercises --------------------------------------------------------------------------------


class ExerciseSerializer(serializers.ModelSerializer[Exercise]):
    organization = ScopedPrimaryKeyRelatedField(
        capability=Capability.EXERCISE_VIEW,
        org_field="pk",
        queryset=Organization.objects.all(),
        required=False,
        allow_null=True,
        help_text="The owning organisation; null for the shared global library (read-only). "
        "On create, needed only when the caller may edit several organisations' libraries.",
    )
    is_global = serializers.SerializerMethodField()
    instructions = serializers.ListField(
        child=serializers.CharField(max_length=1000), min_length=1, max_length=MAX_STEPS
    )
    body_regions = serializers.ListField(
        child=serializers.ChoiceField(choices=BodyRegion.choices), required=False
    )
    equipment = serializers.ListField(
        child=serializers.ChoiceField(choices=Equipment.choices), required=False
    )
    translations = serializers.DictField(
        child=TranslationSerializer(),
        required=False,
        help_text=f"Name and steps per language ({', '.join(_LANGUAGES)}).",
    )
    # A plain string: empty when the exercise has no video, which `format: uri` refuses.
    embed_url = serializers.CharField(
        read_only=True, help_text="The privacy-enhanced player URL; empty without a video."
    )
    display = serializers.SerializerMethodField(
        help_text="Name and steps in the caller's language (their profile's, else "
        "Accept-Language) where a translation exists; `name` and `instructions` stay the "
        "original."
    )

    class Meta:
        model = Exercise
        fields = (
            "id",
            "organization",
            "is_global",
            "name",
            "instructions",
            "display",
            "translations",
            "body_regions",
            "equipment",
            "difficulty",
            "position",
            "default_sets",
            "default_reps",
            "default_hold_seconds",
            "default_duration_seconds",
            "default_rest_seconds",
            "video_url",
            "video_provider",
            "video_id",
            "embed_url",
            "thumbnail_url",
            "archived",
            "created_at",
            "updated_at",
        )
        read_only_fields = (
            "id",
            "video_provider",
            "video_id",
            "embed_url",
            "created_at",
            "updated_at",
        )
        extra_kwargs = {
            "video_url": {
                "help_text": "YouTube, Vimeo, or an HTTPS link to an .mp4/.webm/.m3u8 file."
            },
            "thumbnail_url": {"help_text": "HTTPS image; defaults to the video's (YouTube)."},
        }

    def get_is_global(self, exercise: Exercise) -> bool:
        return exercise.organization_id is None

    @extend_schema_field(LocalizedTextSerializer)
    def get_display(self, exercise: Exercise) -> dict[str, Any]:
        return localized(exercise, self.context.get("language"))

    def validate_organization(self, value: Organization | None) -> Organization | None:
        if value is None:
            raise serializers.ValidationError("The shared global library is read-only.")
        return value

    def validate_translations(self, value: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(value) - set(_LANGUAGES))
        if unknown:
            raise serializers.ValidationError(f"Unknown language: {', '.join(unknown)}.")
        return value


class ExerciseSummarySerializer(serializers.ModelSerializer[Exercise]):
    """An exercise as a program item shows it."""

    display = serializers.SerializerMethodField()
    embed_url = serializers.CharField(read_only=True, help_text="Empty without a video.")

    class Meta:
        model = Exercise
        fields = (
            "id",
            "name",
            "display",
            "video_provider",
            "embed_url",
            "thumbnail_url",
            "archived",
        )
        read_only_fields = fields

    @extend_schema_field(LocalizedTextSerializer)
    def get_display(self, exercise: Exercise) -> dict[str, Any]:
        return localized(exercise, self.context.get("language"))


# Programs: output -------------------------------------------------------------------------


class ProgramItemSerializer(serializers.ModelSerializer[ProgramItem]):
    exercise_summary = ExerciseSummarySerializer(source="exercise", read_only=True)
    # Declared because a field made read-only through Meta loses ``allow_blank``, and the
    # schema would then leave out the "" of an item without a progression.
    progression_field = serializers.ChoiceField(
        choices=ProgressionField.choices,
        read_only=True,
        allow_blank=True,
        help_text="Empty: no weekly progression.",
    )

    class Meta:
        model = ProgramItem
        fields = (
            "id",
            "position",
            "exercise",
            "exercise_summary",
            *DOSAGE_FIELDS,
        )
        read_only_fields = fields


class ProgramSessionSerializer(serializers.ModelSerializer[ProgramSession]):
    days_of_week = serializers.ListField(
        child=serializers.ChoiceField(choices=Weekday.choices),
        help_text="Weekdays, Monday = 0; empty: every day.",
    )
    items = ProgramItemSerializer(many=True, read_only=True)

    class Meta:
        model = ProgramSession
        fields = ("id", "position", "name", "times_per_day", "days_of_week", "items")
        read_only_fields = fields


class ProgramListSerializer(serializers.ModelSerializer[Program]):
    created_by = UserRefSerializer(read_only=True, allow_null=True)
    session_count = serializers.IntegerField(read_only=True)
    item_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Program
        fields = (
            "id",
            "organization",
            "name",
            "description",
            "status",
            "duration_weeks",
            "is_template",
            "version",
            "session_count",
            "item_count",
            "created_by",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class ProgramSerializer(serializers.ModelSerializer[Program]):
    """A program with its sessions and items. ``version`` is also the ``ETag``."""

    created_by = UserRefSerializer(read_only=True, allow_null=True)
    sessions = ProgramSessionSerializer(many=True, read_only=True)

    class Meta:
        model = Program
        fields = (
            "id",
            "organization",
            "name",
            "description",
            "status",
            "duration_weeks",
            "is_template",
            "version",
            "created_by",
            "created_at",
            "updated_at",
            "sessions",
        )
        read_only_fields = fields


def _localized_values(item: dict[str, Any], language: str | None) -> dict[str, Any]:
    # ``localized`` for an exercise read as values (exercise__name, …).
    translation = (item["exercise__translations"] or {}).get(language or "") or {}
    if not translation.get("name"):
        return {
            "language": None,
            "name": item["exercise__name"],
            "instructions": item["exercise__instructions"],
        }
    return {
        "language": language,
        "name": translation["name"],
        "instructions": translation.get("instructions") or item["exercise__instructions"],
    }


_DATETIME = serializers.DateTimeField()


def program_detail_data(
    program: Program, sessions: list[dict[str, Any]], *, language: str | None
) -> dict[str, Any]:
    """``ProgramSerializer``'s output, built directly from the program and its tree as read
    by ``selectors.program_tree_values``: a program of 5 sessions x 10 items would otherwise
    run about a hundred nested serializers per request. ``ProgramSerializer`` stays the
    schema; a test holds the two to the same bytes."""
    creator = program.created_by
    return {
        "id": program.pk,
        "organization": program.organization_id,
        "name": program.name,
        "description": program.description,
        "status": program.status,
        "duration_weeks": program.duration_weeks,
        "is_template": program.is_template,
        "version": program.version,
        "created_by": (
            None if creator is None else {"id": creator.public_id, "name": creator.get_full_name()}
        ),
        "created_at": _DATETIME.to_representation(program.created_at),
        "updated_at": _DATETIME.to_representation(program.updated_at),
        "sessions": [
            {
                "id": session["id"],
                "position": session["position"],
                "name": session["name"],
                "times_per_day": session["times_per_day"],
                "days_of_week": session["days_of_week"],
                "items": [
                    {
                        "id": item["id"],
                        "position": item["position"],
                        "exercise": item["exercise_id"],
                        "exercise_summary": {
                            "id": item["exercise_id"],
                            "name": item["exercise__name"],
                            "display": _localized_values(item, language),
                            "video_provider": item["exercise__video_provider"],
                            "embed_url": item["exercise__embed_url"],
                            "thumbnail_url": item["exercise__thumbnail_url"],
                            "archived": item["exercise__archived"],
                        },
                        **{name: item[name] for name in DOSAGE_FIELDS},
                    }
                    for item in session["items"]
                ],
            }
            for session in sessions
        ],
    }


# Programs: input --------------------------------------------------------------------------


class ProgramItemWriteSerializer(serializers.ModelSerializer[ProgramItem]):
    id = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="On PUT: the id of an item of this program to keep (it may change "
        "session); leave out for a new item.",
    )
    exercise = serializers.UUIDField(
        help_text="An exercise of the organisation's library or the global one."
    )

    class Meta:
        model = ProgramItem
        # Any length: the PATCH and add shapes below derive theirs from this one.
        fields: tuple[str, ...] = (
            "id",
            "exercise",
            *DOSAGE_FIELDS,
        )
        validators: list[Any] = []

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        item = self.instance or ProgramItem()
        values = {
            name: attrs.get(name, getattr(item, name))
            for name in self.Meta.fields
            if name not in ("id", "exercise")
        }
        check = ProgramItem(**values)
        try:
            check.clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(serializers.as_serializer_error(exc)) from exc
        return attrs


class ProgramItemPatchSerializer(ProgramItemWriteSerializer):
    """One item's changes (PATCH); the fields left out keep their values."""

    class Meta(ProgramItemWriteSerializer.Meta):
        fields = tuple(f for f in ProgramItemWriteSerializer.Meta.fields if f != "id")


class ProgramItemAddSerializer(ProgramItemWriteSerializer):
    position = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text="1-based place in the session; left out: at the end.",
    )

    class Meta(ProgramItemWriteSerializer.Meta):
        fields = (
            *(f for f in ProgramItemWriteSerializer.Meta.fields if f != "id"),
            "position",
        )


class ProgramSessionWriteSerializer(serializers.Serializer[Any]):  # input only: no instance
    id = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="On PUT: the id of a session of this program to keep; leave out for a "
        "new session.",
    )
    name = serializers.CharField(max_length=120)
    times_per_day = serializers.IntegerField(min_value=1, max_value=6, default=1)
    days_of_week = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        default=list,
        validators=[validate_days_of_week],
        help_text="Weekdays, Monday = 0, each once; empty: every day.",
    )
    # many=True builds a ListSerializer, which takes max_length; the stubs type the call as
    # the child's __init__, which does not.
    items = ProgramItemWriteSerializer(  # type: ignore[call-arg]
        many=True, default=list, max_length=MAX_ITEMS_PER_SESSION
    )


class ProgramWriteSerializer(serializers.Serializer[Any]):  # input only: no instance
    """A whole program (POST, PUT): fields, sessions and items, in order."""

    organization = ScopedPrimaryKeyRelatedField(
        capability=Capability.PROGRAM_VIEW,
        org_field="pk",
        queryset=Organization.objects.all(),
        required=False,
        help_text="On create, needed only when the caller writes programs in several "
        "organisations. A program never changes organisation.",
    )
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(allow_blank=True, default="")
    status = serializers.ChoiceField(choices=ProgramStatus.choices, default=ProgramStatus.DRAFT)
    duration_weeks = serializers.IntegerField(min_value=1, max_value=104, default=4)
    is_template = serializers.BooleanField(default=False)
    # As ``items`` above: a ListSerializer's max_length, missing from the stubs.
    sessions = ProgramSessionWriteSerializer(  # type: ignore[call-arg]
        many=True, default=list, max_length=MAX_SESSIONS
    )


class ProgramPatchSerializer(serializers.Serializer[Any]):  # input only: no instance
    """Program-level fields (PATCH). Sessions and items change through PUT, reorder and
    the item routes."""

    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(allow_blank=True, required=False)
    status = serializers.ChoiceField(choices=ProgramStatus.choices, required=False)
    duration_weeks = serializers.IntegerField(min_value=1, max_value=104, required=False)
    is_template = serializers.BooleanField(required=False)


class ProgramReorderSerializer(serializers.Serializer[Any]):  # input only: no instance
    sessions = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        help_text="Every session id of the program, in the new order.",
    )
    items = serializers.DictField(
        child=serializers.ListField(child=serializers.UUIDField()),
        required=False,
        help_text="Session id → its item ids in the new order. An item moved from another "
        "session needs that session listed too.",
    )

    def validate_items(self, value: dict[str, list[Any]]) -> dict[Any, list[Any]]:
        try:
            return {uuid.UUID(key): ids for key, ids in value.items()}
        except ValueError as exc:
            raise serializers.ValidationError("Keys must be session ids.") from exc

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("sessions") and not attrs.get("items"):
            raise serializers.ValidationError("Give `sessions`, `items` or both.")
        return attrs


class ProgramCopySerializer(serializers.Serializer[Any]):  # input only: no instance
    name = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text="The new program's name (default: the source's, or '… (copy)').",
    )
