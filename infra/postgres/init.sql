-- The role Warren runs as: not a superuser; CREATEROLE to provision tenant roles; owns its database.
CREATE ROLE warren LOGIN CREATEROLE PASSWORD 'warren';
CREATE DATABASE warren OWNER warren;
