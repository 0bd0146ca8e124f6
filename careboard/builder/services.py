"""Writes on the exercise library and on programs (sessions → items).

Every change of a program, its sessions or its items runs under a row lock on the program,
checks the version the caller edited (the ``If-Match`` of the API) and increments
``Program.version``, so that two therapists editing one program never silently overwrite
each other. A program tree is written all or nothing: every row is validated first, and the
errors name the row's path (``sessions[1].items[3].reps``) as the API reports them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Q

from careboard.builder import video
from careboard.builder.models import (
    DOSAGE_FIELDS,
    Exercise,
    Program,
    ProgramItem,
    ProgramSession,
    ProgramStatus,
)
from careboard.core.problems import Conflict, PreconditionFailed
from careboard.organizations.models import Organization
from careboard.users.models import User

__all__ = [
    "ValidationError",
    "exercise_create",
    "exercise_refresh_derived",
    "exercise_update",
    "program_create",
    "program_duplicate",
    "program_instantiate",
    "program_item_add",
    "program_item_delete",
    "program_item_update",
    "program_reorder",
    "program_replace",
    "program_update",
]

EXERCISE_FIELDS = (
    "name",
    "instructions",
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
    "thumbnail_url",
    "translations",
    "archived",
)
PROGRAM_FIELDS = ("name", "description", "status", "duration_weeks", "is_template")
SESSION_FIELDS = ("name", "times_per_day", "days_of_week")
ITEM_FIELDS = ("exercise", *DOSAGE_FIELDS)

# Exercises ---------------------------------------------------------------------------


def exercise_create(
    *, organization: Organization | None, by: User | None, **fields: Any
) -> Exercise:
    """Add an exercise to an organisation's own library, or with ``organization`` None to
    the shared global library (the starter library; the API never does)."""
    exercise = Exercise(organization=organization, created_by=by)
    return _exercise_save(exercise, fields)


def exercise_update(*, exercise: Exercise, **fields: Any) -> Exercise:
    """Edit an exercise; ``archived=True`` archives it (it stays in existing programs)."""
    return _exercise_save(exercise, fields)


def _exercise_save(exercise: Exercise, fields: Mapping[str, Any]) -> Exercise:
    unknown = set(fields) - set(EXERCISE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown exercise fields: {', '.join(sorted(unknown))}")
    previous_video_url = exercise.video_url
    for name, value in fields.items():
        setattr(exercise, name, value)
    exercise.full_clean(exclude=["organization", "created_by"])
    exercise_refresh_derived(exercise=exercise, previous_video_url=previous_video_url)
    exercise.save()
    return exercise


def exercise_refresh_derived(*, exercise: Exercise, previous_video_url: str = "") -> None:
    """Fill the fields derived from the others (not saved): the parsed video and the
    search text. A thumbnail taken from the previous video follows the new one; a thumbnail
    the therapist chose stays."""
    previous_thumbnail = _derived_thumbnail(previous_video_url)
    parsed = video.parse_video_url(exercise.video_url) if exercise.video_url else None
    exercise.video_provider = parsed.provider.value if parsed else ""
    exercise.video_id = parsed.id if parsed else ""
    exercise.embed_url = parsed.embed_url if parsed else ""
    if parsed:
        exercise.video_url = parsed.url
    if not exercise.thumbnail_url or exercise.thumbnail_url == previous_thumbnail:
        exercise.thumbnail_url = parsed.thumbnail_url if parsed else ""
    exercise.search_text = exercise_search_text(
        name=exercise.name,
        instructions=exercise.instructions,
        translations=exercise.translations,
    )


def exercise_search_text(
    *, name: str, instructions: Iterable[str], translations: Mapping[str, Any]
) -> str:
    """Lower-cased name and steps in every language: one column that ``contains`` searches
    on every database, whatever language the therapist types in."""
    parts = [name, *instructions]
    for text in (translations or {}).values():
        parts.append(str(text.get("name", "")))
        parts.extend(str(step) for step in text.get("instructions", []))
    return "\n".join(part.strip() for part in parts if part).lower()


def _derived_thumbnail(video_url: str) -> str:
    try:
        return video.parse_video_url(video_url).thumbnail_url if video_url else ""
    except video.VideoURLError:
        return ""


# Programs: the whole tree ----------------------------------------------------------------


@transaction.atomic
def program_create(
    *,
    organization: Organization,
    by: User | None,
    name: str,
    description: str = "",
    status: str = ProgramStatus.DRAFT,
    duration_weeks: int = 4,
    is_template: bool = False,
    sessions: Sequence[Mapping[str, Any]] = (),
) -> Program:
    """Create a program with its sessions and items, all or nothing.

    ``sessions``: ``[{"name", "times_per_day", "days_of_week", "items": [{"exercise": id
    or Exercise, "reps", …}]}]``, in order.
    """
    program = Program(
        organization=organization,
        created_by=by,
        name=name,
        description=description,
        status=status,
        duration_weeks=duration_weeks,
        is_template=is_template,
    )
    plan = _plan_tree(program, sessions, existing=[])
    program.save()
    _write_tree(program, plan)
    return program


@transaction.atomic
def program_replace(
    *,
    program: Program,
    expected_version: int,
    name: str,
    description: str = "",
    status: str = ProgramStatus.DRAFT,
    duration_weeks: int = 4,
    is_template: bool = False,
    sessions: Sequence[Mapping[str, Any]] = (),
) -> Program:
    """Replace a program's fields and tree (PUT). Sessions and items that carry the ``id``
    of one of this program's rows update that row (an item may move to another session);
    rows without an id are added; rows left out are deleted."""
    program = _lock(program, expected_version)
    for field, value in (
        ("name", name),
        ("description", description),
        ("status", status),
        ("duration_weeks", duration_weeks),
        ("is_template", is_template),
    ):
        setattr(program, field, value)
    existing = list(
        ProgramSession.objects.filter(program=program).prefetch_related("items__exercise")
    )
    plan = _plan_tree(program, sessions, existing=existing)
    _write_tree(program, plan)
    _bump(program)
    return program


@transaction.atomic
def program_update(*, program: Program, expected_version: int, **fields: Any) -> Program:
    """Change program-level fields (PATCH): name, description, status, duration, template."""
    unknown = set(fields) - set(PROGRAM_FIELDS)
    if unknown:
        raise TypeError(f"Unknown program fields: {', '.join(sorted(unknown))}")
    program = _lock(program, expected_version)
    for name, value in fields.items():
        setattr(program, name, value)
    program.full_clean(exclude=["organization", "created_by"])
    if program.status == ProgramStatus.PUBLISHED and not _has_items(program):
        raise ValidationError({"status": [_EMPTY_PUBLISHED]})
    _bump(program)
    return program


@transaction.atomic
def program_reorder(
    *,
    program: Program,
    expected_version: int,
    session_ids: Sequence[Any] | None = None,
    item_ids: Mapping[Any, Sequence[Any]] | None = None,
) -> Program:
    """Reorder sessions, and items within (or between) sessions.

    ``session_ids`` lists every session of the program in its new order. ``item_ids`` maps a
    session id to its items in their new order; an item may come from another session when
    that session is listed too, so that every item moved is accounted for once.
    """
    program = _lock(program, expected_version)
    sessions = {
        s.pk: s for s in ProgramSession.objects.filter(program=program).prefetch_related("items")
    }
    errors: dict[str, list[str]] = {}
    if session_ids is not None and (
        len(set(session_ids)) != len(session_ids) or set(session_ids) != set(sessions)
    ):
        errors["sessions"] = ["List every session of the program exactly once."]
    moves: list[tuple[ProgramItem, ProgramSession, int]] = []
    if item_ids:
        unknown = [str(sid) for sid in item_ids if sid not in sessions]
        if unknown:
            errors["items"] = [f"Not a session of this program: {', '.join(unknown)}."]
        else:
            current = {i.pk: i for sid in item_ids for i in sessions[sid].items.all()}
            listed = [iid for ids in item_ids.values() for iid in ids]
            if len(set(listed)) != len(listed) or set(listed) != set(current):
                errors["items"] = [
                    "List every item of the listed sessions exactly once; an item moved "
                    "from another session needs that session listed too."
                ]
            else:
                for sid, ids in item_ids.items():
                    moves.extend(
                        (current[iid], sessions[sid], index)
                        for index, iid in enumerate(ids, start=1)
                    )
    if errors:
        raise ValidationError(errors)
    if session_ids is not None:
        for index, sid in enumerate(session_ids, start=1):
            _save_if_changed(sessions[sid], position=index)
    for item, session, index in moves:
        _save_if_changed(item, session=session, position=index)
    _bump(program)
    return program


@transaction.atomic
def program_duplicate(*, program: Program, by: User | None, name: str = "") -> Program:
    """A copy of the program (a template stays a template), as a new draft."""
    return _copy(program, by=by, name=name or f"{program.name} (copy)", is_template=None)


@transaction.atomic
def program_instantiate(*, template: Program, by: User | None, name: str = "") -> Program:
    """New from template: a new draft program (not a template) with the template's tree."""
    if not template.is_template:
        raise Conflict("This program is not a template.")
    return _copy(template, by=by, name=name or template.name, is_template=False)


