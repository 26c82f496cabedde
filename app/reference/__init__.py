"""Reference data several domains share, as data files checked by a schema when loaded.

The license types are here rather than in `app.certificates` because the catalog names the
license each service produces: reading them from one module both use keeps the catalog from
importing the registry (which imports identity, which imports the catalog). This package imports
no domain of the app.
"""
