"""The exported notebooks are up to date with what the code prints now: each
notebook is executed again (with the churnkit under test, in a temporary folder)
and its Markdown export must match notebooks-exported/ line for line once
numbers are masked — the same sections, outputs and figures, whatever the
last digits."""
import os
import re
import tempfile

import nbformat
import pytest
from nbclient import NotebookClient
from nbconvert import MarkdownExporter

from test_features import CHURNKIT, ROOT

NOTEBOOKS = os.path.join(ROOT, "notebooks")
EXPORTED = os.path.join(ROOT, "notebooks-exported")


def masked(markdown):
    """Digits masked; lines that depend on the machine (BLAS) dropped, and
    blank lines: a cell's standard output and error arrive as separate
    streams, split where the process happened to flush, and the export
    puts blank lines between them."""
    keep = [line for line in markdown.splitlines() if line.strip()
            and not any(word in line for word in ("BLAS", "LAPACK", "libblas", "liblapack", "churnkit 0."))]
    return [re.sub(r"\d+", "#", line).rstrip() for line in keep]


def test_every_notebook_is_exported():
    names = sorted(f[:-6] for f in os.listdir(NOTEBOOKS) if f.endswith(".ipynb"))
    assert names, "no notebook"
    for name in names:
        assert os.path.exists(os.path.join(EXPORTED, name + ".md")), f"{name} is not exported: run scripts/export-notebooks"


@pytest.mark.parametrize("name", ["cdnow", "generated"])
def test_notebook_output_matches_its_export(name):
    notebook = nbformat.read(os.path.join(NOTEBOOKS, name + ".ipynb"), as_version=4)
    work = tempfile.mkdtemp()
    env = {"CHURNKIT": CHURNKIT, "CHURNKIT_ROOT": ROOT, "NOTEBOOK_WORK": work}
    os.environ.update(env)
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": NOTEBOOKS}}).execute()
    body, resources = MarkdownExporter().from_notebook_node(
        notebook, resources={"unique_key": name, "output_files_dir": name + "_files"})
    exported = open(os.path.join(EXPORTED, name + ".md"), encoding="utf-8").read()
    assert masked(body) == masked(exported), f"notebooks-exported/{name}.md is out of date: run scripts/export-notebooks"
    figures = sorted(resources.get("outputs", {}))
    assert figures == sorted(f"{name}_files/" + f for f in os.listdir(os.path.join(EXPORTED, name + "_files")))
    assert len(figures) >= 2
