-- API processes cache key lookups; any change to keys or tenant status, from any process
-- (API, CLI, psql), tells them to drop their cache.
CREATE FUNCTION control.notify_auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('warren_auth_changed', TG_TABLE_NAME);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER api_keys_auth_changed AFTER UPDATE OR DELETE ON control.api_keys
  FOR EACH STATEMENT EXECUTE FUNCTION control.notify_auth_changed();
--> statement-breakpoint
CREATE TRIGGER tenants_auth_changed AFTER UPDATE OR DELETE ON control.tenants
  FOR EACH STATEMENT EXECUTE FUNCTION control.notify_auth_changed();
