#!/usr/bin/python3
"""packaging/docker/Dockerfile, read as text (no Docker daemon is needed):
  - two stages: the build on debian:bookworm, the image on debian:bookworm-slim;
  - the build stage installs the libraries tools/install-deps.sh names for building eddy;
  - the image installs the Debian package of every shared library `ldd` finds in the eddy binary
    under test (bookworm-slim's own aside), and no -dev package;
  - it runs as a non-root user the Dockerfile creates; a VOLUME holds the log.dirs of the
    container's server.properties; EXPOSE names the client and controller ports of its
    listeners and the admin port; HEALTHCHECK asks http://127.0.0.1:9644/v1/ready with a tool
    the image installs; ENTRYPOINT is `eddy broker` at the path the binary is copied to, CMD
    passes the server.properties the image copies in;
  - that server.properties, with the image's ENV, loads through eddy's own loader (`eddy format`)
    without a warning.
Usage: dockerfile_test.py --eddy build/eddy"""
import json
import os
import re
import shlex
import subprocess
import sys

from checks import (PACKAGING, REPO, check, check_eq, eddy_from_argv, format_with,
                    read_properties, run, warnings_other_than_admin_listener)

DOCKERFILE = os.path.join(PACKAGING, "docker", "Dockerfile")
# In debian:bookworm-slim already (libstdc++6: apt needs it).
BASE_PACKAGES = {"libc6", "libgcc-s1", "libstdc++6"}


def instructions(path):
    """[(INSTRUCTION, arguments)] with continuation lines joined and comments dropped."""
    out, current = [], ""
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if line.strip().startswith("#"):
                continue
            if line.endswith("\\"):
                current += line[:-1] + " "
                continue
            current += line
            if current.strip():
                word, _, rest = current.strip().partition(" ")
                out.append((word.upper(), rest.strip()))
            current = ""
    return out


def stages():
    """[(FROM arguments, [(INSTRUCTION, arguments)])] per stage."""
    out = []
    for word, args in instructions(DOCKERFILE):
        if word == "FROM":
            out.append((args, []))
        else:
            check(out, f"{word} before any FROM")
            out[-1][1].append((word, args))
    return out


STAGES = stages()
IMAGE = STAGES[-1][1]


def args_of(stage, word):
    return [a for w, a in stage if w == word]


def one(stage, word):
    found = args_of(stage, word)
    check_eq(len(found), 1, f"{word} instructions in the image")
    return found[0]


def apt_installed(stage):
    """Packages named by `apt-get install` in the stage's RUN instructions."""
    out = set()
    for run_args in args_of(stage, "RUN"):
        for command in re.split(r"&&|;", run_args):
            words = shlex.split(command)
            if words[:2] == ["apt-get", "install"]:
                out.update(w for w in words[2:] if not w.startswith("-"))
    return out


def exec_form(args, what):
    check(args.startswith("["), f"{what} in exec form (JSON): {args}")
    return json.loads(args)


def container_config():
    copies = [a.split() for a in args_of(IMAGE, "COPY") if "server.properties" in a]
    check_eq(len(copies), 1, "COPY of a server.properties")
    return os.path.join(REPO, copies[0][0]), copies[0][1]


def test_stages_build_on_bookworm_and_run_on_slim():
    check_eq(len(STAGES), 2, "stages")
    check_eq(STAGES[0][0], "debian:bookworm AS build", "the build stage's FROM")
    check_eq(STAGES[1][0], "debian:bookworm-slim", "the image's FROM")


def test_build_stage_has_the_build_libraries():
    with open(os.path.join(REPO, "tools", "install-deps.sh")) as f:
        text = f.read()
    # From "# libraries" to "# tools": the libraries and headers the build needs.
    block = re.search(r"# libraries[^\n]*\n(.*?)\n\s*# tools", text, re.S).group(1)
    libs = " ".join(ln for ln in block.splitlines() if not ln.strip().startswith("#")).split()
    # The test frameworks are for the test binaries, which the image does not build.
    wanted = {p for p in libs if p not in ("doctest-dev", "librapidcheck-dev")}
    missing = wanted - apt_installed(STAGES[0][1])
    check_eq(missing, set(), "install-deps.sh's libraries missing from the build stage")
    check("-DEDDY_TESTS=OFF" in " ".join(args_of(STAGES[0][1], "RUN")), "tests not built")


