"""The ``ddbctl`` command line: thin commands over the library, grouped by module."""
