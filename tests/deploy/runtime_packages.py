#!/usr/bin/env python3
"""Checks that the Dockerfile's runtime image has every shared library netadmit needs.

Usage: runtime_packages.py DOCKERFILE NETADMIT_BINARY

Maps each library `ldd` reports for the binary to its Debian package (`dpkg -S`) and fails
unless the runtime stage installs that package by name, so that the image cannot silently miss
a library when the build links a new one. Also checks the image's shape: two stages, the
runtime one running netadmit as a numeric non-root user.
"""

import re
import subprocess
import sys


def runtime_stage(dockerfile_text):
    """The instructions of the last stage, continuation lines joined, comments dropped."""
    lines = [line for line in dockerfile_text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    stages = re.split(r"(?m)^FROM\s", joined)
    return len(stages) - 1, stages[-1]


def installed_packages(stage):
    packages = set()
    for command in re.findall(r"apt-get install ([^&\n]*)", stage):
        packages.update(word for word in command.split() if not word.startswith("-"))
    return packages


def linked_libraries(binary):
    output = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    return re.findall(r"=> (/\S+)", output)


def package_of(library):
    """The Debian package owning a library file, trying the path as given and as resolved
    (Debian 12 merges /lib into /usr/lib, and dpkg knows each file under one of them)."""
    resolved = subprocess.run(["readlink", "-f", library], capture_output=True,
                              text=True).stdout.strip()
    for path in (library, resolved, resolved.replace("/usr/lib/", "/lib/", 1)):
        found = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True)
        if found.returncode == 0:
            return found.stdout.split(":")[0]
    return None


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    dockerfile, binary = sys.argv[1], sys.argv[2]
    with open(dockerfile, encoding="utf-8") as file:
        stage_count, stage = runtime_stage(file.read())
    failures = []
    if stage_count < 2:
        failures.append(f"expected a multi-stage build, found {stage_count} stage(s)")
    user = re.search(r"(?m)^USER\s+(\S+)", stage)
    if not user or not re.fullmatch(r"[1-9][0-9]*(:[0-9]+)?", user.group(1)):
        failures.append(f"the runtime stage must run as a numeric non-root USER, found {user}")
    if not re.search(r'(?m)^ENTRYPOINT\s+\["[^"]*/netadmit"\]', stage):
        failures.append("the ENTRYPOINT must be the netadmit executable")

    packages = installed_packages(stage)
    print(f"runtime packages in {dockerfile}: {' '.join(sorted(packages))}")
    libraries = linked_libraries(binary)
    if not libraries:
        failures.append(f"ldd found no shared libraries in {binary}")
    for library in libraries:
        package = package_of(library)
        if package is None:
            failures.append(f"{library}: no Debian package owns it")
        elif package not in packages:
            failures.append(f"{library} comes from {package}, which the runtime image lacks")
        else:
            print(f"ok: {library} from {package}")
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
