-- The role Warren runs as: not a superuser; CREATEROLE to provision tenant roles; owns its database.
-- NOINHERIT: its membership in tenant roles gives it nothing until it switches role (Postgres 15).
CREATE ROLE warren LOGIN CREATEROLE NOINHERIT PASSWORD 'warren';
CREATE DATABASE warren OWNER warren;
