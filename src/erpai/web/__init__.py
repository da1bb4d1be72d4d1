"""The browser workplace served at ``/``: Jinja2 pages made live with htmx, on the domains' services."""
