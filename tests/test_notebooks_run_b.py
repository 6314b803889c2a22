"""The other half of the notebooks, executed in a file of its own (see test_notebooks.py)."""

from __future__ import annotations

import pytest

from test_notebooks import SECOND_HALF, _param, execute_notebook


@pytest.mark.parametrize("path", [_param(p) for p in SECOND_HALF])
def test_notebook_executes_without_errors(path, tmp_path, shared_data_if_present, monkeypatch):
    execute_notebook(path, tmp_path, shared_data_if_present, monkeypatch)
