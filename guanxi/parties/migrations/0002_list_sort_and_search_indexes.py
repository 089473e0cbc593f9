"""Indexes for the customer lists: sorts on every column, and trigram search.

Written as SQL rather than Meta indexes because the models are shared: the indexes are
the lists' business. guanxi.parties.filters.ensure_search_objects() re-creates any of
them that a later SQLite table rebuild dropped (it runs after every migrate).

- Sorts: one index per sortable column (org, column, short_name, id); owner and
  category (own visibility, the pool, a click in the tree) in name order; and one per
  non-customer role so the supplier, competitor and channel lists sort by name
  (A–Z index letter, then short name)
  without scanning the customers.
- Search (3+ characters): SQLite FTS5 with the trigram tokenizer, in a table kept in
  sync by triggers; PostgreSQL pg_trgm with a GIN index on search_text. Both answer
  `LIKE/GLOB '%text%'` from the index.
"""

from django.db import migrations

SORT_INDEXES = [
    ("party_code_sort", "parties_party", "(org_id, code, id)", ""),
    ("party_type_sort", "parties_party", "(org_id, customer_type, short_name, id)", ""),
    ("party_level_sort", "parties_party", "(org_id, level, short_name, id)", ""),
    ("party_city_sort", "parties_party", "(org_id, city, short_name, id)", ""),
    ("party_created_sort", "parties_party", "(org_id, created_at, id)", ""),
    ("party_owner_letter", "parties_party", "(org_id, owner_id, index_letter, short_name, id)", ""),
    (
        "party_category_letter",
        "parties_party",
        "(org_id, category_id, index_letter, short_name, id)",
        "",
    ),
    (
        "party_supplier_letter",
        "parties_party",
        "(org_id, index_letter, short_name, id)",
        "WHERE is_supplier",
    ),
    (
        "party_competitor_letter",
        "parties_party",
        "(org_id, index_letter, short_name, id)",
        "WHERE is_competitor",
    ),
    (
        "party_channel_letter",
        "parties_party",
        "(org_id, index_letter, short_name, id)",
        "WHERE is_channel",
    ),
]

FTS_TABLES = [("parties_party_fts", "parties_party"), ("parties_contact_fts", "parties_contact")]


def _sqlite_fts(fts: str, table: str) -> list[str]:
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5("
        "search_text, org_id UNINDEXED, tokenize='trigram case_sensitive 1')",
        f"DELETE FROM {fts}",
        f"INSERT INTO {fts}(rowid, search_text, org_id) SELECT id, search_text, org_id FROM {table}",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, search_text, org_id) "
        "VALUES (new.id, new.search_text, new.org_id); END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {table} BEGIN "
        f"DELETE FROM {fts} WHERE rowid = old.id; END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE OF search_text, org_id ON {table} "
        f"BEGIN DELETE FROM {fts} WHERE rowid = old.id; "
        f"INSERT INTO {fts}(rowid, search_text, org_id) "
        "VALUES (new.id, new.search_text, new.org_id); END",
    ]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = [
        f"CREATE INDEX IF NOT EXISTS {name} ON {table} {columns} {where}".strip()
        for name, table, columns, where in SORT_INDEXES
    ]
    if vendor == "sqlite":
        for fts, table in FTS_TABLES:
            statements += _sqlite_fts(fts, table)
    elif vendor == "postgresql":
        statements += [
            "CREATE EXTENSION IF NOT EXISTS pg_trgm",
            "CREATE INDEX IF NOT EXISTS party_search_trgm ON parties_party "
            "USING gin (search_text gin_trgm_ops)",
            "CREATE INDEX IF NOT EXISTS contact_search_trgm ON parties_contact "
            "USING gin (search_text gin_trgm_ops)",
        ]
    for statement in statements:
        schema_editor.execute(statement)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = [f"DROP INDEX IF EXISTS {name}" for name, *_ in SORT_INDEXES]
    if vendor == "sqlite":
        for fts, _table in FTS_TABLES:
            statements += [
                f"DROP TRIGGER IF EXISTS {fts}_{suffix}" for suffix in ("ai", "ad", "au")
            ]
            statements.append(f"DROP TABLE IF EXISTS {fts}")
    elif vendor == "postgresql":
        statements += [
            "DROP INDEX IF EXISTS party_search_trgm",
            "DROP INDEX IF EXISTS contact_search_trgm",
        ]
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("parties", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
