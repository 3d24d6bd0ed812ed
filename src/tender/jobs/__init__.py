"""Background work on a PostgreSQL job queue (procrastinate): webhook jobs, periodic tasks."""