# Programs: one item -------------------------------------------------------------------------


@transaction.atomic
def program_item_add(
    *,
    program: Program,
    session: ProgramSession,
    expected_version: int,
    position: int | None = None,
    **fields: Any,
) -> ProgramItem:
    """Add an item to a session at ``position`` (1-based; None: at the end). The item's
    ``session.program`` is the program at its new version."""
    program = _lock(program, expected_version)
    session.program = program
    items = list(session.items.order_by("position"))
    index = len(items) if position is None else max(0, min(position - 1, len(items)))
    item = ProgramItem(session=session, position=index + 1)
    _apply_item(item, fields, organization_id=program.organization_id, old_exercise_id=None)
    for later, existing in enumerate(items[index:], start=index + 2):
        _save_if_changed(existing, position=later)
    item.save()
    _bump(program)
    return item


@transaction.atomic
def program_item_update(
    *, program: Program, item: ProgramItem, expected_version: int, **fields: Any
) -> ProgramItem:
    """Change one item's exercise or dosage. The item's ``session.program`` is the program
    at its new version."""
    program = _lock(program, expected_version)
    item.session.program = program
    _apply_item(
        item, fields, organization_id=program.organization_id, old_exercise_id=item.exercise_id
    )
    item.save()
    _bump(program)
    return item


