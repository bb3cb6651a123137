"""A stand-in for `crawler crawl` that the daemon tests run as its child (``--child-command``).

It gets the crawl's arguments and behaves by the portal names among them:

* ``crashy_*``: dies of SIGKILL at once, like a crawl killed by the OOM killer;
* ``hangy_*``: starts a grandchild, writes both pids to ``$FAKE_CRAWL_PIDS`` and sleeps:
  a hung crawl, which only a kill of its whole process group ends;
* ``$FAKE_CRAWL_MODE=summary``: prints a made-up summary (every portal ok, 3 candidates) at once;
* anything else: becomes the real ``crawler crawl`` with the same arguments.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def main(args: list[str]) -> None:
    names = [a for a in args if not a.startswith("-") and "=" not in a and "/" not in a]
    if any(n.startswith("crashy_") for n in names):
        os.kill(os.getpid(), signal.SIGKILL)
    if any(n.startswith("hangy_") for n in names):
        grandchild = subprocess.Popen(["sleep", "600"])
        with open(os.environ["FAKE_CRAWL_PIDS"], "a", encoding="utf-8") as pids:
            pids.write(f"{os.getpid()} {grandchild.pid}\n")
        time.sleep(600)
    if os.environ.get("FAKE_CRAWL_MODE") == "summary":
        if "--all" in args:
            names = sorted(p.stem for p in Path(args[args.index("--portals-dir") + 1]).glob("*.toml"))
        per_portal = {n: {"status": "ok", "candidates": 3, "reports": 3, "problems": []} for n in names}
        print(json.dumps({"portals": len(per_portal), "per_portal": per_portal}))
        return
    crawler = Path(sys.executable).with_name("crawler")
    os.execv(crawler, [str(crawler), "crawl", *args])


if __name__ == "__main__":
    main(sys.argv[1:])
