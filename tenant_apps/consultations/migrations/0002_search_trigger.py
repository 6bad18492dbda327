"""Keep ``contribution.search_vector`` in the database, whatever writes the row (ORM, bulk insert, COPY).

Title weighs A, body B, in the contribution's own ``search_config`` (the consultation's language).
The function and trigger are created in the schema being migrated (one per city).
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION consultations_contribution_tsv() RETURNS trigger AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector(NEW.search_config::regconfig, coalesce(NEW.title, '')), 'A') ||
        setweight(to_tsvector(NEW.search_config::regconfig, coalesce(NEW.body, '')), 'B');
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER consultations_contribution_tsv
    BEFORE INSERT OR UPDATE OF title, body, search_config ON consultations_contribution
    FOR EACH ROW EXECUTE FUNCTION consultations_contribution_tsv();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS consultations_contribution_tsv ON consultations_contribution;
DROP FUNCTION IF EXISTS consultations_contribution_tsv();
"""


class Migration(migrations.Migration):
    dependencies = [("consultations", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
