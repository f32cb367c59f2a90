"""`make bench` (`python -m bench.run`) writes the NLU reports, then the scale report."""

from __future__ import annotations

from types import SimpleNamespace

from bench import commands, run
from bench.tests.test_scale import results as scale_results


def fake_runs(monkeypatch, tmp_path) -> list[str]:
    ran: list[str] = []

    def nlu(settings):
        ran.append("nlu")
        return SimpleNamespace(runtime_seconds=60.0)

    def reports(results, folder):
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "summary.md"
        path.write_text("nlu", encoding="utf-8")
        return [path]

    def scaled(settings):
        ran.append(f"scale quick={settings.quick} to {settings.results_dir}")
        return scale_results()

    # Progress lines and the SIGTERM handler belong to a real run, not to the test process.
    monkeypatch.setattr(run.console, "say", lambda message: None)
    monkeypatch.setattr(commands.signal, "signal", lambda *args: None)
    monkeypatch.setattr(run, "run_bench", nlu)
    monkeypatch.setattr(run, "write_reports", reports)
    monkeypatch.setattr(run.scale, "run_scale", scaled)
    return ran


def test_make_bench_runs_the_scale_bench_after_the_nlu_figures(monkeypatch, tmp_path):
    ran = fake_runs(monkeypatch, tmp_path)
    assert run.main(["--results-dir", str(tmp_path)]) == 0
    assert ran == ["nlu", f"scale quick=False to {tmp_path}"]
    assert (tmp_path / "summary.md").exists()
    assert "## Targets (issue 12)" in (tmp_path / "scale.md").read_text(encoding="utf-8")


def test_a_quick_bench_runs_a_quick_scale_bench_and_no_scale_leaves_it_out(monkeypatch, tmp_path):
    ran = fake_runs(monkeypatch, tmp_path)
    assert run.main(["--quick", "--results-dir", str(tmp_path)]) == 0
    assert ran[-1] == f"scale quick=True to {tmp_path}"
    ran.clear()
    assert run.main(["--no-scale", "--results-dir", str(tmp_path / "none")]) == 0
    assert ran == ["nlu"]
