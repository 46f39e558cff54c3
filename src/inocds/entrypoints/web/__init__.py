"""The web application for the care team: server-rendered pages (Jinja2), forms and documents."""
