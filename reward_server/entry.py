"""``reward-server`` console script: the CLI, or a one-line hint when the server extra is missing.

The bare install is the reward client only, so the script exists without the server's
dependencies; a traceback about ``typer`` would not tell a user what to install.
"""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from reward_server.cli import app
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] in ("reward_server", "sandbox"):
            raise  # our own code is broken: no install hint would help
        sys.exit(
            f"reward-server needs the server's dependencies ({exc.name} is missing): "
            "pip install '.[server]' from the checkout"
        )
    app()


if __name__ == "__main__":
    main()
