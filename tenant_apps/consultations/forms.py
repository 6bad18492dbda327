"""Forms of the consultations pages: they only parse input; services decide.

Date-times are read and shown in the current time zone, which the views set to the city's (a deadline
typed as "18:00" in Brussels means 18:00 in Brussels whatever the server's zone).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from core.forms import MultipleFileField, MultipleFileInput
from tenant_apps.consultations.models import (
    SEARCH_CONFIGS,
    AnswerStatus,
    Comment,
    Consultation,
    Contribution,
    DigestFrequency,
    Participation,
    ReactionMode,
    ReportReason,
    Theme,
    Visibility,
)
from tenant_apps.consultations.services.consultations import THEME_ICONS

OTHER_THEME = "other"


def _theme_choices(themes: Sequence[Theme]) -> list[tuple[str, Any]]:
    return [("", _("Choose a theme…")), *[(str(t.pk), t.name) for t in themes], (OTHER_THEME, _("Other"))]


class ContributionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Your contribution"),
        max_length=Contribution._meta.get_field("body").max_length,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    theme = forms.ChoiceField(label=_("Theme"), choices=[])
    district = forms.CharField(
        label=_("District or neighbourhood"),
        max_length=100,
        required=False,
        help_text=_("Where in the city is this about?"),
    )
    latitude = forms.DecimalField(
        label=_("Latitude"), required=False, min_value=-90, max_value=90, max_digits=9, decimal_places=6
    )
    longitude = forms.DecimalField(
        label=_("Longitude"), required=False, min_value=-180, max_value=180, max_digits=9, decimal_places=6
    )
    attachments = MultipleFileField(
        label=_("Pictures or PDF documents"),
        required=False,
        help_text=_(
            "Images (JPEG, PNG, WebP) or PDF, 10 MB each at most. Choose them again if the form shows an error."
        ),
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}),
    )

    def __init__(self, *args: Any, consultation: Consultation, themes: Sequence[Theme], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.consultation = consultation
        self.fields["theme"].choices = _theme_choices(themes)  # type: ignore[attr-defined]
        if not themes:
            self.fields["theme"].required = False
        if not consultation.allow_location:
            for name in ("district", "latitude", "longitude"):
                del self.fields[name]
        if not consultation.allow_attachments:
            del self.fields["attachments"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lat, lon = data.get("latitude"), data.get("longitude")
        if (lat is None) != (lon is None) and "latitude" in self.fields:
            self.add_error(
                "longitude" if lon is None else "latitude", _("Give both latitude and longitude, or neither.")
            )
        return data

    def theme_id(self) -> int | None:
        value = self.cleaned_data.get("theme") or ""
        return None if value in ("", OTHER_THEME) else int(value)


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Your comment"),
        max_length=Comment._meta.get_field("body").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)


class ReportForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=ReportReason.choices)
    note = forms.CharField(label=_("Details (optional)"), max_length=500, required=False)


class FollowForm(forms.Form):
    frequency = forms.ChoiceField(
        label=_("Tell me"), choices=DigestFrequency.choices, initial=DigestFrequency.IMMEDIATE
    )


# --- Back-office ------------------------------------------------------------------------------------------

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class CityDateTimeField(forms.DateTimeField):
    """A ``datetime-local`` input, read in the current (the city's) time zone."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL)
    input_formats = [DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


def language_choices() -> list[tuple[str, str]]:
    return [(code, get_language_info(code)["name_local"].capitalize()) for code in SEARCH_CONFIGS]


class ConsultationForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    slug = forms.SlugField(
        label=_("Address"),
        max_length=80,
        required=False,
        help_text=_("The end of the page's address, e.g. city-2030. Left empty, it is made from the title."),
    )
    summary = forms.CharField(label=_("Summary"), max_length=300, required=False)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "Rich text: paragraphs, bold, italics, lists, headings and links are kept; anything else is removed."
        ),
    )
    cover_image = forms.ImageField(label=_("Cover image"), required=False)
    participation = forms.ChoiceField(label=_("Who may take part"), choices=Participation.choices)
    visibility = forms.ChoiceField(label=_("Visibility"), choices=Visibility.choices)
    reaction_mode = forms.ChoiceField(label=_("Reactions"), choices=ReactionMode.choices)
    premoderation = forms.BooleanField(
        label=_("Pre-moderation: contributions wait for a moderator before being shown"), required=False
    )
    allow_attachments = forms.BooleanField(label=_("Contributions may have pictures and PDFs"), required=False)
    allow_location = forms.BooleanField(label=_("Contributions may give a place"), required=False)
    language = forms.ChoiceField(label=_("Language of the contributions"), choices=language_choices)
    opens_at = CityDateTimeField(label=_("Opens at"), required=False)
    closes_at = CityDateTimeField(label=_("Closes at"), required=False)

    def __init__(self, *args: Any, time_zone: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if time_zone:
            note = _("In the city's time zone (%(zone)s).") % {"zone": time_zone}
            self.fields["opens_at"].help_text = note
            self.fields["closes_at"].help_text = note

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("The closing date must come after the opening date."))
        return data


def consultation_initial(consultation: Consultation) -> dict[str, Any]:
    initial = {name: getattr(consultation, name) for name in ConsultationForm.base_fields}
    initial["cover_image"] = consultation.cover_image or None  # shows the current image and "clear"
    return initial


class ThemeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    colour = forms.RegexField(
        label=_("Colour"),
        regex=r"^#[0-9a-fA-F]{6}$",
        initial="#3355aa",
        widget=forms.TextInput(attrs={"type": "color"}),
        error_messages={"invalid": _("Enter a colour like #3355aa.")},
    )
    icon = forms.ChoiceField(label=_("Icon"), choices=[("", _("No icon")), *THEME_ICONS], required=False)
    description = forms.CharField(
        label=_("Description (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class AnswerForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=AnswerStatus.choices)
    text = forms.CharField(label=_("The city's answer"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, contribution_id: int, **kwargs: Any) -> None:
        kwargs["prefix"] = f"a{contribution_id}"
        super().__init__(*args, **kwargs)


class MergeForm(forms.Form):
    into = forms.IntegerField(
        label=_("Merge into contribution number"), min_value=1, help_text=_("The number shown as #123.")
    )
    reason = forms.CharField(label=_("Reason (told to the author)"), max_length=300, required=False)

    def __init__(self, *args: Any, contribution_id: int, **kwargs: Any) -> None:
        kwargs["prefix"] = f"m{contribution_id}"
        super().__init__(*args, **kwargs)
