"""Review in the browser for a team: `qualkit serve`, and the accounts that may sign in (`qualkit users`)."""

from __future__ import annotations

import click

from qualkit.cli.base import cli, emit, open_project
from qualkit.cli.options import output_format, pseudonymise_options

ROLES = ("reviewer", "adjudicator", "owner")


@cli.group()
def users() -> None:
    """Who may sign in to `qualkit serve`, and as what.

    Roles: reviewer (reviews blind: never sees anyone else's verdicts, counts or notes),
    adjudicator (also settles disagreements, sees agreement and team progress, downloads the
    report and codings), owner (the same as adjudicator; the one who runs the server).

    \b
    Example:
      qualkit users add "Amira Khan" --role reviewer
      qualkit users list
    """


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default="reviewer", show_default=True,
              help="What the account may do in the web server.")
@click.pass_context
def users_add(ctx: click.Context, name: str, role: str) -> None:
    """Add an account and print its one-time password (shown once, stored only as a hash).

    NAME is the reviewer name the person's decisions will carry. They sign in with the one-time
    password and then choose their own.

    \b
    Example:
      qualkit users add "Amira Khan" --role reviewer
      qualkit users add Sam --role adjudicator
    """
    with open_project(ctx) as project:
        invitation = project.add_user(name, role=role)
    _print_invitation(invitation.account.name, invitation.account.role.value, invitation.password, added=True)


def _print_invitation(name: str, role: str, password: str, *, added: bool) -> None:
    click.echo(f"{'Added' if added else 'Reset'} {role} {name!r}.")
    click.echo(f"One-time password: {password}")
    click.echo(
        f"Give it to {name} privately. They sign in at the address `qualkit serve` prints and choose their "
        "own password. It is not stored and cannot be shown again "
        f"(`qualkit users reset {name!r}` makes a new one)."
    )


@users.command("list")
@output_format
@click.pass_context
def users_list(ctx: click.Context, fmt: str) -> None:
    """List the accounts.

    \b
    Example:
      qualkit users list --format csv
    """
    with open_project(ctx) as project:
        accounts = project.users()
    emit([
        {"name": a.name, "role": a.role.value, "password": "one-time (not yet changed)" if a.must_change_password
         else "chosen", "created": a.created_at}
        for a in accounts
    ], fmt)


@users.command("remove")
@click.argument("name")
@click.pass_context
def users_remove(ctx: click.Context, name: str) -> None:
    """Remove an account and sign it out everywhere; its decisions stay in the project.

    \b
    Example:
      qualkit users remove "Amira Khan"
    """
    with open_project(ctx) as project:
        account = project.remove_user(name)
    click.echo(f"Removed {account.role.value} {account.name!r} and signed them out; their decisions stay.")


@users.command("reset")
@click.argument("name")
@click.pass_context
def users_reset(ctx: click.Context, name: str) -> None:
    """Give an account a new one-time password (for a forgotten one); it is signed out everywhere.

    \b
    Example:
      qualkit users reset "Amira Khan"
    """
    with open_project(ctx) as project:
        invitation = project.reset_password(name)
    _print_invitation(invitation.account.name, invitation.account.role.value, invitation.password, added=False)


@users.command("rotate-secret")
@click.pass_context
def users_rotate_secret(ctx: click.Context) -> None:
    """Replace the secret session cookies are signed with: everyone is signed out.

    \b
    Example:
      qualkit users rotate-secret
    """
    with open_project(ctx) as project:
        closed = project.rotate_signing_secret()
    click.echo(f"New signing secret; everyone is signed out ({closed} session(s) closed).")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. The default is this machine only; 0.0.0.0 listens on every network "
                   "interface (put a TLS reverse proxy in front: see the README).")
@click.option("--port", type=int, default=8000, show_default=True, help="Port to listen on (0: any free port).")
@click.option("--proxy", "proxies", multiple=True, metavar="ADDRESS",
              help="A reverse proxy's address whose X-Forwarded-For/-Proto headers are trusted (repeatable).")
@click.option("--secure-cookies", is_flag=True,
              help="Mark cookies Secure even on plain http (set it when a TLS proxy is in front).")
@pseudonymise_options
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, proxies: tuple[str, ...], secure_cookies: bool,
          pseudonymise: bool, key_file: str | None) -> None:
    """Review in the browser: serve the project to the team until Ctrl+C.

    People sign in with the accounts of `qualkit users`; every decision is saved the moment it is
    made, so closing a tab (or stopping the server) loses nothing. With --pseudonymise every page
    and download shows names as the pseudonym key makes them (reviewers' names and code keys stay).

    \b
    Example:
      qualkit users add "Amira Khan" --role reviewer
      qualkit serve
      qualkit serve --host 127.0.0.1 --port 8080 --proxy 127.0.0.1 --secure-cookies   # behind nginx
      qualkit serve --pseudonymise --key ~/secure/study-key.yaml
    """
    from qualkit.web.pseudonyms import Pseudonyms
    from qualkit.web.server import is_loopback
    from qualkit.web.server import serve as run

    pseudonyms = Pseudonyms.asked(pseudonymise, key_file)
    with open_project(ctx) as project:  # a missing or foreign file is refused before binding
        accounts = project.users()
        path = project.path
        # no key (or one that cannot be read): one line, before binding
        where = project.pseudonym_key(key_file=pseudonyms.key_file)[1] if pseudonyms.on else None

    def ready(url: str) -> None:
        if where is None:
            click.echo(f"Serving {path} at {url} (Ctrl+C stops).")
        else:
            kept = "the project's key" if where == "the project" else f"the key in {where}"
            click.echo(f"Serving {path} at {url} (Ctrl+C stops); names pseudonymised with {kept}.")
        if not accounts:
            click.echo('No accounts yet: add one with `qualkit users add NAME --role owner`.')
        if not is_loopback(host):
            click.echo("Listening beyond this machine: put a TLS reverse proxy in front (README: Review in the "
                       "browser) and pass --proxy and --secure-cookies.", err=True)

    run(path, host=host, port=port, secure_cookies=secure_cookies, proxies=proxies, on_ready=ready,
        pseudonyms=pseudonyms)
