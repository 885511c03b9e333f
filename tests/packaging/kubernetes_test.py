#!/usr/bin/python3
"""packaging/kubernetes/*.yaml, parsed with python3-yaml (no cluster is needed):
  - the kinds: a StatefulSet, a headless Service (publishing not-ready pods: the quorum forms
    before any pod is ready) and a client Service, a PodDisruptionBudget, and a kustomization
    that lists every file; every selector matches the pods' labels;
  - the StatefulSet: serviceName is the headless Service, pods start in parallel, a volume
    claim template mounted at EDDY_LOG_DIRS, the ports, readiness on /v1/ready and liveness on
    /v1/health of the admin port (9644), no service links, a non-root security context;
  - controller.quorum.voters lists every replica by its stable DNS name
    (eddy-<i>.<headless>.<namespace>.svc.cluster.local) at the controller port, with id i;
    advertised.listeners is the pod's own stable name;
  - the budget keeps a quorum majority up;
  - the container's command, run by /bin/sh for pods eddy-0 and eddy-2 with the manifest's
    environment (Kubernetes' $(VAR) expansion applied) and `eddy format` in place of
    `eddy broker`, loads that configuration through eddy's own loader over the image's
    server.properties without a warning and writes node.id 0 and 2: node.id comes from the
    pod's ordinal.
Usage: kubernetes_test.py --eddy build/eddy"""
import glob
import os
import re
import subprocess
import sys
import tempfile

import yaml

from checks import (CLUSTER_ID, PACKAGING, check, check_eq, clean_environment, eddy_from_argv,
                    read_properties, run, warnings_other_than_admin_listener)

K8S = os.path.join(PACKAGING, "kubernetes")
NAMESPACE = "streaming"


def documents():
    out = {}
    for path in sorted(glob.glob(os.path.join(K8S, "*.yaml"))):
        with open(path) as f:
            for doc in yaml.safe_load_all(f):
                out.setdefault(doc["kind"], []).append((os.path.basename(path), doc))
    return out


DOCS = documents()


def only(kind):
    check_eq(len(DOCS.get(kind, [])), 1, f"{kind} documents")
    return DOCS[kind][0][1]


STS = only("StatefulSet")
POD = STS["spec"]["template"]["spec"]
CONTAINER = POD["containers"][0]
LABELS = STS["spec"]["template"]["metadata"]["labels"]


def services():
    svcs = {d["metadata"]["name"]: d for _, d in DOCS.get("Service", [])}
    check_eq(len(svcs), 2, "Services")
    return svcs


def headless():
    heads = [s for s in services().values() if s["spec"].get("clusterIP") == "None"]
    check_eq(len(heads), 1, "headless Services")
    return heads[0]


def port(name):
    ports = {p["name"]: p["containerPort"] for p in CONTAINER["ports"]}
    check(name in ports, f"a container port named {name}: {ports}")
    return ports[name]


def env_of(pod_name):
    """The container's environment as Kubernetes gives it to pod `pod_name`: fieldRefs resolved,
    $(VAR) references expanded from the variables before them."""
    fields = {"metadata.name": pod_name, "metadata.namespace": NAMESPACE}
    out = {}
    for e in CONTAINER["env"]:
        if "valueFrom" in e:
            out[e["name"]] = fields[e["valueFrom"]["fieldRef"]["fieldPath"]]
        else:
            out[e["name"]] = re.sub(r"\$\((\w+)\)", lambda m: out.get(m.group(1), m.group(0)),
                                    e["value"])
    return out


def matches(selector):
    return all(LABELS.get(k) == v for k, v in selector.items())


def test_kinds_and_kustomization():
    kust = only("Kustomization")
    files = sorted({f for kind, docs in DOCS.items() if kind != "Kustomization" for f, _ in docs})
    check_eq(sorted(kust["resources"]), files, "kustomization resources")
    only("PodDisruptionBudget")
    check_eq(STS["apiVersion"], "apps/v1", "StatefulSet apiVersion")


def test_services_headless_publishes_not_ready_and_selectors_match():
    h = headless()
    check_eq(h["spec"].get("publishNotReadyAddresses"), True, "headless publishNotReadyAddresses")
    for name, svc in services().items():
        check(matches(svc["spec"]["selector"]), f"Service {name} selects the pods")
    client = next(s for s in services().values() if s is not h)
    check_eq([(p["port"], p["targetPort"]) for p in client["spec"]["ports"]], [(9092, "kafka")],
             "client Service ports")
    check_eq(port("kafka"), 9092, "kafka port")


