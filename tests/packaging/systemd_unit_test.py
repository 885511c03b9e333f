#!/usr/bin/python3
"""packaging/systemd/eddy.service:
  - `systemd-analyze verify` passes without a word, in a temporary root that holds the system's
    own units and an executable at the unit's ExecStart path (verify checks it is there), and
    the same verify does complain about a copy with a misspelt key (so silence means something);
  - `systemd-analyze security --offline` rates its exposure 2.0 or lower ("OK" or better);
  - the settings deploy.md promises: Type=notify, NotifyAccess=main, WatchdogSec, a dedicated
    User and Group, ExecStart `eddy broker --config /etc/eddy/server.properties`, LimitNOFILE,
    ProtectSystem=strict, a StateDirectory that holds log.dirs of the shipped server.properties;
  - that server.properties loads through eddy's own loader (`eddy format`), with no warning;
  - eddy.sysusers creates the unit's user.
Skipped (exit 77) when systemd-analyze is not installed.
Usage: systemd_unit_test.py --eddy build/eddy"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

from checks import (PACKAGING, SKIP, check, check_eq, eddy_from_argv, format_with, read_properties,
                    run, warnings_other_than_admin_listener)

SYSTEMD = os.path.join(PACKAGING, "systemd")
UNIT = os.path.join(SYSTEMD, "eddy.service")
SYSTEM_UNITS = "/usr/lib/systemd/system"


def unit_settings(path):
    """[section] -> {key: [values]} of a unit file."""
    out, section = {}, None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                section = out.setdefault(line.strip("[]"), {})
                continue
            key, _, value = line.partition("=")
            section.setdefault(key.strip(), []).append(value.strip())
    return out


SETTINGS = unit_settings(UNIT)


def service(key):
    values = SETTINGS.get("Service", {}).get(key)
    check(values, f"[Service] sets {key}")
    return values[-1]


class Root:
    """A temporary root for systemd-analyze --root: the system's units, the unit under test in
    etc/systemd/system, and an executable where ExecStart points."""

    def __init__(self, unit_text):
        self.dir = tempfile.mkdtemp(prefix="eddy-unit-")
        shutil.copytree(SYSTEM_UNITS, self.path("usr/lib/systemd/system"), symlinks=True)
        os.makedirs(self.path("etc/systemd/system"))
        with open(self.path("etc/systemd/system/eddy.service"), "w") as f:
            f.write(unit_text)
        program = service("ExecStart").split()[0]
        os.makedirs(os.path.dirname(self.path(program.lstrip("/"))), exist_ok=True)
        with open(self.path(program.lstrip("/")), "w") as f:
            f.write("#!/bin/sh\n")
        os.chmod(self.path(program.lstrip("/")), 0o755)

    def path(self, rel):
        return os.path.join(self.dir, rel)

    def analyze(self, *args):
        p = subprocess.run(["systemd-analyze", *args, "--root", self.dir, "eddy.service"],
                           capture_output=True, text=True, timeout=120)
        return p.returncode, (p.stdout + p.stderr).strip()

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def unit_text():
    with open(UNIT) as f:
        return f.read()


def test_verify_is_silent():
    root = Root(unit_text())
    try:
        rc, out = root.analyze("verify", "--man=no")
        check_eq((rc, out), (0, ""), "systemd-analyze verify")
    finally:
        root.close()


def test_verify_complains_about_a_misspelt_key():
    root = Root(unit_text().replace("ProtectSystem=", "ProtectSystme="))
    try:
        _, out = root.analyze("verify", "--man=no")
        check("Unknown key 'ProtectSystme'" in out, f"verify names the misspelt key: {out!r}")
    finally:
        root.close()


def test_security_exposure_at_most_2():
    root = Root(unit_text())
    try:
        rc, out = root.analyze("security", "--offline=true")
        check_eq(rc, 0, "systemd-analyze security")
        m = re.search(r"Overall exposure level for eddy\.service: ([0-9.]+)", out)
        check(m, f"an overall exposure level in: {out[-500:]!r}")
        check(float(m.group(1)) <= 2.0, f"exposure {m.group(1)} <= 2.0")
    finally:
        root.close()


def test_notify_watchdog_user_and_limits():
    check_eq(service("Type"), "notify", "Type")
    check_eq(service("NotifyAccess"), "main", "NotifyAccess")
    check(re.fullmatch(r"[0-9]+s?", service("WatchdogSec")), "WatchdogSec is a duration")
    check(service("User") not in ("root", "0"), "a dedicated user")
    check_eq(service("Group"), service("User"), "Group")
    check_eq(service("ExecStart").split()[1:],
             ["broker", "--config", "/etc/eddy/server.properties"], "ExecStart's arguments")
    check(int(service("LimitNOFILE")) >= 65536, "LimitNOFILE >= 65536")
    check_eq(service("ProtectSystem"), "strict", "ProtectSystem")
    check_eq(service("NoNewPrivileges"), "yes", "NoNewPrivileges")
    check_eq(SETTINGS["Install"]["WantedBy"], ["multi-user.target"], "WantedBy")


def test_state_directory_holds_log_dirs():
    state = "/var/lib/" + service("StateDirectory")
    log_dirs = read_properties(os.path.join(SYSTEMD, "server.properties"))["log.dirs"]
    check(log_dirs.startswith(state + "/"), f"log.dirs {log_dirs} under {state}")
    check_eq(service("WorkingDirectory"), state, "WorkingDirectory")


def test_sysusers_makes_the_user():
    with open(os.path.join(SYSTEMD, "eddy.sysusers")) as f:
        entries = [ln.split() for ln in f if ln.strip() and not ln.startswith("#")]
    check_eq([(e[0], e[1]) for e in entries], [("u", service("User"))], "sysusers entries")


def test_shipped_server_properties_load():
    eddy = eddy_from_argv()
    check(eddy, "--eddy PATH is given")
    rc, err, node_id = format_with(eddy, ["--config", os.path.join(SYSTEMD, "server.properties")])
    check_eq(rc, 0, f"eddy format with the shipped server.properties ({err.strip()})")
    check_eq(warnings_other_than_admin_listener(err), [], "stderr")
    check_eq(node_id, "1", "node.id written")


if __name__ == "__main__":
    if shutil.which("systemd-analyze") is None or not os.path.isdir(SYSTEM_UNITS):
        print("SKIP: systemd-analyze is not installed (Debian package systemd)")
        sys.exit(SKIP)
    sys.exit(run([(n, f) for n, f in globals().items() if n.startswith("test_")]))
