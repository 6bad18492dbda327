"""Pages of consultations: residents (resident.py) and staff (manage.py); shared reads in common.py."""
