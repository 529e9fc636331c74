#!/usr/bin/env python3
"""Checks the properties netadmit's installation promises on a kustomize build of manifests/.

Usage: check_manifests.py KUBECTL KUSTOMIZATION_DIR [--cert-manager | --ca-bundle |
                                                      --apiserver-cidr-component]

Renders KUSTOMIZATION_DIR with `kubectl kustomize`, then asserts, object by object, what
docs/operating.md promises: least-privilege RBAC, a hardened Deployment whose probes, Service
and network policies agree on the port, and a webhook configuration that can never review
kube-system or netadmit-system. --cert-manager also checks the cert-manager objects,
--ca-bundle the CA bundle patched in by certs/netadmit-certs.sh, --apiserver-cidr-component
KUSTOMIZATION_DIR with manifests/components/apiserver-cidr added (in a temporary overlay).
Exits 77 (skipped) when PyYAML is missing.
"""

import base64
import os
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:
    print("PyYAML is not installed: skipped")
    sys.exit(77)

NAMESPACE = "netadmit-system"
POD_LABELS = {"app.kubernetes.io/name": "netadmit"}
SERVICE_NAMES = [f"netadmit.{NAMESPACE}.svc", f"netadmit.{NAMESPACE}.svc.cluster.local"]
READ_VERBS = {"get", "list", "watch"}
AUDITED_WORKLOADS = {"apps": ["deployments", "statefulsets", "daemonsets", "replicasets"],
                     "batch": ["jobs", "cronjobs"], "": ["replicationcontrollers"]}
REPORTS = {"wgpolicyk8s.io": ["policyreports", "clusterpolicyreports"],
           "openreports.io": ["reports", "clusterreports"]}
REPORT_VERBS = {"get", "list", "create", "patch", "delete"}
# The cluster-scoped network policies (network-policy-api CRDs), at every version it has served.
CLUSTER_POLICY_GROUP = "policy.networking.k8s.io"
CLUSTER_POLICIES = ["adminnetworkpolicies", "baselineadminnetworkpolicies",
                    "clusternetworkpolicies"]
CLUSTER_POLICY_VERSIONS = ["v1alpha1", "v1alpha2", "v1beta1"]

failures = []


def expect(condition, message):
    if not condition:
        failures.append(message)
    return condition


def render(kubectl, directory):
    result = subprocess.run([kubectl, "kustomize", directory], capture_output=True, text=True)
    if result.returncode != 0:
        print(f"kubectl kustomize {directory} failed:\n{result.stderr}")
        sys.exit(1)
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def render_with_component(kubectl, directory, component):
    """Renders DIRECTORY with COMPONENT through an overlay in a temporary directory (kustomize
    takes only relative paths)."""
    with tempfile.TemporaryDirectory() as overlay:
        with open(os.path.join(overlay, "kustomization.yaml"), "w", encoding="utf-8") as file:
            file.write("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                       f"resources: [{os.path.relpath(directory, overlay)}]\n"
                       f"components: [{os.path.relpath(component, overlay)}]\n")
        return render(kubectl, overlay)


def find(objects, kind, name=None):
    found = [o for o in objects if o["kind"] == kind and name in (None, o["metadata"]["name"])]
    expect(len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}")
    return found[0] if found else {}


def check_rbac(objects):
    cluster_role = find(objects, "ClusterRole", "netadmit")
    granted = {}
    for rule in cluster_role.get("rules", []):
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                granted[(group, resource)] = set(rule["verbs"])
    # Reading what the rules look at; listing the workloads the audit judges; writing only the
    # audit's own reports.
    expected = {("networking.k8s.io", "networkpolicies"): READ_VERBS,
                ("", "namespaces"): READ_VERBS,
                ("", "pods"): READ_VERBS}
    for resource in CLUSTER_POLICIES:
        expected[(CLUSTER_POLICY_GROUP, resource)] = READ_VERBS
    for group, resources in AUDITED_WORKLOADS.items():
        for resource in resources:
            expected[(group, resource)] = {"list"}
    for group, resources in REPORTS.items():
        for resource in resources:
            expected[(group, resource)] = REPORT_VERBS
    expect(granted == expected, f"ClusterRole grants exactly {expected}: {granted}")
    role = find(objects, "Role")
    expect(role.get("metadata", {}).get("namespace") == NAMESPACE, "Role outside netadmit-system")
    expect(role.get("rules") == [{"apiGroups": [""], "resources": ["configmaps"],
                                  "verbs": ["get", "list", "watch"]},
                                 {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
                                  "verbs": ["get", "create", "update"]}],
           f"Role grants only reading configmaps and holding Leases: {role.get('rules')}")
    expected_subject = [{"kind": "ServiceAccount", "name": "netadmit", "namespace": NAMESPACE}]
    for kind, role_kind, role_name in [("ClusterRoleBinding", "ClusterRole", "netadmit"),
                                       ("RoleBinding", "Role", role["metadata"]["name"])]:
        binding = find(objects, kind)
        expect(binding.get("roleRef", {}).get("kind") == role_kind and
               binding["roleRef"]["name"] == role_name, f"{kind} binds {role_kind} {role_name}")
        expect(binding.get("subjects") == expected_subject, f"{kind} binds only the netadmit SA")
    expect(len([o for o in objects if o["kind"] in ("ClusterRole", "Role")]) == 2,
           "no other roles")