@transaction.atomic
def program_item_delete(*, program: Program, item: ProgramItem, expected_version: int) -> Program:
    """Remove one item; the items after it move up. Returns the program at its new
    version."""
    program = _lock(program, expected_version)
    if (
        program.status == ProgramStatus.PUBLISHED
        and not ProgramItem.objects.filter(session__program=program).exclude(pk=item.pk).exists()
    ):
        raise ValidationError(_EMPTY_PUBLISHED)
    session = item.session
    item.delete()
    for index, rest in enumerate(session.items.order_by("position"), start=1):
        _save_if_changed(rest, position=index)
    _bump(program)
    return program


# Internals -----------------------------------------------------------------------------------

_EMPTY_PUBLISHED = "A published program needs at least one exercise."
_UNKNOWN_EXERCISE = "No such exercise in this organisation's library."
_ARCHIVED_EXERCISE = "This exercise is archived; choose another."


def _lock(program: Program, expected_version: int) -> Program:
    """The program's row, locked until commit, if it is still at ``expected_version``."""
    locked = Program.objects.select_for_update().get(pk=program.pk)
    if locked.version != expected_version:
        raise PreconditionFailed()
    return locked


def _bump(program: Program) -> None:
    # Every change of the tree is a new version of the program (its ETag); the program
    # row is locked, so the increment cannot race.
    program.version += 1
    program.save()


