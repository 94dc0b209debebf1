"""A tagged union whose members are built only when a spec uses them.

Pydantic builds the validator of a discriminated union (``Field(discriminator="type")``) from
every member at once, which for the compile and train vocabularies (optimizers, schedules, losses,
metrics, callbacks, data sources, initializers...) costs more start-up time than linting a spec.
:class:`Tagged` validates a mapping with the one member its ``type`` names, building that
member's validator on first use, and reports a missing, unknown or non-mapping value with the
same error types, messages and context as Pydantic's tagged union. The JSON Schema is the
ordinary discriminated union of all members, built only when a schema is asked for.

A member may also be :class:`Later`: the name of a class in another module and the tags it
takes, so the class itself is created only when a spec names one of those tags (or a schema
or a tool asks for every member).
"""

from __future__ import annotations

import functools
import importlib
import typing
from typing import Any, NamedTuple

from pydantic import BaseModel, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic_core import PydanticCustomError, SchemaSerializer, core_schema


class Later(NamedTuple):
    """A member defined in ``module`` as ``name``, taking the ``type`` values ``tags``; imported on first use."""

    module: str
    name: str
    tags: tuple

    def load(self) -> type:
        return getattr(importlib.import_module(self.module), self.name)


def later(module: str, members: dict[str, tuple]) -> list[Later]:
    """:class:`Later` members of one module: class name -> its tags, in the union's order."""
    return [Later(module, name, tuple(tags)) for name, tags in members.items()]


class Tagged:
    """``Annotated[Base, Tagged(A, B, ...)]``: one of the models ``A``, ``B``... chosen by ``type``.

    A member is a model class, or a :class:`Later` naming one that is imported when needed."""

    def __init__(self, *members: type | Later) -> None:
        self.entries = members
        self.by_tag: dict[Any, type | Later] = {}
        for member in members:
            tags = member.tags if isinstance(member, Later) else typing.get_args(member.model_fields["type"].annotation)
            for tag in tags:
                self.by_tag.setdefault(tag, member)
        self.expected = ", ".join(repr(t) for t in self.by_tag)
        self._loaded = tuple(m for m in members if not isinstance(m, Later))

    @property
    def members(self) -> tuple[type, ...]:
        """Every member class, in order (imports the modules of the :class:`Later` ones)."""
        return tuple(self._load(m) for m in self.entries)

    def _load(self, member: type | Later) -> type:
        if not isinstance(member, Later):
            return member
        cls = member.load()
        if cls not in self._loaded:
            self._loaded += (cls,)
        return cls

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        # the JSON Schema belongs to this validator only (a before-validator around it keeps its input type)
        return core_schema.no_info_plain_validator_function(
            self.validate, metadata={"pydantic_js_functions": [self._json_schema]},
            serialization=core_schema.plain_serializer_function_ser_schema(_serialize, info_arg=True))

    def _json_schema(self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> dict:
        from typing import Annotated, Union

        from pydantic import Field, TypeAdapter

        union = Annotated[Union[self.members], Field(discriminator="type")]  # type: ignore[valid-type]
        return handler(TypeAdapter(union).core_schema)

    def validate(self, value: Any) -> Any:
        if isinstance(value, self._loaded):
            return value
        if isinstance(value, BaseModel):  # an instance of a lazy member: its class is the one its tag names
            member = self.model_for({"type": getattr(value, "type", None)})
            if member is not None and isinstance(value, member):
                return value
        if not isinstance(value, dict):
            raise PydanticCustomError("model_attributes_type",
                                      "Input should be a valid dictionary or object to extract fields from")
        if "type" not in value:
            raise PydanticCustomError("union_tag_not_found", "Unable to extract tag using discriminator {discriminator}",
                                      {"discriminator": "'type'"})
        cls = self.model_for(value)
        if cls is None:
            raise PydanticCustomError(
                "union_tag_invalid",
                "Input tag '{tag}' found using {discriminator} does not match any of the expected tags: {expected_tags}",
                {"discriminator": "'type'", "tag": str(value["type"]), "expected_tags": self.expected})
        return cls.model_validate(value)

    def model_for(self, value: Any) -> type | None:
        """The member that validates the mapping ``value`` (None when its type names none)."""
        tag = value.get("type") if isinstance(value, dict) else None
        try:
            member = self.by_tag.get(tag)
        except TypeError:  # an unhashable tag (a list, a mapping)
            return None
        return None if member is None else self._load(member)

    def tags(self) -> list:
        """Every ``type`` value of the members, in their order."""
        return list(self.by_tag)


def _serialize(value: Any, info: core_schema.SerializationInfo) -> Any:
    """A member dumps itself with the options of the dump it is part of, as a member of a union
    (first strictly, then leniently: an int default of a float field is dumped as a float)."""
    return _member_serializer(type(value)).to_python(
        value, mode=info.mode, include=info.include, exclude=info.exclude, by_alias=info.by_alias,
        exclude_unset=info.exclude_unset, exclude_defaults=info.exclude_defaults, exclude_none=info.exclude_none,
        round_trip=info.round_trip, serialize_as_any=info.serialize_as_any, context=info.context)


@functools.cache
def _member_serializer(cls: type) -> SchemaSerializer:
    return SchemaSerializer(core_schema.union_schema([cls.__pydantic_core_schema__, core_schema.none_schema()]))
