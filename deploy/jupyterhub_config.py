"""JupyterHub for a class larger than one Voila server: every student logs in and gets a
Jupyter server of their own, and opens the dashboards through Voila's server extension at
``/user/<name>/voila/render/index.ipynb`` (the gallery; every dashboard is linked from it).

    jupyterhub -f deploy/jupyterhub_config.py

One machine, as written: a local process per student (``SimpleLocalProcessSpawner``: every
server runs as the user that runs the hub, each in a folder of its own). Settings come from
the environment, so the same file serves the tests and a class:

- ``DEEPSCOPE_HUB_IP`` / ``DEEPSCOPE_HUB_PORT``: where the hub listens (127.0.0.1:8000).
- ``DEEPSCOPE_HUB_DIR``: where the hub keeps its database, cookie secret and the students'
  folders (``./deepscope-hub``).
- ``DEEPSCOPE_HUB_PASSWORD``: with it, any name logs in with this one password of 8
  characters or more (JupyterHub's shared-password authenticator: for a trial or a workshop
  on a closed network, never on the internet).
  Without it, students log in with their accounts on this machine (PAM).
- ``NUMBA_CACHE_DIR``: one compiled-kernel cache for every student (``deepscope warmup``
  fills it before the class); by default ``<DEEPSCOPE_HUB_DIR>/numba``.

For a cluster, see deploy/README.md: the Kubernetes spawner and the image.
"""

import json
import os
import sys
from pathlib import Path

import deepscope.cli

c = get_config()  # noqa: F821 (JupyterHub provides it)

here = Path(os.environ.get("DEEPSCOPE_HUB_DIR", "deepscope-hub")).resolve()
here.mkdir(parents=True, exist_ok=True)
cache = os.environ.get("NUMBA_CACHE_DIR") or str(here / "numba")

c.JupyterHub.ip = os.environ.get("DEEPSCOPE_HUB_IP", "127.0.0.1")
c.JupyterHub.port = int(os.environ.get("DEEPSCOPE_HUB_PORT", "8000"))
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.db_url = f"sqlite:///{here / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(here / "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.pid_file = str(here / "jupyterhub-proxy.pid")

if os.environ.get("DEEPSCOPE_HUB_PASSWORD"):
    c.JupyterHub.authenticator_class = "shared-password"
    c.SharedPasswordAuthenticator.user_password = os.environ["DEEPSCOPE_HUB_PASSWORD"]
    c.Authenticator.allow_all = True
else:
    c.JupyterHub.authenticator_class = "pam"
    c.Authenticator.allow_all = True  # every account on this machine; or list allowed_users

c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = str(here / "students" / "{username}")
# each student's server runs the Python that runs the hub (where deepscope is installed)
c.Spawner.cmd = [str(Path(sys.executable).with_name("jupyterhub-singleuser"))]
c.Spawner.notebook_dir = str(deepscope.cli.apps_dir())  # the dashboards, read-only is fine
c.Spawner.default_url = "/voila/render/index.ipynb"  # a student lands on the gallery
# deepscope's Voila template: the buttons' icons from the server, not a CDN
# and MathJax from the page's own scripts, not a CDN: Voila's page loads its bundled MathJax
# when the server names no MathJax URL and no MathJax config, as deepscope serve's pages do;
# a Jupyter server names a config (and Voila's page then adds a CDN's URL). Only a config
# file can say "none" (null), so the students' servers read one written here.
student_config = here / "student-config"
student_config.mkdir(exist_ok=True)
no_mathjax_cdn = {"tornado_settings": {"mathjax_url": None, "mathjax_config": None}}
(student_config / "jupyter_server_config.json").write_text(
    json.dumps({"ServerApp": no_mathjax_cdn})
)
c.Spawner.environment = {
    "NUMBA_CACHE_DIR": cache,
    "JUPYTER_PATH": deepscope.cli.jupyter_share(),
    "JUPYTER_CONFIG_PATH": str(student_config),
}
# a kernel whose page is gone ends after 10 minutes without a connection (preheating,
# plotly.js as a file run in the page's head, and leaving plotly's unused extension off, are
# deepscope serve's alone: Voila's server extension has none of them)
c.Spawner.args = [
    "--VoilaConfiguration.template=deepscope",
    "--MappingKernelManager.cull_idle_timeout=600",
    "--MappingKernelManager.cull_interval=60",
]
if os.geteuid() == 0:  # a container or a test machine: Jupyter refuses root unless told
    c.Spawner.args.append("--allow-root")
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
