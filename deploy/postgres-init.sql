-- The services' database is POSTGRES_DB (ansinh); Rasa's conversations live in their own database.
CREATE DATABASE tracker OWNER ansinh;
