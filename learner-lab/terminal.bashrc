# The startup of a terminal in the learner's JupyterLab: a login shell's files, then the course's
# environment first on PATH (see jupyter_server_config.py beside this file).
[ -r /etc/profile ] && . /etc/profile
for profile in ~/.bash_profile ~/.bash_login ~/.profile; do
    if [ -r "$profile" ]; then . "$profile"; break; fi
done
[ -r "$MLGRIND_ENV_BIN/activate" ] && . "$MLGRIND_ENV_BIN/activate"
