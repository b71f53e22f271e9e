"""Activate a cove environment inside a running Python:

    exec(open(this_file).read(), {"__file__": this_file})

Puts the environment first on PATH and sys.path, as if its interpreter were running.
"""

import os
import site
import sys

try:
    here = os.path.abspath(__file__)
except NameError as exc:
    raise AssertionError("run with exec(open(f).read(), {'__file__': f})") from exc

bin_dir = os.path.dirname(here)
base = bin_dir[: -len(__BIN_NAME__) - 1]  # the environment's root

os.environ["PATH"] = os.pathsep.join([bin_dir, *os.environ.get("PATH", "").split(os.pathsep)])
os.environ["VIRTUAL_ENV"] = base
os.environ["VIRTUAL_ENV_PROMPT"] = __VIRTUAL_PROMPT__

prev_length = len(sys.path)
for lib in __SITE_PACKAGES__.split(os.pathsep):
    path = os.path.realpath(os.path.join(base, lib))
    site.addsitedir(path)
sys.path[:] = sys.path[prev_length:] + sys.path[0:prev_length]

sys.real_prefix = sys.prefix
sys.prefix = base