def _has_items(program: Program) -> bool:
    return ProgramItem.objects.filter(session__program=program).exists()


def _save_if_changed(instance: Any, **values: Any) -> None:
    """Save only when something changes: no empty history rows."""
    changed = False
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    if changed:
        instance.save()


def _exercises_for(organization_id: Any, ids: Iterable[Any]) -> dict[Any, Exercise]:
    """The exercises among ``ids`` that the organisation may use: its own and the global
    library's (one query)."""
    return {
        e.pk: e
        for e in Exercise.objects.filter(
            Q(organization_id=organization_id) | Q(organization__isnull=True), pk__in=set(ids)
        )
    }


def _exercise_id(value: Any) -> Any:
    return value.pk if isinstance(value, Exercise) else value


def _apply_item(
    item: ProgramItem,
    fields: Mapping[str, Any],
    *,
    organization_id: Any,
    old_exercise_id: Any,
) -> None:
    """Set and validate one item's fields (single-item edits)."""
    unknown = set(fields) - set(ITEM_FIELDS)
    if unknown:
        raise TypeError(f"Unknown item fields: {', '.join(sorted(unknown))}")
    values = dict(fields)
    if "exercise" in values:
        exercise_id = _exercise_id(values.pop("exercise"))
        exercise = _exercises_for(organization_id, [exercise_id]).get(exercise_id)
        if exercise is None:
            raise ValidationError({"exercise": [_UNKNOWN_EXERCISE]})
        if exercise.archived and exercise.pk != old_exercise_id:
            raise ValidationError({"exercise": [_ARCHIVED_EXERCISE]})
        item.exercise = exercise
    for name, value in values.items():
        setattr(item, name, value)
    item.full_clean(exclude=["session"], validate_unique=False, validate_constraints=False)


class _Plan:
    """A validated program tree, ready to write."""

    def __init__(self) -> None:
        self.sessions: list[tuple[ProgramSession, list[ProgramItem]]] = []
        self.delete_sessions: list[ProgramSession] = []
        self.delete_items: list[ProgramItem] = []
        # The stored state of each existing row, to save only what changes.
        self.stored: dict[Any, tuple[Any, ...]] = {}


