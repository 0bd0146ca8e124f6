"""Shapes of the patient portal (and of the snapshot parts the staff API shows too)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from careboard.builder.models import ActivityLog, ProgressionField
from careboard.builder.vocabulary import Side

MAX_SETS_DONE = 100
MAX_REPS_DONE = 1000
MAX_COMMENT = 2000


class SnapshotExerciseSerializer(serializers.Serializer[dict[str, Any]]):
    id = serializers.UUIDField()
    name = serializers.CharField()
    instructions = serializers.ListField(child=serializers.CharField())
    provider = serializers.CharField(help_text="youtube, vimeo, or the kind of direct link.")
    video_url = serializers.CharField()
    embed_url = serializers.CharField(help_text="Load only after the patient taps play.")
    thumbnail_url = serializers.CharField()


class DosageSerializer(serializers.Serializer[dict[str, Any]]):
    sets = serializers.IntegerField(allow_null=True)
    reps = serializers.IntegerField(allow_null=True)
    hold_seconds = serializers.IntegerField(allow_null=True)
    duration_seconds = serializers.IntegerField(allow_null=True)
    rest_seconds = serializers.IntegerField(allow_null=True)
    load_kg = serializers.FloatField(allow_null=True)
    side = serializers.ChoiceField(choices=Side.choices)
    tempo = serializers.CharField(allow_blank=True)
    notes = serializers.CharField(allow_blank=True)


class ProgressionSerializer(serializers.Serializer[dict[str, Any]]):
    field = serializers.ChoiceField(choices=ProgressionField.choices)
    step = serializers.FloatField(help_text="Added every week after the first.")
    cap = serializers.FloatField(allow_null=True, help_text="Never beyond this value.")


class PortalItemSerializer(serializers.Serializer[dict[str, Any]]):
    id = serializers.UUIDField()
    position = serializers.IntegerField()
    exercise = SnapshotExerciseSerializer()
    dosage = DosageSerializer(help_text="This week's dosage, progression applied.")
    progression = ProgressionSerializer(allow_null=True)
    done = serializers.IntegerField(help_text="Completed logs of this exercise today.")


class PortalSessionSerializer(serializers.Serializer[dict[str, Any]]):
    id = serializers.UUIDField()
    name = serializers.CharField()
    position = serializers.IntegerField()
    times_per_day = serializers.IntegerField()
    done = serializers.IntegerField(help_text="Times done today (at most times_per_day).")
    items = PortalItemSerializer(many=True)


class ActivityLogSerializer(serializers.ModelSerializer[ActivityLog]):
    class Meta:
        model = ActivityLog
        fields = (
            "id",
            "session_id",
            "item_id",
            "performed_on",
            "performed_at",
            "completed",
            "sets_done",
            "reps_done",
            "pain",
            "difficulty",
            "comment",
            "created_at",
        )
        read_only_fields = fields


class PortalProgramRefSerializer(serializers.Serializer[dict[str, Any]]):
    name = serializers.CharField()
    duration_weeks = serializers.IntegerField()
    start_date = serializers.DateField()
    end_date = serializers.DateField(allow_null=True)
    last_day = serializers.DateField(help_text="The last scheduled day.")


class PortalTodaySerializer(serializers.Serializer[dict[str, Any]]):
    date = serializers.DateField(help_text="Today, in the organisation's time zone.")
    week = serializers.IntegerField(
        allow_null=True, help_text="Program week (1-based); null before the start or after."
    )
    language = serializers.CharField(help_text="Language of names and instructions.")
    program = PortalProgramRefSerializer()
    sessions = PortalSessionSerializer(many=True)
    logs = ActivityLogSerializer(many=True, help_text="What was already logged today.")


class PortalProgramItemSerializer(serializers.Serializer[dict[str, Any]]):
    id = serializers.UUIDField()
    position = serializers.IntegerField()
    exercise = SnapshotExerciseSerializer()
    dosage = DosageSerializer(help_text="This week's dosage (week 1's before the start).")
    progression = ProgressionSerializer(allow_null=True)


class PortalProgramSessionSerializer(serializers.Serializer[dict[str, Any]]):
    id = serializers.UUIDField()
    name = serializers.CharField()
    position = serializers.IntegerField()
    times_per_day = serializers.IntegerField()
    days_of_week = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        help_text="Monday = 0; empty: every day.",
    )
    items = PortalProgramItemSerializer(many=True)


class PortalProgramSerializer(serializers.Serializer[dict[str, Any]]):
    name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    duration_weeks = serializers.IntegerField()
    start_date = serializers.DateField()
    end_date = serializers.DateField(allow_null=True)
    last_day = serializers.DateField()
    week = serializers.IntegerField(allow_null=True)
    language = serializers.CharField()
    sessions = PortalProgramSessionSerializer(many=True)


class LogCreateSerializer(serializers.Serializer[Any]):  # input only: no instance
    """What the patient reports. Nothing is defaulted here: the values as sent are the
    request an ``Idempotency-Key`` stands for."""

    session_id = serializers.UUIDField()
    item_id = serializers.UUIDField(
        required=False, allow_null=True, help_text="Omit to log the whole session."
    )
    performed_on = serializers.DateField(
        required=False, help_text="Default: today. Not in the future, not before the start."
    )
    completed = serializers.BooleanField(required=False, help_text="Default: true.")
    sets_done = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=MAX_SETS_DONE
    )
    reps_done = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=MAX_REPS_DONE
    )
    pain = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=10, help_text="0 none, 10 worst."
    )
    difficulty = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=10, help_text="0 easy, 10 hardest."
    )
    comment = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_COMMENT, trim_whitespace=True
    )

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        values: dict[str, Any] = super().to_internal_value(data)
        return values
