"""Exits 0 when every `name==version` pin in a requirements file is already installed.

The Dockerfile runs pip only when this fails: the official Python image has none of the pins,
while the offline base (Debian packages) has exactly them and has neither pip nor a network.
"""
import sys
from importlib.metadata import PackageNotFoundError, version


def unmet(path):
    problems = []
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            name, sep, pinned = line.partition("==")
            if not sep:
                problems.append(f"{line}: not pinned with ==")
                continue
            try:
                found = version(name.strip())
            except PackageNotFoundError:
                found = "not installed"
            if found != pinned.strip():
                problems.append(f"{name.strip()}=={pinned.strip()} (found {found})")
    return problems


if __name__ == "__main__":
    problems = unmet(sys.argv[1])
    if problems:
        print("requirements not met, pip will install them: " + ", ".join(problems))
        sys.exit(1)
    print("requirements already met by the base image; pip is not needed")
