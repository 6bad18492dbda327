"""The sign-up form: input checks at the edge; the service re-checks everything when it records."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from shared_apps.onboarding import selectors
from shared_apps.onboarding.countries import country_choices
from shared_apps.onboarding.models import Plan
from shared_apps.onboarding.services import CITY_NAME_MAX_LENGTH, EMAIL_MAX_LENGTH, MAX_POPULATION, slug_taken_message
from tenants.validators import SLUG_MAX_LENGTH, validate_city_slug

HONEYPOT_FIELD = "website"


class LowerCaseField(forms.CharField):
    def to_python(self, value: Any) -> str:
        return str(super().to_python(value)).strip().lower()


class LowerCaseEmailField(forms.EmailField):
    def to_python(self, value: Any) -> str:
        return str(super().to_python(value)).strip().lower()


class SignupForm(forms.Form):
    city_name = forms.CharField(
        label=_("Name of your city"),
        max_length=CITY_NAME_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    slug = LowerCaseField(
        label=_("Subdomain"),
        max_length=SLUG_MAX_LENGTH,
        validators=[validate_city_slug],
        widget=forms.TextInput(attrs={"autocapitalize": "none", "autocomplete": "off", "spellcheck": "false"}),
    )
    contact_email = LowerCaseEmailField(
        label=_("Official contact email"),
        max_length=EMAIL_MAX_LENGTH,
        help_text=_(
            "An address of the city administration. We send the confirmation link there, then the link "
            "to set the administrator's password."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    country = forms.ChoiceField(label=_("Country"))
    population = forms.IntegerField(
        label=_("Number of residents"),
        min_value=1,
        max_value=MAX_POPULATION,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    language = forms.ChoiceField(
        label=_("Main language of the platform"),
        choices=settings.LANGUAGES,
        help_text=_("Residents can switch to the other languages. Our emails to you are in this language."),
    )
    plan = forms.ChoiceField(
        label=_("Plan"),
        required=False,
        help_text=_("Leave “Suggest one for me” to get the plan that fits your number of residents."),
    )
    # Honeypot: hidden from people (visually hidden, aria-hidden, out of the tab order); bots fill it.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built per form so that the names follow the visitor's language.
        self.fields["country"].choices = [("", _("Choose a country")), *country_choices()]  # type: ignore[attr-defined]
        self.fields["plan"].choices = [("", _("Suggest one for me")), *Plan.choices]  # type: ignore[attr-defined]
        language = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
        if language in dict(settings.LANGUAGES):
            self.fields["language"].initial = language
        self.fields["slug"].help_text = _(
            "Your platform's address will be <subdomain>.%(domain)s. Lower-case letters, digits and hyphens."
        ) % {"domain": settings.BASE_DOMAIN}
        self.slug_suggestion: str | None = None

    @property
    def is_bot(self) -> bool:
        """The honeypot was filled: answer as if it worked, record and send nothing."""
        return bool(self.data.get(HONEYPOT_FIELD, "").strip()) if self.is_bound else False

    def visible_fields(self) -> list[forms.BoundField]:
        return [field for field in super().visible_fields() if field.name != HONEYPOT_FIELD]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        slug = cleaned.get("slug")
        if slug and "slug" not in self.errors:
            availability = selectors.slug_availability(
                slug=slug,
                country=cleaned.get("country", ""),
                language=cleaned.get("language", ""),
                exclude_email=cleaned.get("contact_email", ""),
            )
            if not availability.available:
                self.slug_suggestion = availability.suggestion
                message = slug_taken_message(slug, availability.suggestion)
                self.add_error("slug", message)
        return cleaned


class SlugCheckForm(forms.Form):
    """Query of ``GET /signup/check/``."""

    slug = LowerCaseField(max_length=SLUG_MAX_LENGTH, validators=[validate_city_slug])
    country = forms.CharField(required=False, max_length=2)
    language = forms.ChoiceField(required=False, choices=settings.LANGUAGES)


class ResendForm(forms.Form):
    token = forms.CharField(max_length=500, widget=forms.HiddenInput)
