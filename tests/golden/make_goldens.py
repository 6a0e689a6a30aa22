"""Golden outputs of every command on every shipped sample.

Run ``python tests/golden/make_goldens.py`` to (re)write them; ``tests/test_golden.py`` runs the
same commands and demands identical output. A change to a golden file must be explained in the
commit that makes it: nothing users see changes by accident.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
GOLDEN = Path(__file__).resolve().parent / "files"

# (golden file name, command arguments; {out} is the output path, {dir} an output folder)
COMMANDS: list[tuple[str, list[str]]] = [
    ("validate_greve.txt", ["validate", "greve_2009.csv"]),
    ("validate_greve_aggregate.txt", ["validate", "greve_2009_aggregate.csv"]),
    ("validate_aktive17.txt", ["validate", "aktive_17.csv"]),
    ("validate_confounded.txt", ["validate", "confounded.csv"]),
    ("evaluate_confounded_att.csv", ["evaluate", "confounded.csv", "--covariates",
                                     "age,sex,diagnosis,has_employer", "--weighting", "att",
                                     "--weighting-bootstrap", "50", "--format", "csv"]),
    ("evaluate_greve.txt", ["evaluate", "greve_2009.csv", "--horizon-weeks", "26",
                            "--covariates", "age,diagnosis"]),
    ("evaluate_greve.csv", ["evaluate", "greve_2009.csv", "--horizon-weeks", "26",
                            "--covariates", "age,diagnosis", "--format", "csv"]),
    ("evaluate_greve.json", ["evaluate", "greve_2009.csv", "--format", "json"]),
    ("evaluate_greve_suppressed.csv", ["evaluate", "greve_2009.csv", "--format", "csv",
                                       "--suppress"]),
    ("evaluate_greve_progression.csv", ["evaluate", "greve_2009.csv", "--progression",
                                        "greve_2009_progression.csv", "--format", "csv"]),
    ("evaluate_greve_aggregate.csv", ["evaluate", "greve_2009_aggregate.csv",
                                      "--format", "csv"]),
    ("evaluate_aktive17.csv", ["evaluate", "aktive_17.csv", "--format", "csv"]),
    ("evaluate_aktive17_aggregate.csv", ["evaluate", "aktive_17_aggregate.csv",
                                         "--format", "csv"]),
    ("compare_aktive17.txt", ["compare", "aktive_17.csv"]),
    ("compare_aktive17.csv", ["compare", "aktive_17.csv", "--format", "csv"]),
    ("compare_aktive17_rr_hk.json", ["compare", "aktive_17.csv", "--measure", "rr",
                                     "--hartung-knapp", "--format", "json"]),
    ("compare_aktive17_aggregate.csv", ["compare", "aktive_17_aggregate.csv",
                                        "--method", "dl", "--format", "csv"]),
    ("register_small.csv", ["register", "dream_panel_small.parquet", "--mapping",
                            "dream_mapping_synthetic.csv", "--groups",
                            "dream_groups_small.csv", "--out", "{out}"]),
    ("report_greve", ["report", "greve_2009.toml", "--format", "md", "--out", "{dir}"]),
    ("report_aktive17", ["report", "aktive_17.csv", "--format", "md", "--lang", "da,en",
                         "--out", "{dir}"]),
    # one group (the Greve participants alone, no comparison group): issue 14
    ("validate_greve_participants.txt", ["validate", "greve_2009_participants.csv"]),
    ("evaluate_greve_participants.csv", ["evaluate", "greve_2009_participants.csv",
                                         "--horizon-weeks", "26", "--format", "csv"]),
    ("report_greve_participants", ["report", "greve_2009_participants.toml", "--format", "md",
                                   "--out", "{dir}"]),
]


def run(name: str, args: list[str], tmp: Path) -> dict[str, bytes]:
    """Run one command from the sample folder; return {golden name: bytes}."""
    out_file = tmp / name
    out_dir = tmp / (name + "_dir")
    argv = [a.replace("{out}", str(out_file)).replace("{dir}", str(out_dir)) for a in args]
    proc = subprocess.run([sys.executable, "-m", "fastholdelse_eval.cli", *argv], cwd=SAMPLE,
                          capture_output=True, check=False)
    stdout = proc.stdout + f"\n[exit {proc.returncode}]\n".encode() + proc.stderr
    stdout = stdout.replace(str(tmp).encode(), b"{tmp}")
    # progress timings vary from run to run
    stdout = re.sub(rb"\[(\w+) +\d+\.\ds\]", rb"[\1 #.#s]", stdout)
    stdout = re.sub(rb"done in \d+\.\ds", rb"done in #.#s", stdout)
    if "{dir}" in " ".join(args):
        files = {f"{name}/{p.name}": p.read_bytes() for p in sorted(out_dir.iterdir())}
        files[f"{name}/stdout.txt"] = stdout
        return files
    if "{out}" in " ".join(args):
        return {name: out_file.read_bytes() if out_file.exists() else b"",
                name + ".stdout.txt": stdout}
    return {name: stdout}


def generate() -> dict[str, bytes]:
    """Every golden file, freshly made (two commands at a time: they are independent)."""
    with tempfile.TemporaryDirectory() as t, ThreadPoolExecutor(max_workers=2) as pool:
        files: dict[str, bytes] = {}
        for part in pool.map(lambda c: run(c[0], c[1], Path(t)), COMMANDS):
            files.update(part)
        return files


def main() -> None:
    if GOLDEN.exists():
        shutil.rmtree(GOLDEN)
    for rel, data in generate().items():
        path = GOLDEN / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    print(f"wrote {len(list(GOLDEN.rglob('*.*')))} golden files to {GOLDEN}")


if __name__ == "__main__":
    main()
