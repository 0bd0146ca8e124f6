"""Fixed, translatable vocabularies of the exercise library."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class BodyRegion(models.TextChoices):
    NECK = "neck", _("Neck")
    SHOULDER = "shoulder", _("Shoulder")
    UPPER_BACK = "upper_back", _("Upper back")
    LOWER_BACK = "lower_back", _("Lower back")
    CHEST = "chest", _("Chest")
    ELBOW = "elbow", _("Elbow")
    WRIST_HAND = "wrist_hand", _("Wrist and hand")
    CORE = "core", _("Core")
    HIP = "hip", _("Hip")
    KNEE = "knee", _("Knee")
    ANKLE_FOOT = "ankle_foot", _("Ankle and foot")
    FULL_BODY = "full_body", _("Full body")


class Equipment(models.TextChoices):
    NONE = "none", _("No equipment")
    MAT = "mat", _("Mat")
    CHAIR = "chair", _("Chair")
    WALL = "wall", _("Wall")
    STEP = "step", _("Step")
    TOWEL = "towel", _("Towel")
    RESISTANCE_BAND = "resistance_band", _("Resistance band")
    DUMBBELL = "dumbbell", _("Dumbbell")
    KETTLEBELL = "kettlebell", _("Kettlebell")
    BALL = "ball", _("Exercise ball")
    FOAM_ROLLER = "foam_roller", _("Foam roller")
    BALANCE_PAD = "balance_pad", _("Balance pad")


class Position(models.TextChoices):
    STANDING = "standing", _("Standing")
    SITTING = "sitting", _("Sitting")
    LYING_BACK = "lying_back", _("Lying on the back")
    LYING_FRONT = "lying_front", _("Lying on the front")
    SIDE_LYING = "side_lying", _("Lying on the side")
    KNEELING = "kneeling", _("Kneeling")
    HANDS_KNEES = "hands_knees", _("On hands and knees")


class Difficulty(models.TextChoices):
    EASY = "easy", _("Easy")
    MODERATE = "moderate", _("Moderate")
    HARD = "hard", _("Hard")


class Side(models.TextChoices):
    LEFT = "left", _("Left")
    RIGHT = "right", _("Right")
    BOTH = "both", _("Both")
    ALTERNATING = "alternating", _("Alternating")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")