def test_image_has_the_package_of_every_linked_library_and_no_dev_package():
    eddy = eddy_from_argv()
    check(eddy, "--eddy PATH is given")
    ldd = subprocess.run(["ldd", eddy], capture_output=True, text=True, check=True).stdout
    libs = re.findall(r"=> (/\S+)", ldd)
    needed = set()
    for lib in libs:
        real = os.path.realpath(lib)
        # dpkg knows a file by the path its package installs; merged /usr has two spellings.
        candidates = {lib, real} | {p.replace("/usr/lib/", "/lib/", 1) for p in (lib, real)} \
            | {p.replace("/lib/", "/usr/lib/", 1) for p in (lib, real) if p.startswith("/lib/")}
        owner = None
        for c in sorted(candidates):
            p = subprocess.run(["dpkg", "-S", c], capture_output=True, text=True)
            if p.returncode == 0:
                owner = p.stdout.split(":")[0].strip()
                break
        check(owner, f"the Debian package of {lib}")
        needed.add(owner)
    installed = apt_installed(IMAGE)
    check_eq(needed - BASE_PACKAGES - installed, set(), "linked libraries' packages not installed")
    check_eq({p for p in installed if p.endswith("-dev")}, set(), "-dev packages in the image")


def test_runs_as_a_non_root_user_it_creates():
    user = one(IMAGE, "USER").split(":")[0]
    check(user not in ("root", "0"), f"USER {user} is not root")
    runs = " ".join(args_of(IMAGE, "RUN"))
    check(re.search(rf"useradd\b[^&]*--uid {user}\b", runs) or
          re.search(rf"useradd\b[^&]*\b{user}\s*(&&|$)", runs),
          f"a useradd for {user}")


def test_volume_holds_log_dirs():
    source, _ = container_config()
    log_dirs = read_properties(source)["log.dirs"]
    volumes = exec_form(one(IMAGE, "VOLUME"), "VOLUME")
    check(log_dirs in volumes, f"VOLUME {volumes} holds log.dirs {log_dirs}")


def test_expose_names_the_listener_ports_and_the_admin_port():
    source, _ = container_config()
    listeners = read_properties(source)["listeners"]
    ports = {int(p) for p in re.findall(r":(\d+)(?:,|$)", listeners)}
    exposed = {int(p) for p in one(IMAGE, "EXPOSE").split()}
    check_eq(exposed, ports | {9644}, "EXPOSE")


def test_healthcheck_asks_ready_with_an_installed_tool():
    hc = one(IMAGE, "HEALTHCHECK")
    cmd = exec_form(hc[hc.index("CMD") + 3:].strip(), "HEALTHCHECK CMD")
    check(cmd[-1] == "http://127.0.0.1:9644/v1/ready", f"HEALTHCHECK asks /v1/ready: {cmd}")
    check(cmd[0] in apt_installed(IMAGE), f"{cmd[0]} is installed in the image")
    check("--fail" in cmd or "-f" in cmd, "an HTTP error fails the check")


def test_entrypoint_is_eddy_broker_with_the_config():
    entry = exec_form(one(IMAGE, "ENTRYPOINT"), "ENTRYPOINT")
    check_eq(entry[1:], ["broker"], "ENTRYPOINT's arguments")
    copied = [a.split() for a in args_of(IMAGE, "COPY") if a.startswith("--from=build")]
    check_eq([c[-1] for c in copied], [entry[0]], "the eddy binary copied to ENTRYPOINT's path")
    _, target = container_config()
    check_eq(exec_form(one(IMAGE, "CMD"), "CMD"), ["--config", target], "CMD")


def test_container_config_loads_with_the_image_environment():
    eddy = eddy_from_argv()
    check(eddy, "--eddy PATH is given")
    env = {}
    for args in args_of(IMAGE, "ENV"):
        key, _, value = args.partition("=")
        env[key] = value
    source, _ = container_config()
    rc, err, node_id = format_with(eddy, ["--config", source], env)
    check_eq(rc, 0, f"eddy format with the container's configuration ({err.strip()})")
    check_eq(warnings_other_than_admin_listener(err), [], "stderr")
    check_eq(node_id, "1", "node.id written")


if __name__ == "__main__":
    sys.exit(run([(n, f) for n, f in globals().items() if n.startswith("test_")]))
