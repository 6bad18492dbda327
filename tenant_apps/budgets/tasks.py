"""Celery tasks of budgets: thin, take ids, idempotent (the schema travels with the task)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="budgets.results_compute_task", queue="heavy", acks_late=True)
def results_compute_task(*, process_id: int) -> list[str]:
    """Compute the results of a process; running it twice stores the same results."""
    from tenant_apps.budgets.services.results import results_compute

    return [result.ballots_digest for result in results_compute(process_id=process_id)]


@shared_task(name="budgets.schedule_apply_task", acks_late=True)
def schedule_apply_task() -> int:
    """Beat, every 5 minutes, in every city: move processes to the phase their planned dates say (each
    step re-checked under the process's row lock: safe to run twice). Returns how many phases changed."""
    from tenant_apps.budgets.services.processes import processes_schedule_apply

    return processes_schedule_apply()