def flag_values(args):
    values = {}
    for arg in args:
        name, _, value = arg.partition("=")
        values[name] = value
    return values


def check_deployment(objects):
    deployment = find(objects, "Deployment", "netadmit")
    spec = deployment["spec"]
    pod = spec["template"]["spec"]
    expect(spec["replicas"] == 2, "two replicas")
    expect(spec["template"]["metadata"]["labels"].items() >= POD_LABELS.items(), "pod labels")
    expect(spec["selector"]["matchLabels"] == POD_LABELS, "selector")
    anti = pod.get("affinity", {}).get("podAntiAffinity", {})
    terms = [t["podAffinityTerm"] for t in
             anti.get("preferredDuringSchedulingIgnoredDuringExecution", [])]
    expect(any(t["topologyKey"] == "kubernetes.io/hostname" and
               t["labelSelector"]["matchLabels"] == POD_LABELS for t in terms),
           "anti-affinity spreads replicas over nodes")
    expect(pod["serviceAccountName"] == "netadmit", "runs as the netadmit ServiceAccount")
    expect(pod["securityContext"].get("runAsNonRoot") is True, "pod runAsNonRoot")
    expect(pod["securityContext"].get("runAsUser", 0) > 0, "pod runs as a numeric non-root user")
    expect(pod["securityContext"].get("seccompProfile") == {"type": "RuntimeDefault"},
           "pod seccomp RuntimeDefault")
    expect(len(pod["containers"]) == 1, "one container")
    container = pod["containers"][0]
    security = container["securityContext"]
    expect(security.get("readOnlyRootFilesystem") is True, "read-only root filesystem")
    expect(security.get("allowPrivilegeEscalation") is False, "no privilege escalation")
    expect(security.get("capabilities") == {"drop": ["ALL"]}, "all capabilities dropped")
    expect(security.get("runAsNonRoot") is True, "container runAsNonRoot")
    for resources in ("requests", "limits"):
        expect(set(container["resources"].get(resources, {})) == {"cpu", "memory"},
               f"cpu and memory {resources}")
    expect({"name": "POD_NAMESPACE",
            "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}} in container["env"],
           "POD_NAMESPACE from the downward API")

    args = container["args"]
    expect(args[0] == "serve", "runs netadmit serve")
    flags = flag_values(args[1:])
    expect("--rules-configmaps" in flags, "rule sets from ConfigMaps")
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    expect(flags.get("--listen", "0.0.0.0:8443").rsplit(":", 1)[1] == str(ports.get("https")),
           "--listen port is the container port")
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    tls_volume = volumes.get("tls", {})
    expect(tls_volume.get("secret", {}).get("secretName") == "netadmit-tls",
           "certificate from the Secret netadmit-tls")
    for flag, key in (("--tls-cert", "tls.crt"), ("--tls-key", "tls.key")):
        expect(flags.get(flag) == f"{mounts.get('tls')}/{key}", f"{flag} reads the mounted Secret")

    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        get = container.get(probe, {}).get("httpGet", {})
        expect(get.get("scheme") == "HTTPS" and get.get("path") == path,
               f"{probe} is HTTPS {path}")
        expect(get.get("port") in ("https", ports.get("https")), f"{probe} on the serving port")
    expect(spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0,
           "a rollout keeps every replica until its successor is ready")
    return ports["https"]


def check_service_and_pdb(objects, container_port):
    service = find(objects, "Service", "netadmit")
    expect(service["metadata"]["namespace"] == NAMESPACE, "Service in netadmit-system")
    expect(service["spec"]["selector"] == POD_LABELS, "Service selects netadmit's pods")
    (port,) = service["spec"]["ports"]
    expect(port["port"] == 443, "Service port 443")
    expect(port["targetPort"] in ("https", container_port), "Service targets the container port")
    pdb = find(objects, "PodDisruptionBudget", "netadmit")
    expect(pdb["spec"]["selector"]["matchLabels"] == POD_LABELS, "PDB selects netadmit's pods")
    expect(pdb["spec"].get("minAvailable") == 1, "PDB keeps one replica")


def check_rule_set(objects):
    config_map = find(objects, "ConfigMap", "netadmit-rules")
    expect(config_map["metadata"]["namespace"] == NAMESPACE, "rule set in netadmit-system")
    expect(config_map["metadata"]["labels"].get("netadmit.io/rule-set") == "true",
           "rule-set label")
    expect(list(config_map["data"]) == ["default-rules.yaml"], "one key, a .yaml rule set")
    rule_set = yaml.safe_load(config_map["data"]["default-rules.yaml"])
    expect(rule_set["kind"] == "RuleSet", "the key holds a RuleSet")


def check_network_policies(objects, container_port):
    policies = {o["metadata"]["name"]: o for o in objects if o["kind"] == "NetworkPolicy"}
    expect(all(p["metadata"]["namespace"] == NAMESPACE for p in policies.values()),
           "policies in netadmit-system")
    deny = policies.get("default-deny", {}).get("spec", {})
    expect(deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
           f"default-deny of ingress and egress for every pod: {deny}")
    ingress = policies.get("netadmit-from-apiserver", {}).get("spec", {})
    expect(ingress.get("ingress", [{}])[0].get("ports") ==
           [{"protocol": "TCP", "port": container_port}], "ingress opens only the serving port")
    expect(all("ipBlock" in peer for peer in ingress.get("ingress", [{}])[0].get("from", [])),
           "ingress only from the API server's addresses")
    egress = policies.get("netadmit-to-apiserver", {}).get("spec", {})
    expect(egress.get("egress", [{}])[0].get("ports") ==
           [{"protocol": "TCP", "port": 443}, {"protocol": "TCP", "port": 6443}],
           "egress to the API server on 443 and 6443")
    dns = policies.get("netadmit-to-dns", {}).get("spec", {})
    rule = dns.get("egress", [{}])[0]
    expect(rule.get("ports") == [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
           "DNS on 53/UDP and 53/TCP")
    expect(rule.get("to", [{}])[0].get("namespaceSelector") ==
           {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}, "DNS in kube-system")
    for name in ("netadmit-from-apiserver", "netadmit-to-apiserver", "netadmit-to-dns"):
        expect(policies.get(name, {}).get("spec", {}).get("podSelector") ==
               {"matchLabels": POD_LABELS}, f"{name} selects netadmit's pods only")


def rules_of(webhook):
    covered = set()
    for rule in webhook["rules"]:
        if rule["apiGroups"] == [CLUSTER_POLICY_GROUP]:
            expect(rule.get("scope") == "Cluster" and
                   sorted(rule.get("apiVersions", [])) == CLUSTER_POLICY_VERSIONS,
                   f"the cluster-scoped policies at every version, scope Cluster: {rule}")
        else:
            expect(rule.get("scope") == "Namespaced", f"rules are namespaced: {rule}")
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                for operation in rule["operations"]:
                    covered.add((group, resource, operation))
    return covered


def check_webhook(objects, service_port):
    configuration = find(objects, "ValidatingWebhookConfiguration", "netadmit")
    webhooks = {w["name"]: w for w in configuration.get("webhooks", [])}
    expect(set(webhooks) == {"validate.netadmit.io", "rule-sets.netadmit.io"}, "two webhooks")
    for webhook in webhooks.values():
        expect(webhook["admissionReviewVersions"] == ["v1"], "AdmissionReview v1")
        expect(webhook["sideEffects"] == "None", "no side effects")
        expect(1 <= webhook.get("timeoutSeconds", 0) <= 30, "explicit timeoutSeconds")
        expect(webhook.get("failurePolicy") in ("Fail", "Ignore"), "explicit failurePolicy")
        expect(webhook.get("matchPolicy") == "Equivalent", "matchPolicy Equivalent")
        expect(webhook["clientConfig"].get("service") ==
               {"name": "netadmit", "namespace": NAMESPACE, "path": "/validate",
                "port": service_port}, "calls the Service's /validate")

    main = webhooks.get("validate.netadmit.io", {"rules": []})
    create_update = ("CREATE", "UPDATE")
    expected = {("networking.k8s.io", "networkpolicies", op) for op in create_update + ("DELETE",)}
    expected |= {("", "pods", op) for op in create_update}
    expected |= {("apps", r, op) for r in ("deployments", "replicasets", "statefulsets",
                                           "daemonsets") for op in create_update}
    expected |= {("batch", r, op) for r in ("jobs", "cronjobs") for op in create_update}
    expected |= {(CLUSTER_POLICY_GROUP, r, op) for r in CLUSTER_POLICIES
                 for op in create_update + ("DELETE",)}
    expect(rules_of(main) == expected, f"main webhook rules: {sorted(rules_of(main))}")
    excluded = [e for e in main.get("namespaceSelector", {}).get("matchExpressions", [])
                if e["key"] == "kubernetes.io/metadata.name" and e["operator"] == "NotIn"]
    expect(len(excluded) == 1 and {"kube-system", NAMESPACE} <= set(excluded[0]["values"]),
           "kube-system and netadmit-system are never reviewed")

    rule_sets = webhooks.get("rule-sets.netadmit.io", {"rules": []})
    expect(rules_of(rule_sets) == {("", "configmaps", op) for op in create_update},
           "rule-set webhook reviews ConfigMap CREATE and UPDATE")
    expect(rule_sets.get("objectSelector") == {"matchLabels": {"netadmit.io/rule-set": "true"}},
           "rule-set webhook only sees labeled ConfigMaps")
    return configuration


def check_cert_manager(objects, configuration):
    expect(configuration["metadata"].get("annotations", {}).get(
        "cert-manager.io/inject-ca-from") == f"{NAMESPACE}/netadmit-serving",
        "CA injected from the serving Certificate")
    serving = find(objects, "Certificate", "netadmit-serving")["spec"]
    expect(serving["secretName"] == "netadmit-tls", "serving Certificate fills netadmit-tls")
    expect(serving["dnsNames"] == SERVICE_NAMES, "serving Certificate names the Service")
    expect("server auth" in serving.get("usages", []), "serving Certificate for server auth")
    issuer = find(objects, "Issuer", serving["issuerRef"]["name"])["spec"]
    ca = find(objects, "Certificate", "netadmit-ca")["spec"]
    expect(ca.get("isCA") is True and issuer.get("ca", {}).get("secretName") == ca["secretName"],
           "serving Certificate signed by the CA Issuer of the CA Certificate")
    expect("selfSigned" in find(objects, "Issuer", ca["issuerRef"]["name"]).get("spec", {}),
           "CA Certificate self-signed")


def check_ca_bundle(objects, configuration):
    secret = find(objects, "Secret", "netadmit-tls")
    expect(secret.get("type") == "kubernetes.io/tls", "Secret of type kubernetes.io/tls")
    ca = base64.b64decode(secret["data"]["ca.crt"])
    for webhook in configuration["webhooks"]:
        bundle = base64.b64decode(webhook["clientConfig"].get("caBundle", ""))
        expect(ca in bundle, f"{webhook['name']} trusts the Secret's CA")


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__)
        return 2
    kubectl, directory = sys.argv[1], sys.argv[2]
    mode = sys.argv[3] if len(sys.argv) == 4 else ""
    component = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                             "manifests", "components", "apiserver-cidr")
    if mode == "--apiserver-cidr-component":
        objects = render_with_component(kubectl, directory, component)
    else:
        objects = render(kubectl, directory)
    try:
        if mode == "--apiserver-cidr-component":
            check_apiserver_cidr(objects, component)
        check_all(objects, directory, mode)
    except (KeyError, IndexError, TypeError, ValueError) as missing:
        failures.append(f"a field the checks need is missing or malformed: {missing!r}")
    for failure in failures:
        print(f"FAILED: {failure}")
    print(f"{len(objects)} objects from {directory}: {len(failures)} failed checks")
    return 1 if failures else 0


