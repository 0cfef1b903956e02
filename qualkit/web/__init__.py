"""``qualkit serve``: review in the browser for a research team.

Server-rendered pages (Starlette, Jinja2 templates, a small script shipped here; no JavaScript
build) over the same :class:`~qualkit.project.Project` the command line uses: the web layer only
calls Project, never the store. Accounts with roles, argon2 password hashes, signed session
cookies, CSRF tokens on every form, blind review between reviewers, and an adjudication view
for adjudicators and owners. See :func:`qualkit.web.app.create_app` and
:func:`qualkit.web.server.serve`.
"""
