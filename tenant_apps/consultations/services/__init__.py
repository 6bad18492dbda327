"""Writes of the consultations app, one module per area (import from the module, e.g.
``from tenant_apps.consultations.services.contributions import contribution_create``)."""
