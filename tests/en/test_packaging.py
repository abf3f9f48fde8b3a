"""An installed wheel carries the rules and lexicons and labels outside the checkout."""
import subprocess
import sys
import zipfile

import pytest

from tests.conftest import ROOT


@pytest.mark.slow
def test_wheel_works_outside_the_checkout(tmp_path):
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(tmp_path / "dist"), str(ROOT)], capture_output=True, text=True)
    if build.returncode != 0 and "No module named" in build.stderr:
        pytest.skip(f"cannot build a wheel here: {build.stderr.strip().splitlines()[-1]}")
    assert build.returncode == 0, build.stderr
    wheel = next((tmp_path / "dist").glob("cxrlabel-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "cxrlabel/rules/en/negation.txt" in names
    assert "cxrlabel/rules/en/aggregation.ini" in names
    assert "cxrlabel/lexicons/en/mention/Pleural Effusion.txt" in names
    assert {"cxrlabel/html_page.js", "cxrlabel/review/page.js", "cxrlabel/review/page.html",
            "cxrlabel/zh/clusters.js", "cxrlabel/zh/clusters.css"} <= set(names)  # the pages' templates
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = ("import cxrlabel, cxrlabel.resources as r; from cxrlabel.en.labeler import LabelerConfig, Pipeline;"
            "print(cxrlabel.__file__); print(r.rules_dir());"
            "print(Pipeline(LabelerConfig(parser='none')).label(['No pleural effusion.'])[0].labels['Pleural Effusion'])")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                         env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    module, rules, label = out.stdout.split()
    assert module.startswith(str(site)) and rules.startswith(str(site)) and label == "0.0"
