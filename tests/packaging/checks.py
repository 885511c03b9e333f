"""What the packaging tests share: a runner that reports every check by name (one failing check
does not hide the others), the repository's paths, Java-properties reading, and `eddy format` as
a way to load a configuration through the real loader (runtime/main/config_cli.cpp: file,
environment, overrides) without starting a broker."""
import os
import subprocess
import sys
import tempfile
import traceback

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGING = os.path.join(REPO, "packaging")
# Exit status ctest reads as "skipped" (SKIP_RETURN_CODE in tests/CMakeLists.txt).
SKIP = 77
# A valid cluster id for `eddy format` (Kafka's 22-character base64url form).
CLUSTER_ID = "MkU3OEVBNTcwNTJENDM2Qg"


class Failure(AssertionError):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def check_eq(actual, expected, what):
    if actual != expected:
        raise Failure(f"{what}: expected {expected!r}, got {actual!r}")


def run(checks):
    """Runs each (name, fn) and prints ok/FAIL per check; returns the exit status."""
    failed = []
    for name, fn in checks:
        try:
            fn()
            print(f"ok   {name}")
        except Failure as e:
            failed.append(name)
            print(f"FAIL {name}: {e}")
        except Exception:  # noqa: BLE001 - a crash of one check is its failure
            failed.append(name)
            print(f"FAIL {name}:\n{traceback.format_exc()}")
    print(f"\n{len(checks) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def read_properties(path):
    """key=value lines of a properties file (no continuations: the packaging files have none)."""
    out = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith(("#", "!")):
                key, _, value = line.partition("=")
                out[key.strip()] = value.strip()
    return out


def clean_environment(extra=None):
    """This process's environment without any KAFKA_/EDDY_ variable, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "EDDY_"))}
    env.update(extra or {})
    return env


def format_with(eddy, args, env=None):
    """Runs `eddy format` with `args` (e.g. --config FILE) and log.dirs in a new temporary
    directory, in `env`; returns (exit status, stderr, node.id it wrote or None)."""
    data = tempfile.mkdtemp(prefix="eddy-packaging-")
    cmd = [eddy, "format", "--cluster-id", CLUSTER_ID] + args + ["--override", f"log.dirs={data}"]
    p = subprocess.run(cmd, env=clean_environment(env), capture_output=True, text=True,
                       timeout=60)
    node_id = None
    meta = os.path.join(data, "meta.properties")
    if os.path.exists(meta):
        node_id = read_properties(meta).get("node.id")
    subprocess.run(["rm", "-rf", data], check=False)
    return p.returncode, p.stderr, node_id


def warnings_other_than_admin_listener(stderr):
    """The stderr lines of a configuration load, but for the one warning a build without the
    admin API (admin.listener) prints about EDDY_ADMIN_LISTENER."""
    tolerated = "environment: ignored, no such configuration key: EDDY_ADMIN_LISTENER (admin.listener)"
    return [ln for ln in stderr.splitlines()
            if ln.strip() and not ln.endswith(tolerated)
            and "doesn't fully support makecontext/swapcontext" not in ln]


def eddy_from_argv():
    """--eddy PATH from the command line, or None."""
    if "--eddy" in sys.argv:
        return os.path.abspath(sys.argv[sys.argv.index("--eddy") + 1])
    return None
