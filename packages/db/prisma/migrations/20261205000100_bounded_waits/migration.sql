-- Bounded waits: no request of the application role waits on the database without end. A statement runs at most
-- 5 s, waits for a lock at most 2 s, and a transaction left idle is ended after 10 s, so a held lock or a slow
-- query answers "busy" (503, retried by ingest) instead of hanging every caller behind it. Work that needs longer
-- (retention, imports, exports, previews) sets its own budget with SET LOCAL inside its transaction.
-- Set for this database only (every test database gets its own), and only for the application role: migrations,
-- seeding and operators' sessions keep the server's defaults.
DO $$
BEGIN
  EXECUTE format('ALTER ROLE tidewatch_app IN DATABASE %I SET statement_timeout = %L', current_database(), '5s');
  EXECUTE format('ALTER ROLE tidewatch_app IN DATABASE %I SET lock_timeout = %L', current_database(), '2s');
  EXECUTE format('ALTER ROLE tidewatch_app IN DATABASE %I SET idle_in_transaction_session_timeout = %L',
                 current_database(), '10s');
END
$$;
