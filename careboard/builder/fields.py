"""A set of vocabulary codes stored so that every database can filter on it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django import forms
from django.db import models
from django.db.models import Q

# Model fields are generic (set type, get type) only in django-stubs, not at runtime.
if TYPE_CHECKING:
    _CharField = models.CharField[Iterable[str] | None, list[str]]
else:
    _CharField = models.CharField


class CodeSetField(_CharField):
    """A list of codes stored as ``,a,b,`` (sorted, unique).

    JSON containment lookups do not exist on SQLite (the embedded default); the wrapped form
    lets ``has_code`` filter with a plain ``contains`` on every backend.
    """

    def __init__(
        self, *args: Any, codes: type[models.TextChoices] | None = None, **kwargs: Any
    ) -> None:
        self.codes = codes
        kwargs.setdefault("max_length", 400)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", list)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.codes is not None:
            kwargs["codes"] = self.codes
        return name, path, args, kwargs

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> list[str]:
        return self.to_python(value)

    def to_python(self, value: Any) -> list[str]:
        if value is None or value == "":
            return []
        if isinstance(value, str):
            return [code for code in value.split(",") if code]
        return sorted(set(value))

    def get_prep_value(self, value: Any) -> str:
        codes = self.to_python(value)
        return f",{','.join(sorted(set(codes)))}," if codes else ""

    def value_to_string(self, obj: Any) -> str:
        return self.get_prep_value(self.value_from_object(obj))

    def validate(self, value: Any, model_instance: Any) -> None:
        # Validate each code against the vocabulary, not the joined string.
        if self.codes is not None and value:
            allowed = set(self.codes.values)
            unknown = [code for code in value if code not in allowed]
            if unknown:
                from django.core.exceptions import ValidationError

                raise ValidationError(f"Unknown code(s): {', '.join(unknown)}.")
        if not self.blank and not value:
            from django.core.exceptions import ValidationError

            raise ValidationError(self.error_messages["blank"], code="blank")

    def formfield(
        self,
        form_class: type[forms.Field] | None = None,
        choices_form_class: type[forms.ChoiceField] | None = None,
        **kwargs: Any,
    ) -> forms.Field | None:
        return None


def has_code(field: str, code: str) -> Q:
    """Filter rows whose ``CodeSetField`` ``field`` contains ``code``."""
    return Q(**{f"{field}__contains": f",{code},"})


def has_any_code(field: str, codes: Iterable[str]) -> Q:
    query = Q()
    for code in codes:
        query |= has_code(field, code)
    return query
