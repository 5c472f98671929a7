"""Entry point: ``python3 -I <this folder>/__main__.py [--serve] [--mode=...] [--root=...]``.

``-I`` leaves the script's folder off the import path (and nothing on the path may stand in
for the runner), so the package is loaded from this folder by location, as ``sandbox_runner``.
"""

import importlib.util
import os
import sys

if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location(
        "sandbox_runner", os.path.join(here, "__init__.py"), submodule_search_locations=[here])
    assert spec is not None and spec.loader is not None
    package = importlib.util.module_from_spec(spec)
    sys.modules["sandbox_runner"] = package
    spec.loader.exec_module(package)
    from sandbox_runner.protocol import main

    main(sys.argv[1:])