def _plan_tree(
    program: Program,
    sessions: Sequence[Mapping[str, Any]],
    *,
    existing: Sequence[ProgramSession],
) -> _Plan:
    """Build (without saving) the program's sessions and items from ``sessions`` and check
    every row; raise one ValidationError naming every row at fault by its path."""
    errors: dict[str, list[str]] = {}

    def add(path: str, error: ValidationError) -> None:
        for field, messages in error.message_dict.items():
            key = path if field == NON_FIELD_ERRORS else f"{path}.{field}" if path else field
            errors.setdefault(key or NON_FIELD_ERRORS, []).extend(messages)

    try:
        program.full_clean(exclude=["organization", "created_by"], validate_constraints=False)
    except ValidationError as exc:
        add("", exc)

    old_sessions = {s.pk: s for s in existing}
    old_items = {i.pk: i for s in existing for i in s.items.all()}
    exercises = _exercises_for(
        program.organization_id,
        (_exercise_id(i.get("exercise")) for s in sessions for i in s.get("items", ())),
    )
    plan = _Plan()
    seen_sessions: set[Any] = set()
    seen_items: set[Any] = set()
    for s_index, s_data in enumerate(sessions):
        s_path = f"sessions[{s_index}]"
        session_id = s_data.get("id")
        if session_id is not None and (
            session_id not in old_sessions or session_id in seen_sessions
        ):
            errors.setdefault(f"{s_path}.id", []).append("Not a session of this program.")
            session_id = None
        session = old_sessions[session_id] if session_id else ProgramSession(program=program)
        if session_id:
            plan.stored[session_id] = _session_state(session)
        seen_sessions.add(session_id)
        session.position = s_index + 1
        for field in SESSION_FIELDS:
            if field in s_data:
                setattr(session, field, s_data[field])
        session.days_of_week = sorted(session.days_of_week or [])
        try:
            session.full_clean(
                exclude=["program"], validate_unique=False, validate_constraints=False
            )
        except ValidationError as exc:
            add(s_path, exc)
        items: list[ProgramItem] = []
        for i_index, i_data in enumerate(s_data.get("items", ())):
            i_path = f"{s_path}.items[{i_index}]"
            item_id = i_data.get("id")
            if item_id is not None and (item_id not in old_items or item_id in seen_items):
                errors.setdefault(f"{i_path}.id", []).append("Not an item of this program.")
                item_id = None
            item = old_items[item_id] if item_id else ProgramItem()
            if item_id:
                plan.stored[item_id] = _item_state(item)
            seen_items.add(item_id)
            old_exercise_id = item.exercise_id if item_id else None
            item.position = i_index + 1
            for field in ITEM_FIELDS:
                if field != "exercise" and field in i_data:
                    setattr(item, field, i_data[field])
            exercise = exercises.get(_exercise_id(i_data.get("exercise")))
            if exercise is None:
                errors.setdefault(f"{i_path}.exercise", []).append(_UNKNOWN_EXERCISE)
            elif exercise.archived and exercise.pk != old_exercise_id:
                # An item keeps an exercise archived since; only new choices are refused.
                errors.setdefault(f"{i_path}.exercise", []).append(_ARCHIVED_EXERCISE)
            else:
                item.exercise = exercise
            try:
                item.full_clean(
                    exclude=["session", "exercise"],
                    validate_unique=False,
                    validate_constraints=False,
                )
            except ValidationError as exc:
                add(i_path, exc)
            items.append(item)
        plan.sessions.append((session, items))

    if program.status == ProgramStatus.PUBLISHED and not any(i for _s, i in plan.sessions):
        errors.setdefault("status", []).append(_EMPTY_PUBLISHED)
    if errors:
        raise ValidationError(errors)
    plan.delete_sessions = [s for pk, s in old_sessions.items() if pk not in seen_sessions]
    plan.delete_items = [i for pk, i in old_items.items() if pk not in seen_items]
    return plan


def _write_tree(program: Program, plan: _Plan) -> None:
    # Kept rows first, deletions last: an item moved out of a deleted session must be in its
    # new session before the old one's cascade runs. Positions may collide meanwhile; the
    # unique constraints are deferred to the commit.
    for session, items in plan.sessions:
        session.program = program
        if plan.stored.get(session.pk) != _session_state(session):
            session.save()
        for item in items:
            item.session = session
            if plan.stored.get(item.pk) != _item_state(item):
                item.save()
    for item in plan.delete_items:
        item.delete()
    for session in plan.delete_sessions:
        session.delete()


def _session_state(session: ProgramSession) -> tuple[Any, ...]:
    return (session.position, *(getattr(session, f) for f in SESSION_FIELDS))


def _item_state(item: ProgramItem) -> tuple[Any, ...]:
    return (
        item.session_id,
        item.position,
        item.exercise_id,
        *(getattr(item, f) for f in DOSAGE_FIELDS),
    )


def _copy(source: Program, *, by: User | None, name: str, is_template: bool | None) -> Program:
    program = Program.objects.create(
        organization=source.organization,
        created_by=by,
        name=name[:200],
        description=source.description,
        status=ProgramStatus.DRAFT,
        duration_weeks=source.duration_weeks,
        is_template=source.is_template if is_template is None else is_template,
    )
    sessions = ProgramSession.objects.filter(program=source).prefetch_related("items")
    for old in sessions:
        session = ProgramSession.objects.create(
            program=program,
            position=old.position,
            **{field: getattr(old, field) for field in SESSION_FIELDS},
        )
        for item in old.items.all():
            ProgramItem.objects.create(
                session=session,
                position=item.position,
                exercise_id=item.exercise_id,
                **{field: getattr(item, field) for field in DOSAGE_FIELDS},
            )
    return program
