"""WSGI entry points: importable applications for WSGI servers."""
