"""Case history in PostgreSQL: the hub's case events copied from Redis, migrations, rebuild."""
