"""Shared fixtures: the `vsq` CLI (for agreement tests) and a temp folder."""
import os
import shutil

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="session")
def vsq_cli():
    cli = os.environ.get("VSQ_CLI") or os.path.join(ROOT, "build", "vsq")
    if not (os.path.isfile(cli) and os.access(cli, os.X_OK)):
        cli = shutil.which("vsq") or cli
    assert os.access(cli, os.X_OK), (
        "the agreement tests need the vsq tool: build it (scripts/build.sh) or set VSQ_CLI")
    return cli
