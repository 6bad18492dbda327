"""Pages of participatory budgeting: residents (resident.py, results.py) and staff (manage.py)."""
