"""Where pgserver's PostgreSQL binaries are, and how root gets to run them.

PostgreSQL refuses to run as root, so as root the binaries run as system user
``pgserver`` with the same permission fix-ups pgserver/postgres_server.py applies.
"""

import os
import stat
import warnings
from importlib.util import find_spec
from pathlib import Path
from typing import Any


def pgserver_binary(exe: str) -> str:
    """Path of a binary in pgserver/pginstall/bin (found without importing pgserver)."""
    spec = find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the pgserver wheel is not installed")
    return str(Path(spec.submodule_search_locations[0]) / "pginstall" / "bin" / exe)


def run_as_pgserver_user(data_dir: Path) -> dict[str, Any]:
    """As root: ensure user 'pgserver', make binaries/data reachable, return Popen kwargs."""
    with warnings.catch_warnings():  # importing pgserver warns if XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        from pgserver import utils
    pw = utils.ensure_user_exists("pgserver")
    assert pw is not None
    bin_dir = Path(pgserver_binary(""))
    utils.ensure_prefix_permissions(data_dir)
    utils.ensure_prefix_permissions(bin_dir)
    read, execute = stat.S_IRGRP | stat.S_IROTH, stat.S_IXGRP | stat.S_IXOTH
    utils.ensure_folder_permissions(bin_dir, read | execute)
    utils.ensure_folder_permissions(bin_dir.parent / "lib", read)
    os.chown(data_dir, pw.pw_uid, pw.pw_gid)
    return {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}
