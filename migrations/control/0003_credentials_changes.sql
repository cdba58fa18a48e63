-- The credential proxy caches tenants' sealed keys; storing or deleting one tells it to reload.
CREATE TRIGGER credentials_auth_changed AFTER INSERT OR UPDATE OR DELETE ON control.credentials
  FOR EACH STATEMENT EXECUTE FUNCTION control.notify_auth_changed();
