"""The catalogue: its schema, reading and checking a file, importing a dump, the compiled store and its cache, roles and the office vocabulary."""
