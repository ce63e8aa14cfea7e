"""JupyterHub for a class taking The ML Grind.

Every user's server runs in the course's environment (this repository's .venv); nbgrader's exchange
is one shared folder; instructors start in the course root with the formgrader; students start in
their home folder with the Assignments panel. Run it from the course root:

    .venv/bin/jupyterhub -f deploy/jupyterhub_config.py

Settings, all environment variables (defaults in brackets):
    MLGRIND_HUB_IP, MLGRIND_HUB_PORT        where the Hub listens [127.0.0.1, 8000]
    MLGRIND_HUB_AUTHENTICATOR               "pam" (system users) or "dummy" (any password; tests) [pam]
    MLGRIND_HUB_SPAWNER                     "localprocess" (one system user each) or "simple" (all as
                                            the Hub's user, homes from MLGRIND_HUB_HOMES) [localprocess]
    MLGRIND_HUB_HOMES                       home folder template for "simple" [/srv/mlgrind/home/{username}]
    MLGRIND_HUB_STATE                       the Hub's database, cookie secret and proxy pid [deploy/state]
    MLGRIND_INSTRUCTORS                     comma-separated instructor user names [instructor]
    MLGRIND_EXCHANGE                        nbgrader's shared exchange folder [/srv/nbgrader/exchange]
    MLGRIND_HUB_PROXY                       configurable-http-proxy [.venv/node/node_modules/.bin/…]
    MLGRIND_HUB_SERVICE_TOKEN               if set, a "course-admin" service with this token may
                                            manage users, servers and tokens (for scripts)
"""

import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821

COURSE_ID = "ml-grind"
course_root = Path(__file__).resolve().parents[1]
env = os.environ.get
state = Path(env("MLGRIND_HUB_STATE", course_root / "deploy" / "state"))
state.mkdir(parents=True, exist_ok=True)
exchange = Path(env("MLGRIND_EXCHANGE", "/srv/nbgrader/exchange"))
instructors = {name.strip() for name in env("MLGRIND_INSTRUCTORS", "instructor").split(",") if name.strip()}
venv_bin = Path(sys.executable).parent

c.JupyterHub.ip = env("MLGRIND_HUB_IP", "127.0.0.1")
c.JupyterHub.port = int(env("MLGRIND_HUB_PORT", "8000"))
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")
# `make test` (or `make hub`) installs the proxy from npm beside the environment's Python.
proxy = Path(env("MLGRIND_HUB_PROXY", venv_bin.parent / "node" / "node_modules" / ".bin" / "configurable-http-proxy"))
if proxy.exists():
    c.ConfigurableHTTPProxy.command = [str(proxy)]

c.JupyterHub.authenticator_class = env("MLGRIND_HUB_AUTHENTICATOR", "pam")
c.Authenticator.admin_users = instructors
c.Authenticator.allow_all = True

c.JupyterHub.spawner_class = env("MLGRIND_HUB_SPAWNER", "localprocess")
c.SimpleLocalProcessSpawner.home_dir_template = env("MLGRIND_HUB_HOMES", "/srv/mlgrind/home/{username}")
c.Spawner.cmd = [str(venv_bin / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.environment = {"PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}"}
if os.geteuid() == 0 and c.JupyterHub.spawner_class == "simple":
    c.Spawner.args = ["--allow-root"]  # every server runs as the Hub's user, here root

token = env("MLGRIND_HUB_SERVICE_TOKEN")
if token:
    c.JupyterHub.services = [{"name": "course-admin", "api_token": token}]
    c.JupyterHub.load_roles = [{
        "name": "course-admin",
        "scopes": ["admin:users", "admin:servers", "tokens", "access:servers", "list:users"],
        "services": ["course-admin"],
    }]


def nbgrader_config(name: str) -> str:
    """The user's own nbgrader settings: the course, the shared exchange, and who they are."""
    lines = [
        "c = get_config()",
        f"c.CourseDirectory.course_id = {COURSE_ID!r}",
        f"c.Exchange.root = {str(exchange)!r}",
    ]
    if name in instructors:
        lines[1:1] = [f"load_subconfig({str(course_root / 'autograder' / 'nbgrader_config.py')!r})"]
        # Students' files all belong to the Hub's user when servers share one system user.
        lines.append("c.CollectApp.check_owner = False")
    else:
        lines.append(f"c.CourseDirectory.student_id = {name!r}")
    return "\n".join(lines) + "\n"


def prepare_user(spawner):
    """Before a server starts: its home, its nbgrader settings, and where it opens."""
    name = spawner.user.name
    if c.JupyterHub.spawner_class == "simple":
        home = Path(c.SimpleLocalProcessSpawner.home_dir_template.format(username=name))
    else:
        import pwd

        home = Path(pwd.getpwnam(name).pw_dir)
    (home / ".jupyter").mkdir(parents=True, exist_ok=True)
    (home / ".jupyter" / "nbgrader_config.py").write_text(nbgrader_config(name))
    exchange.mkdir(parents=True, exist_ok=True)
    exchange.chmod(0o777)
    if name in instructors:
        spawner.notebook_dir = str(course_root)
    else:
        spawner.notebook_dir = str(home)


c.Spawner.pre_spawn_hook = prepare_user
