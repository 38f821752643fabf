"""notebooks/eval_walkthrough.ipynb runs from top to bottom in a real kernel over a run directory (MINFU_EVAL_RUN)
and draws its figures."""

from pathlib import Path

import nbclient
import nbformat
import pytest

from tests.eval.run_fixture import write_run

NOTEBOOK = Path(__file__).parents[2] / "notebooks" / "eval_walkthrough.ipynb"
FIGURES = 3  # by pipeline, by category, latency


def test_the_walkthrough_runs_without_errors_and_draws_its_figures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = write_run(tmp_path / "run", truncate_last=True)
    monkeypatch.setenv("MINFU_EVAL_RUN", str(run))
    notebook = nbformat.read(NOTEBOOK, as_version=4)  # type: ignore[no-untyped-call]
    client = nbclient.NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError, with the cell and its traceback, if any cell fails

    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    figures = [output for output in outputs if "image/png" in output.get("data", {})]
    assert len(figures) == FIGURES
    printed = "".join(output.get("text", "") for output in outputs if output.output_type == "stream")
    assert f"运行目录：{run}" in printed and "第 16 行写到一半" in printed
    tables = "".join(output.get("data", {}).get("text/markdown", "") for output in outputs)
    assert "夜市补贴&lt;b&gt;多少&lt;/b&gt;钱？" in tables  # markup in a question stays text
