"""City API /api/v1/consultations/: views in ``views``, shared output shapes in ``serializers``."""
