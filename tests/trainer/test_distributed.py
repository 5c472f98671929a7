"""Two CPU processes on gloo: the collectives of a step must line up whatever each rank holds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import torch

from reward_server.testing import free_port

WORKER = Path(__file__).with_name("dist_worker.py")
REPO = Path(__file__).resolve().parents[2]


def test_two_ranks_agree_on_groups_skip_and_batch_std(tiny_model_dir: Path) -> None:
    port = free_port()
    procs = []
    for rank in range(2):
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
            "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": str(port),
            "RANK": str(rank),
            "LOCAL_RANK": str(rank),
            "WORLD_SIZE": "2",
            "LOCAL_WORLD_SIZE": "2",
            "OMP_NUM_THREADS": "1",
        }
        procs.append(
            subprocess.Popen(
                [sys.executable, str(WORKER), str(tiny_model_dir)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=REPO,
            )  # fmt: skip
        )
    outputs = []
    try:
        for proc in procs:
            stdout, stderr = proc.communicate(timeout=240)  # a hang (mismatched collective) fails
            assert proc.returncode == 0, stderr[-3000:]
            outputs.append(json.loads(stdout.strip().splitlines()[-1]))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    r0, r1 = sorted(outputs, key=lambda o: o["rank"])
    assert r0["world"] == r1["world"] == 2
    assert r0["agree_empty"] == r1["agree_empty"] == 0
    assert r0["agree_min"] == r1["agree_min"] == 2
    union = torch.tensor([0.0, 1.0, 1.0, 1.0, 0.0, 0.0])  # every rank's rewards
    assert abs(r0["batch_std"] - float(union.std(unbiased=False))) < 1e-9
    assert r0["batch_std"] == r1["batch_std"]
    # step 1: rank 0 had no group, so both skipped; step 2: both trained on min(1, 2) = 1 group
    assert [s["skipped"] for s in r0["steps"]] == [s["skipped"] for s in r1["steps"]] == [1.0, 0.0]
    assert r0["steps"][1]["groups"] == r1["steps"][1]["groups"] == 1.0
    assert r0["checksums"][0] == r0["checksums"][1]  # DDP kept the replicas identical
