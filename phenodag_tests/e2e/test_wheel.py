"""phenodag as a user installs it: the wheel, with the lock, in a fresh virtual environment outside the checkout.

The wheel is built from a copy of the checkout's files. The fresh environment takes the
lock's packages from this test run's own environment (a ``.pth`` line), so nothing is
downloaded or unpacked again, torch included; ``pip install -r requirements.lock`` there
then proves the lock is satisfied, the wheel is installed over it, and ``pip check`` proves
the wheel's declared dependencies hold. Everything then runs from a folder outside the
checkout, so only the installed wheel can be imported.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LOADS = """
import json, sys
import phenodag
from phenodag.definitions import defs
graph = defs.resolve_asset_graph()
edges = sorted(
    [p.to_user_string(), k.to_user_string()] for k in graph.get_all_asset_keys() for p in graph.get(k).parent_keys
)
print(json.dumps({"file": phenodag.__file__, "edges": edges}))
"""


def run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    out = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, f"{' '.join(args)} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    return out.stdout


@pytest.mark.e2e
def test_the_wheel_installs_with_the_lock_and_loads_every_asset(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PHENODAG_", "DAGSTER_", "MLFLOW_"))}
    env.pop("PYTHONPATH", None)
    env["PHENODAG_HOME"] = str(tmp_path / "home")
    src = tmp_path / "src"
    skip = shutil.ignore_patterns(".git", ".venv", ".phenodag", "build", "dist", "*.egg-info", "__pycache__", ".*cache")
    shutil.copytree(REPO, src, symlinks=True, ignore=skip)
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", "dist", "."], src, env)
    (wheel,) = (src / "dist").glob("phenodag-*.whl")

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path, env)  # pip comes with the lock
    python = str(venv / "bin" / "python")
    purelib = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp_path, env)
    shared = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(purelib.strip()) / "phenodag_lock_packages.pth").write_text("\n".join(sorted(shared)) + "\n")
    pip = [python, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps"]
    run([*pip, "--require-hashes", "-r", str(REPO / "requirements.lock")], tmp_path, env)
    run([*pip, "--force-reinstall", str(wheel)], tmp_path, env)
    run([python, "-m", "pip", "check"], tmp_path, env)

    loaded = json.loads(run([python, "-c", LOADS], tmp_path, env).strip().splitlines()[-1])
    assert Path(loaded["file"]).is_relative_to(venv), f"imported {loaded['file']}, not the installed wheel"
    mermaid = (REPO / "docs" / "architecture.md").read_text().split("```mermaid", 1)[1].split("```", 1)[0]
    drawn = set(re.findall(r"^\s*(\w+) --> (\w+)\s*$", mermaid, flags=re.M))
    assert {tuple(e) for e in loaded["edges"]} == drawn  # SQL models included: they ship in the wheel
    assert ("raw_images", "plate_summary") in drawn

    assert "usage: phenodag" in run([str(venv / "bin" / "phenodag"), "--help"], tmp_path, env)
