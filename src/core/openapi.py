"""OpenAPI schema generation tweaks (kept apart from core.api: drf-spectacular imports DRF's generics,
which import the pagination class named in settings, which lives in core.api)."""

from __future__ import annotations

from typing import Any, Literal

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema


class AutoSchema(SpectacularAutoSchema):
    """Names a serializer nested in a view after both (``TokenObtainApi.InputSerializer`` ->
    ``TokenObtainApiInput``), so that every view can call its own serializers Input/Output."""

    def get_serializer_name(self, serializer: Any, direction: Literal["request", "response"]) -> str:
        qualname = type(serializer).__qualname__
        if "." in qualname:
            return qualname.replace("Serializer", "").replace(".", "")
        return str(super().get_serializer_name(serializer, direction))
