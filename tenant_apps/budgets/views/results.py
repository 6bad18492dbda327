"""Public results: funded projects per pot, votes as a bar chart, the rule explained, what-if, downloads."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from tenant_apps.budgets.models import BudgetProcess, District, ResultRule
from tenant_apps.budgets.services import process_export_pabulib
from tenant_apps.budgets.views import common


def _published(process_id: int) -> BudgetProcess:
    process = get_object_or_404(BudgetProcess, pk=process_id)
    if not common.results_published(process):
        raise Http404
    return process


def results(request: HttpRequest, process_id: int) -> HttpResponse:
    process = _published(process_id)
    context = {
        "process": process,
        "sections": common.results_view(process),
        "rule_label": ResultRule(process.results_rule).label,
        "explanation": common.rule_explanation(process.results_rule),
        "greedy_label": ResultRule.GREEDY.label,
        "mes_label": ResultRule.EQUAL_SHARES.label,
    }
    return render(request, "budgets/results.html", context)


def pabulib_export(request: HttpRequest, process_id: int, pot: str) -> HttpResponse:
    """The anonymised ballots of one pot as a Pabulib file (``pot`` is a district id or ``city``)."""
    process = _published(process_id)
    district_id = None
    if pot != "city":
        if not pot.isdigit() or not District.objects.filter(process=process, pk=int(pot)).exists():
            raise Http404
        district_id = int(pot)
    text = process_export_pabulib(process_id=process.pk, district_id=district_id)
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="budget-{process.pk}-{pot}.pb"'
    return response


def digest(request: HttpRequest, process_id: int) -> HttpResponse:
    process = _published(process_id)
    response = HttpResponse(common.digest_text(process), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="budget-{process.pk}-digest.txt"'
    return response
