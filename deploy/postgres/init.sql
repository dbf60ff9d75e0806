-- The two database roles of deploy/README.md, for the local stack of deploy/compose.yaml
-- (run once by the postgres image, as its superuser, when its volume is new). On a managed
-- PostgreSQL a DBA runs the same statements with real passwords.
--
-- keycare_owner: owns the database and its tables; `keycare migrate up`, `seed`, `tenant`.
-- keycare_app: the application role the migrations grant table rights to (NOLOGIN, owning
--   nothing, NOBYPASSRLS). Made here so that the owner needs no CREATEROLE: the migration
--   finds it and only grants it (the owner holds it WITH ADMIN OPTION for that).
-- keycare_gateway: the login `keycare serve` connects with, a member of keycare_app.
CREATE ROLE keycare_owner LOGIN PASSWORD 'keycare_owner' NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE DATABASE keycare OWNER keycare_owner;
CREATE ROLE keycare_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
GRANT keycare_app TO keycare_owner WITH ADMIN OPTION;
CREATE ROLE keycare_gateway LOGIN PASSWORD 'keycare_gateway' NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE IN ROLE keycare_app;
