"""What a small run's process loads and keeps: a start-up cost users pay on every ``snapsim run``."""
import os
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


_BUILT = ("from pydantic import BaseModel\n"
          "def walk(c):\n    for s in c.__subclasses__():\n        yield s\n        yield from walk(s)\n"
          "built = lambda: sorted(c.__name__ for c in walk(BaseModel) if c.__module__.startswith('sim.') "
          "and c.__pydantic_complete__)\n")


def test_importing_the_cli_imports_neither_pydantic_nor_the_models():
    """``sim`` imports its names on first use and ``sim.cli`` names ScenarioError from
    ``sim.errors``: importing the CLI leaves the heavy imports to ``main``, which makes them with
    the collector off and freezes them (see test_the_program_freezes_what_it_imported)."""
    code = ("import sys\nimport sim.cli\n"
            "print(sorted(m for m in ('pydantic', 'yaml', 'simpy', 'sim.scenario', 'sim.api', 'sim.runtime') "
            "if m in sys.modules))")
    assert _program(code) == "[]"


def test_importing_builds_no_scenario_model():
    """The scenario models defer their build (``defer_build``; default sub-objects are made with
    ``model_construct``, which needs no validator): importing the CLI builds none of them and
    has not yet loaded pydantic's plugin loader (it loads with the first validator)."""
    code = "import sys\nimport sim.cli\n" + _BUILT + "print(built(), 'pydantic.plugin._loader' in sys.modules)"
    assert _program(code) == "[] False"


def test_a_job_file_builds_only_the_job_models_default_objects_included():
    """A small run builds one validator, the job kind's top model's (its nested models inside it;
    judging the ``expect:`` block builds none of theirs); a default sub-object made with
    ``model_construct`` equals one validated from nothing."""
    code = ("from sim.cli import main\n" + _BUILT +
            "try:\n    main(['run', 'hello_world_crash', '--quiet'])\n"
            "except SystemExit as exc:\n    assert exc.code == 0\nprint(built())")
    assert _program(code) == "['JobScenario']"
    from sim.scenario import job

    for name in ("NetworkSpec", "KafkaSpec", "CheckpointingSpec", "StateBackendSpec", "RestartSpec", "RunSpec",
                 "JobExpect"):
        model = getattr(job, name)
        made, validated = model.model_construct(), model()
        assert made == validated and made.model_fields_set == validated.model_fields_set == set()
        assert repr(made) == repr(validated)


def _plugin_search(argv_code: str, env_value: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    if env_value is not None:
        env["PYDANTIC_DISABLE_PLUGINS"] = env_value
    code = ("import atexit, os, sys\n"
            "def show():\n"
            "    loader = sys.modules.get('pydantic.plugin._loader')\n"
            "    print(loader is not None and loader._plugins is not None, repr(os.environ.get('PYDANTIC_DISABLE_PLUGINS')))\n"
            "atexit.register(show)\n"
            "from sim.cli import main\n" + argv_code)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_the_program_skips_pydantics_plugin_search_unless_the_user_set_it():
    """Run as the program, ``snapsim`` sets PYDANTIC_DISABLE_PLUGINS (pydantic then never scans the
    installed distributions' entry points); a value the user set, even empty, is kept (then the
    search runs: ``_plugins`` is filled); called with arguments (a library call) it changes nothing."""
    as_program = "sys.argv[1:] = ['run', 'hello_world_crash', '--quiet']\nmain()\n"
    assert _plugin_search(as_program, None) == "False '__all__'"
    assert _plugin_search(as_program, "") == "True ''"
    as_call = ("try:\n    main(['run', 'hello_world_crash', '--quiet'])\n"
               "except SystemExit as exc:\n    assert exc.code == 0\n")
    assert _plugin_search(as_call, None) == "True None"


def test_a_small_run_without_json_output_imports_no_json():
    """json is imported where JSON is written or read (``--json``, ``--trace``, reading a trace):
    nothing else of a small run needs it."""
    code = ("import atexit, sys\n"
            "atexit.register(lambda: print('json' in sys.modules))\n"
            "from sim.cli import main\n"
            "sys.argv[1:] = ['run', 'hello_world_crash', '--quiet']\n"
            "main()\n")
    assert _program(code) == "False"


def test_a_small_run_makes_no_dataclass_of_its_own():
    """A dataclass compiles its generated methods when its module is imported (2 to 7 M instructions
    a class): the classes a small run loads from snapsim's modules are ``sim.values`` classes,
    ``UserFunction``, ``Transaction`` and ``Reference`` among them (``tests/test_values.py``)."""
    code = ("import atexit, sys\n"
            "def made():\n"
            "    return sorted(f'{m}.{n}' for m, mod in list(sys.modules.items()) if m.startswith('sim.')\n"
            "                  for n, c in vars(mod).items() if isinstance(c, type) and c.__module__ == m\n"
            "                  and '__dataclass_fields__' in vars(c))\n"
            "atexit.register(lambda: print(made()))\n"
            "from sim.cli import main\n"
            "sys.argv[1:] = ['run', 'hello_world_crash', '--quiet']\n"
            "main()\n")
    assert _program(code) == "[]"
