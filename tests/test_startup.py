"""What a small run's process loads and keeps: a start-up cost users pay on every ``snapsim run``."""
import subprocess
import sys

from .conftest import ROOT

HEAVY = ["networkx", "matplotlib", "dask", "distributed", "rich", "sim.explore", "sim.report", "sim.figures",
         "sim.course", "sim.analysis.views.timing", "sim.analysis.views.output", "sim.scenario.gate",
         "sim.scenario.chandy_lamport", "difflib"]


def _program(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_a_small_run_imports_no_heavy_module():
    """``snapsim run hello_world_crash`` leaves networkx (JobGraph.graph builds it on demand),
    matplotlib, dask, rich, the explorer, the pictures and the other kinds' models unimported."""
    code = ("import atexit, sys\n"
            f"heavy = {HEAVY!r}\n"
            "atexit.register(lambda: print(sorted(m for m in sys.modules\n"
            "                                      if any(m == h or m.startswith(h + '.') for h in heavy))))\n"
            "from sim.cli import main\n"
            "sys.argv[1:] = ['run', 'hello_world_crash', '--quiet']\n"
            "main()\n")
    assert _program(code) == "[]"


def test_the_program_freezes_what_it_imported():
    """Run as the program, ``main`` moves what it imported to the collector's permanent generation
    (the exit's final collection skips it); called with arguments, as tests do, it leaves the
    collector alone."""
    code = ("import atexit, gc, sys\n"
            "atexit.register(lambda: print(gc.get_freeze_count() > 10_000))\n"
            "from sim.cli import main\n"
            "sys.argv[1:] = ['run', 'hello_world_crash', '--quiet']\n"
            "main()\n")
    assert _program(code) == "True"
    code = ("import gc\nfrom sim.cli import main\n"
            "try:\n    main(['run', 'hello_world_crash', '--quiet'])\n"
            "except SystemExit as exc:\n    assert exc.code == 0\n"
            "print(gc.get_freeze_count())")
    assert _program(code) == "0"
