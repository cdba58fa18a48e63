-- Tenant roles get nothing they are not granted: no objects in "public" (a new schema such
-- as "control" grants nothing to PUBLIC already). Database-level rights are revoked by
-- migrateControl on every run, since a database cloned from a template does not keep them.
REVOKE ALL ON SCHEMA public FROM PUBLIC;
