-- Tenant roles get nothing they are not granted: no objects in "public", no temporary
-- tables, and no way into "control" (a new schema grants nothing to PUBLIC already).
REVOKE ALL ON SCHEMA public FROM PUBLIC;
--> statement-breakpoint
DO $$ BEGIN
  EXECUTE format('REVOKE TEMPORARY, CREATE ON DATABASE %I FROM PUBLIC', current_database());
END $$;