def check_apiserver_cidr(objects, component):
    with open(os.path.join(component, "kustomization.yaml"), encoding="utf-8") as file:
        patches = yaml.safe_load(file)["patches"]
    policies = {o["metadata"]["name"]: o["spec"] for o in objects if o["kind"] == "NetworkPolicy"}
    for patch in patches:
        (operation,) = yaml.safe_load(patch["patch"])
        name = patch["target"]["name"]
        _, direction, _, peers = operation["path"].strip("/").split("/")
        expect(policies.get(name, {}).get(direction, [{}])[0].get(peers) == operation["value"],
               f"the component sets the API server's addresses of {name}")


def check_all(objects, directory, mode):
    expect(all(o["metadata"].get("namespace", NAMESPACE) == NAMESPACE for o in objects),
           "every namespaced object is in netadmit-system")
    check_rbac(objects)
    container_port = check_deployment(objects)
    check_service_and_pdb(objects, container_port)
    check_rule_set(objects)
    check_network_policies(objects, container_port)
    configuration = check_webhook(objects, find(objects, "Service")["spec"]["ports"][0]["port"])
    if mode == "--cert-manager":
        check_cert_manager(objects, configuration)
    elif mode == "--ca-bundle":
        check_ca_bundle(objects, configuration)
    elif mode != "--apiserver-cidr-component":
        expect("annotations" not in configuration["metadata"] and
               all("caBundle" not in w["clientConfig"] for w in configuration["webhooks"]),
               f"{directory} leaves the CA bundle to the certificate path")


if __name__ == "__main__":
    sys.exit(main())
