"""The learner's JupyterLab: a terminal opened in it finds the course's commands (`mlgrind grade 01`)."""
import os
import sys

c = get_config()  # noqa: F821

# A terminal would start a login shell, and a login profile (Debian's /etc/profile, for one) resets
# PATH, losing the environment `make lab` put first. Instead the shell runs the usual login files
# itself, then activates this environment (its prompt shows `(.venv)`).
os.environ["MLGRIND_ENV_BIN"] = os.path.dirname(sys.executable)
c.ServerApp.terminado_settings = {
    "shell_command": ["bash", "--rcfile", os.path.join(os.path.dirname(os.path.abspath(__file__)), "terminal.bashrc"), "-i"],
}
