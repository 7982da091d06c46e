"""odop-adapter catalog ... and cooperative profile, as real subprocesses on a fresh SQLite database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.servers import ROOT

FIXTURES = ROOT / "tests" / "catalog_sync" / "fixtures"
RET16 = FIXTURES / "items_ret16.csv"


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "adapter.cli", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("cli")
    environ = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "ADMIN_API_KEY")}
    environ |= {"DATA_DIR": str(tmp / "var")}
    assert run(["db", "upgrade"], environ).returncode == 0
    assert run(["cooperative", "create", "test-coop", "--name", "Test Coop"], environ).returncode == 0
    profile = json.loads((FIXTURES / "profile.json").read_text())
    profile["slug"] = "test-coop"
    (tmp / "profile.json").write_text(json.dumps(profile))
    result = run(["cooperative", "profile", "test-coop", str(tmp / "profile.json")], environ)
    assert result.returncode == 0, result.stderr
    return environ


def test_template_prints_the_category_columns(env: dict[str, str]) -> None:
    home = run(["catalog", "template", "--category", "Home Decor"], env)
    food = run(["catalog", "template", "--category", "Tea and Coffee"], env)
    assert home.returncode == 0
    assert "colour" in home.stdout.splitlines()[0]
    assert "fssai_license_no" in food.stdout.splitlines()[0]
    assert "fssai_license_no" not in home.stdout.splitlines()[0]
    unknown = run(["catalog", "template", "--category", "Decor"], env)
    assert unknown.returncode == 1
    assert "use one of" in unknown.stderr


def test_validate_exit_codes_and_json_report(env: dict[str, str], tmp_path: Path) -> None:
    assert run(["catalog", "validate", str(RET16)], env).returncode == 0
    lines = RET16.read_text().splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index("price")] = "free"
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([lines[0], ",".join(row), *lines[2:]]) + "\n")
    text = run(["catalog", "validate", str(bad)], env)
    assert text.returncode == 1
    assert "row 2" in text.stdout
    assert "price" in text.stdout
    as_json = run(["catalog", "validate", str(bad), "--format", "json"], env)
    assert as_json.returncode == 1
    report = json.loads(as_json.stdout)
    assert report["ok"] is False
    assert report["errors"][0]["row"] == 2
    assert report["errors"][0]["column"] == "price"
    assert report["errors"][0]["value"] == "free"
    wrong_category = run(["catalog", "validate", str(RET16), "--category", "Tea and Coffee"], env)
    assert wrong_category.returncode == 1


def test_import_render_and_diff(env: dict[str, str], tmp_path: Path) -> None:
    first = run(["catalog", "import", str(RET16), "--cooperative", "test-coop"], env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("imported version 1")
    again = run(["catalog", "import", str(RET16), "--cooperative", "test-coop"], env)
    assert "unchanged" in again.stdout

    rendered = json.loads(run(["catalog", "render", "--cooperative", "test-coop", "--domain", "ONDC:RET16"],
                              env).stdout)
    assert rendered["context"]["action"] == "on_search"
    assert rendered["message"]["catalog"]["bpp/descriptor"]

    lines = RET16.read_text().splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index("stock")] = "0"
    changed = tmp_path / "changed.csv"
    changed.write_text("\n".join([lines[0], ",".join(row), *lines[2:]]) + "\n")
    assert run(["catalog", "import", str(changed), "--cooperative", "test-coop"], env).stdout.startswith(
        "imported version 2")
    diff = run(["catalog", "diff", "--cooperative", "test-coop", "--from", "1", "--to", "2"], env)
    assert diff.returncode == 0, diff.stderr
    message = json.loads(diff.stdout)
    assert message["context"]["city"] == "*"
    provider = message["message"]["catalog"]["bpp/providers"][0]
    assert [i["id"] for i in provider["items"]] == [row[header.index("id")]]
    assert "bpp/descriptor" not in message["message"]["catalog"]
    missing = run(["catalog", "diff", "--cooperative", "test-coop", "--from", "1", "--to", "9"], env)
    assert missing.returncode == 1
    assert "no catalogue version 9" in missing.stderr


def test_download_dry_run_confirmation_and_undo(env: dict[str, str], tmp_path: Path) -> None:
    run(["catalog", "import", str(RET16), "--cooperative", "test-coop"], env)
    target = tmp_path / "current.csv"
    wrote = run(["catalog", "download", "--cooperative", "test-coop", "--format", "csv", "-o", str(target)], env)
    assert wrote.returncode == 0, wrote.stderr
    assert target.read_bytes().splitlines()[0].endswith(b",stock_as_of")
    back = run(["catalog", "import", str(target), "--cooperative", "test-coop"], env)
    assert "unchanged" in back.stdout, back.stdout + back.stderr
    header, first, *_ = RET16.read_text().splitlines()
    short = tmp_path / "short.csv"
    short.write_text(f"{header}\n{first}\n")
    dry = run(["catalog", "import", str(short), "--cooperative", "test-coop", "--dry-run"], env)
    assert dry.returncode == 0
    assert "removed (2):" in dry.stdout
    assert "needs a confirmation: it would remove 2 of the 3 items on sale" in dry.stdout
    refused = run(["catalog", "import", str(short), "--cooperative", "test-coop"], env)  # no terminal to ask
    assert refused.returncode == 1
    assert "nothing was imported (run again with --yes to go ahead)" in refused.stderr
    applied = run(["catalog", "import", str(short), "--cooperative", "test-coop", "--yes"], env)
    assert "imported version" in applied.stdout, applied.stdout + applied.stderr
    undone = run(["catalog", "undo", "--cooperative", "test-coop"], env)
    assert undone.stdout.startswith("restored: version"), undone.stdout + undone.stderr
    again = run(["catalog", "import", str(RET16), "--cooperative", "test-coop"], env)
    assert "unchanged" in again.stdout  # undo brought the three items back


def test_bad_profile_file_lists_problems(env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: X\ngstin: nope\n")
    result = run(["cooperative", "profile", "test-coop", str(bad)], env)
    assert result.returncode == 1
    assert "gstin" in result.stderr
    assert "Traceback" not in result.stderr
