"""An index for the customer list filtered by level and sorted by name (found by
benchmarks/customers_scale.py).

The name sort is (index_letter, short_name, id); `party_level_sort` is
(org_id, level, short_name, id), so it cannot give a level's customers in name order,
and the planner walks `party_letter_name` filtering on the level instead: about 20 rows
read per row shown for `level=key` (5 % of the customers), more for a rarer level.
This index answers `?level=…&sort=name` in order, 50 rows read for 50 shown
(PostgreSQL, 100,000 customers: 8.5 ms → 0.3 ms for the bare query).

Written as SQL with IF NOT EXISTS like 0002: the models are shared and the index is the
list's business.
"""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS party_level_letter ON parties_party "
    "(org_id, level, index_letter, short_name, id)"
)
DROP = "DROP INDEX IF EXISTS party_level_letter"


class Migration(migrations.Migration):
    dependencies = [("parties", "0003_restricted_reveal")]

    operations = [migrations.RunSQL(CREATE, DROP, elidable=False)]