def test_statefulset_shape():
    spec = STS["spec"]
    check_eq(spec["serviceName"], headless()["metadata"]["name"], "serviceName")
    check_eq(spec["podManagementPolicy"], "Parallel", "podManagementPolicy")
    check(matches(spec["selector"]["matchLabels"]), "the selector matches the template")
    check_eq(POD.get("enableServiceLinks"), False, "enableServiceLinks")
    check_eq(POD["securityContext"].get("runAsNonRoot"), True, "runAsNonRoot")
    claims = [c["metadata"]["name"] for c in spec["volumeClaimTemplates"]]
    mounts = {m["name"]: m["mountPath"] for m in CONTAINER["volumeMounts"]}
    check_eq(len(claims), 1, "volume claim templates")
    check_eq(mounts.get(claims[0]), env_of("eddy-0")["EDDY_LOG_DIRS"],
             "the claim is mounted at log.dirs")


def test_probes_on_the_admin_port():
    check_eq(port("admin"), 9644, "admin port")
    for probe, path in (("readinessProbe", "/v1/ready"), ("livenessProbe", "/v1/health")):
        get = CONTAINER[probe]["httpGet"]
        check_eq((get["path"], port(get["port"]) if isinstance(get["port"], str) else get["port"]),
                 (path, 9644), probe)


def test_voters_and_advertised_listeners_use_stable_names():
    replicas = STS["spec"]["replicas"]
    domain = f"{headless()['metadata']['name']}.{NAMESPACE}.svc.cluster.local"
    env = env_of("eddy-1")
    voters = env["EDDY_CONTROLLER_QUORUM_VOTERS"].split(",")
    expected = [f"{i}@{STS['metadata']['name']}-{i}.{domain}:{port('controller')}"
                for i in range(replicas)]
    check_eq(voters, expected, "controller.quorum.voters")
    check_eq(env["EDDY_ADVERTISED_LISTENERS"],
             f"PLAINTEXT://{STS['metadata']['name']}-1.{domain}:{port('kafka')}",
             "advertised.listeners of eddy-1")


def test_budget_keeps_a_quorum_majority():
    pdb = only("PodDisruptionBudget")["spec"]
    check(matches(pdb["selector"]["matchLabels"]), "the budget selects the pods")
    replicas = STS["spec"]["replicas"]
    check(replicas - pdb["maxUnavailable"] >= replicas // 2 + 1,
          f"{replicas} voters minus {pdb['maxUnavailable']} keep a majority")


def test_command_loads_the_configuration_with_node_id_from_the_ordinal():
    eddy = eddy_from_argv()
    check(eddy, "--eddy PATH is given")
    check_eq(CONTAINER["command"], ["/bin/sh", "-c"], "command")
    script = CONTAINER["args"][0]
    launch = "exec /usr/local/bin/eddy broker --config /etc/eddy/server.properties"
    check(launch in script, f"the script runs eddy broker with the image's config: {script!r}")
    image_config = os.path.join(PACKAGING, "docker", "server.properties")
    check(read_properties(image_config), "the image's server.properties")
    for ordinal in (0, 2):
        data = tempfile.mkdtemp(prefix="eddy-k8s-")
        # log.dirs: a temporary directory in the volume's place (--override beats EDDY_LOG_DIRS).
        format_cmd = (f"exec {eddy} format --cluster-id {CLUSTER_ID} --config {image_config} "
                      f"--override log.dirs={data}")
        p = subprocess.run(["/bin/sh", "-c", script.replace(launch, format_cmd)],
                           env=clean_environment(env_of(f"eddy-{ordinal}")),
                           capture_output=True, text=True, timeout=60)
        meta = os.path.join(data, "meta.properties")
        node_id = read_properties(meta).get("node.id") if os.path.exists(meta) else None
        subprocess.run(["rm", "-rf", data], check=False)
        check_eq(p.returncode, 0, f"eddy-{ordinal}: the configuration loads ({p.stderr.strip()})")
        check_eq(warnings_other_than_admin_listener(p.stderr), [], f"eddy-{ordinal}: stderr")
        check_eq(node_id, str(ordinal), f"eddy-{ordinal}: node.id")


if __name__ == "__main__":
    sys.exit(run([(n, f) for n, f in globals().items() if n.startswith("test_")]))
