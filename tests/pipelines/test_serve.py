"""`synthgan serve` as an operator uses it: a real Prefect server with its UI where runs report,
every request a deployment (an invalid one skipped), a run triggered with a form override."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml

from tests.pipelines.test_flow import write_request


def test_serve_starts_a_ui_serves_every_request_and_runs_a_triggered_one(tmp_path):
    folder = tmp_path / "requests"
    folder.mkdir()
    write_request(folder, name="ondemand", generate={"rows": 120}, output="../out")
    (folder / "broken.yaml").write_text(yaml.safe_dump({"name": "broken", "modality": "tabular"}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_SERVER_ANALYTICS_ENABLED="false", SYNTHGAN_THREADS="1")
    bin_dir = Path(sys.executable).parent
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen([str(bin_dir / "synthgan"), "serve", str(folder), "--port", "0"], cwd=tmp_path, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline, text = time.monotonic() + 180, ""
        while "serving ondemand" not in text:
            assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.5)
            text = (tmp_path / "serve.log").read_text()
        assert re.search(r"skipped \S*broken\.yaml: .*source: Field required", " ".join(text.split()))
        ui = re.search(r"Prefect UI: (http://127\.0\.0\.1:\d+)", text).group(1)
        api = ui + "/api"
        with urllib.request.urlopen(ui, timeout=10) as r:         # the UI is served, not only the API
            assert r.status == 200 and b"<html" in r.read(2000).lower()
        # same PREFECT_HOME as `synthgan run` of this request: <output>/.prefect
        assert (tmp_path / "out" / ".prefect").is_dir()
        triggered = subprocess.run(
            [str(bin_dir / "prefect"), "deployment", "run", "synthgan-synthesize/ondemand", "--param", "rows=50",
             "--watch", "--watch-timeout", "240"],
            env={**env, "PREFECT_API_URL": api}, capture_output=True, text=True, timeout=300)
        assert triggered.returncode == 0, triggered.stdout + triggered.stderr
        home = tmp_path / "out" / "ondemand"
        run_id = (home / "LATEST").read_text().strip()
        manifest = json.loads((home / run_id / "manifest.json").read_text())
        assert manifest["request"]["generate"]["rows"] == 50                 # the form's override
        assert manifest["flow_run_name"] == f"ondemand-{run_id}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
