"""Forms of the budgets pages: they only parse input; services decide."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import MultipleFileField, MultipleFileInput
from tenant_apps.budgets.models import (
    BallotKind,
    Category,
    District,
    FollowUpStatus,
    PaperDecision,
    Project,
    ProjectComment,
    ProjectStatus,
    ResultRule,
)
from tenant_apps.budgets.services.projects import REVIEW_DECISIONS

MONEY: dict[str, Any] = {"min_value": Decimal("0"), "max_digits": 14, "decimal_places": 2}


class ProposalForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 5}), required=False)
    estimated_cost = forms.DecimalField(
        label=_("Estimated cost"), help_text=_("In the budget's currency, e.g. 12500 or 12500.50."), **MONEY
    )
    district = forms.ModelChoiceField(label=_("District"), queryset=District.objects.none(), required=False)
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none(), required=False)
    # Ranges are checked by the service (the one place that decides); the form only reads numbers.
    latitude = forms.DecimalField(
        label=_("Latitude (optional)"), help_text=_("Where the project would be, e.g. 48.856613."), required=False
    )
    longitude = forms.DecimalField(label=_("Longitude (optional)"), help_text=_("e.g. 2.352222."), required=False)
    images = MultipleFileField(
        label=_("Images (optional)"),
        help_text=_("Up to 3 images: JPEG, PNG or WebP, 5 MB each."),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    def __init__(self, *args: Any, process: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        districts = District.objects.filter(process=process).order_by("name")
        categories = Category.objects.filter(process=process).order_by("name")
        self.fields["district"].queryset = districts  # type: ignore[attr-defined]
        self.fields["category"].queryset = categories  # type: ignore[attr-defined]
        if not districts.exists():
            del self.fields["district"]
        if not categories.exists():
            del self.fields["category"]


class RulesForm(forms.Form):
    ballot_kind = forms.ChoiceField(label=_("Ballot"), choices=BallotKind.choices)
    results_rule = forms.ChoiceField(label=_("Rule that decides the winners"), choices=ResultRule.choices)
    min_projects = forms.IntegerField(label=_("Minimum number of projects per ballot"), min_value=0, initial=0)
    max_projects = forms.IntegerField(label=_("Maximum number of projects per ballot"), min_value=1, required=False)
    min_share_spent = forms.DecimalField(
        label=_("Share of the budget a knapsack ballot must spend"),
        help_text=_("Between 0 and 1, e.g. 0.5 for half."),
        min_value=Decimal(0),
        max_value=Decimal(1),
        decimal_places=3,
        initial=Decimal(0),
    )
    points_total = forms.IntegerField(label=_("Points per voter (cumulative)"), min_value=1, required=False)
    max_points_per_project = forms.IntegerField(
        label=_("Maximum points per project (cumulative)"), min_value=1, required=False
    )
    ranks = forms.IntegerField(label=_("Number of ranks (ranked)"), min_value=1, required=False)
    paper_double_entry = forms.BooleanField(label=_("Paper ballots are keyed twice"), required=False)


class ProcessForm(RulesForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    total_budget = forms.DecimalField(label=_("Total budget"), **MONEY)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="EUR")
    citywide_budget = forms.DecimalField(
        label=_("City-wide pot"), help_text=_("Only with districts; leave empty otherwise."), required=False, **MONEY
    )
    districts = forms.CharField(
        label=_("Districts"),
        help_text=_("One per line: code; name; budget. Leave empty for a single city-wide budget."),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    field_order = ["title", "description", "total_budget", "currency", "citywide_budget", "districts"]

    def clean_districts(self) -> list[tuple[str, str, int]]:
        rows = []
        for number, line in enumerate(self.cleaned_data["districts"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [part.strip() for part in line.split(";")]
            try:
                code, name, budget = parts
                rows.append((code, name, int((Decimal(budget) * 100).to_integral_value())))
            except (ValueError, ArithmeticError) as exc:
                raise forms.ValidationError(
                    _("Line %(number)s: write code; name; budget.") % {"number": number}
                ) from exc
        return rows


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=[])
    official_cost = forms.DecimalField(label=_("Official cost"), required=False, **MONEY)
    public_reason = forms.CharField(label=_("Public reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    merged_into = forms.ModelChoiceField(label=_("Merged into"), queryset=Project.objects.none(), required=False)

    def __init__(self, *args: Any, project: Any, **kwargs: Any) -> None:
        kwargs["prefix"] = f"p{project.pk}"
        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = [  # type: ignore[attr-defined]
            (value, ProjectStatus(value).label) for value in REVIEW_DECISIONS
        ]
        self.fields["merged_into"].queryset = (  # type: ignore[attr-defined]
            Project.objects.filter(process_id=project.process_id).exclude(pk=project.pk).order_by("id")
        )


class PaperBallotForm(forms.Form):
    paper_ref = forms.CharField(label=_("Number printed on the sheet"), max_length=64)
    district = forms.ModelChoiceField(label=_("District"), queryset=District.objects.none(), required=False)

    def __init__(self, *args: Any, process: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        districts = District.objects.filter(process=process).order_by("name")
        self.fields["district"].queryset = districts  # type: ignore[attr-defined]
        if not districts.exists():
            del self.fields["district"]


class PaperResolutionForm(forms.Form):
    """One of the buttons of the conflicts page: accept entry ``entry`` of sheet ``paper_ref``, or discard."""

    paper_ref = forms.CharField(max_length=64)
    decision = forms.ChoiceField(choices=PaperDecision.choices)
    entry = forms.IntegerField(required=False, min_value=1)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Pabulib file (.pb)"))
    title = forms.CharField(label=_("Title"), max_length=200, required=False)


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Your comment"),
        max_length=ProjectComment.BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    parent = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class HideCommentForm(forms.Form):
    reason = forms.CharField(label=_("Why hide this comment (shown publicly)"), max_length=300)


class FollowUpForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=FollowUpStatus.choices)
    note = forms.CharField(
        label=_("Public note"),
        help_text=_("Required when the project is cancelled."),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    planned_date = forms.DateField(
        label=_("Planned date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    done_date = forms.DateField(
        label=_("Date done"),
        help_text=_("Leave empty while it is not done."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        required=False,
    )
    position = forms.IntegerField(
        label=_("Position in the timeline"), min_value=0, required=False, help_text=_("Empty: at the end.")
    )
