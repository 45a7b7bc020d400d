"""The image's build stage, run here without a Docker engine: the Dockerfile's COPY, ENV and RUN
instructions up to the runtime stage, with its paths mapped to a temporary directory."""

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).parents[2]
DOCKERFILE = ROOT / "Dockerfile"
IMAGE_VENV = "/opt/nav-adapter"
IMAGE_SOURCE = "/src"


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str


def instructions(text: str) -> list[Instruction]:
    """The Dockerfile's instructions, continuation lines joined and comments left out."""
    joined = re.sub(r"\\\n\s*", " ", text)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, arguments = line.partition(" ")
            out.append(Instruction(keyword.upper(), arguments.strip()))
    return out


def stages(text: str) -> list[list[Instruction]]:
    found: list[list[Instruction]] = []
    for instruction in instructions(text):
        if instruction.keyword == "FROM":
            found.append([])
        if found:
            found[-1].append(instruction)
    return found


@dataclass(frozen=True)
class RuntimeEnvironment:
    venv: Path
    work: Path

    def bin(self, name: str) -> Path:
        return self.venv / "bin" / name

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """The environment of a process run from the runtime venv alone: nothing of the checkout."""
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        return {**env, **(extra or {})}


def build_stage(work: Path) -> RuntimeEnvironment:
    """Runs the build stage into `work`/venv, as `docker build` would into /opt/nav-adapter."""
    (build, *_) = stages(DOCKERFILE.read_text())
    venv, source = work / "venv", work / "src"
    source.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    python = getattr(sys, "_base_executable", sys.executable)

    def mapped(text: str) -> str:
        return text.replace(IMAGE_VENV, str(venv)).replace(IMAGE_SOURCE, str(source))

    for instruction in build[1:]:
        if instruction.keyword == "ENV":
            for assignment in shlex.split(instruction.arguments):
                name, _, value = assignment.partition("=")
                if name != "PIP_NO_CACHE_DIR":  # pip's cache is a speed-up here; hashes are checked
                    env[name] = value
        elif instruction.keyword == "COPY":
            *sources, target = shlex.split(instruction.arguments)
            into = mapped(target)
            for name in sources:
                destination = Path(into) / name if into.endswith("/") or len(sources) > 1 else Path(into)
                if (ROOT / name).is_dir():
                    shutil.copytree(ROOT / name, destination, ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(ROOT / name, destination)
        elif instruction.keyword == "RUN":
            command = re.sub(r"^python(?= )", shlex.quote(python), mapped(instruction.arguments))
            subprocess.run(["bash", "-ec", command], env=env, cwd=work, check=True, timeout=900)
        elif instruction.keyword not in ("ARG", "WORKDIR"):
            raise AssertionError(f"the build stage has {instruction.keyword}, which this runner cannot run")
    return RuntimeEnvironment(venv, work)
