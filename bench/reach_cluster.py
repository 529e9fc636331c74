#!/usr/bin/env python3
"""Writes a synthetic cluster as one multi-document YAML for timing `netadmit reach`:
1,000 namespaces (env dev/staging/prod, team t0..t49), 10 pods each (app a0..a4, port 8080
named http, 9090 named metrics, an address of 10.T.N.P), two NetworkPolicies each (a
default-deny and an app allow), and with --tiers 50 cluster-scoped policies: 20
AdminNetworkPolicies, 10 Admin-tier and 19 Baseline-tier ClusterNetworkPolicies and the
BaselineAdminNetworkPolicy, with namespace and pod subjects, Allow/Accept, Deny and Pass rules,
named ports, port ranges and `networks`.

With --json, the same objects as one v1 List in JSON, as `kubectl get -o json` writes a
cluster (read by RapidJSON rather than the YAML reader).

usage: reach_cluster.py [--tiers] [--json] > cluster.yaml
"""
import json
import sys

ENVS = ["dev", "staging", "prod"]
tiers = "--tiers" in sys.argv[1:]
out = []
for n in range(1000):
    ns, env, team = f"ns{n}", ENVS[n % 3], f"t{n % 50}"
    out.append(f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}, labels: {{env: {env}, team: {team}}}}}\n")
    for p in range(10):
        out.append(
            f"apiVersion: v1\nkind: Pod\nmetadata: {{name: p{p}, namespace: {ns}, labels: {{app: a{p % 5}}}}}\n"
            "spec: {containers: [{name: c, ports: [{name: http, containerPort: 8080}, {name: metrics, containerPort: 9090}]}]}\n"
            f"status: {{podIP: 10.{n // 250}.{n % 250}.{p + 1}}}\n")
    out.append(f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: default-deny, namespace: {ns}}}\n"
               "spec: {podSelector: {}, policyTypes: [Ingress, Egress]}\n")
    out.append(f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: app, namespace: {ns}}}\n"
               f"spec: {{podSelector: {{matchLabels: {{app: a{n % 5}}}}}, ingress: [{{from: [{{namespaceSelector: {{matchLabels: {{team: {team}}}}}}}], ports: [{{port: http}}]}}],"
               " egress: [{to: [{namespaceSelector: {}}], ports: [{port: 8080}, {port: 53, protocol: UDP}]}]}\n")
if tiers:
    def subject(i):
        if i % 2:
            return f"{{namespaces: {{matchLabels: {{env: {ENVS[i % 3]}}}}}}}"
        return f"{{pods: {{namespaceSelector: {{matchLabels: {{team: t{i % 50}}}}}, podSelector: {{matchLabels: {{app: a{i % 5}}}}}}}}}"
    def rules(i, v1alpha1, baseline):
        allow = "Allow" if v1alpha1 else "Accept"
        actions = [allow, "Deny"] if baseline else [allow, "Deny", "Pass"]
        a = lambda k: actions[(i + k) % len(actions)]
        if v1alpha1:
            ports1, ports2, ports3 = "ports: [{portNumber: {protocol: TCP, port: 8080}}]", "ports: [{namedPort: metrics}]", \
                "ports: [{portRange: {protocol: TCP, start: 8000, end: 8100}}]"
        else:
            ports1, ports2, ports3 = "protocols: [{tcp: {destinationPort: {number: 8080}}}]", \
                "protocols: [{destinationNamedPort: metrics}]", \
                "protocols: [{tcp: {destinationPort: {range: {start: 8000, end: 8100}}}}]"
        return (f"  ingress:\n  - {{action: {a(0)}, from: [{{namespaces: {{matchLabels: {{env: {ENVS[(i + 1) % 3]}}}}}}}], {ports1}}}\n"
                f"  - {{action: {a(1)}, from: [{{pods: {{namespaceSelector: {{matchLabels: {{team: t{(i * 7) % 50}}}}}, podSelector: {{matchLabels: {{app: a{i % 5}}}}}}}}}], {ports2}}}\n"
                f"  egress:\n  - {{action: {a(2)}, to: [{{networks: [10.{i % 4}.0.0/16, 192.168.0.0/16]}}], {ports3}}}\n"
                f"  - {{action: {a(0)}, to: [{{namespaces: {{matchLabels: {{kubernetes.io/metadata.name: ns{i}}}}}}}]}}\n")
    for i in range(20):
        out.append(f"apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {{name: anp{i}}}\n"
                   f"spec:\n  priority: {i}\n  subject: {subject(i)}\n" + rules(i, True, False))
    for i in range(29):
        tier = "Admin" if i < 10 else "Baseline"
        out.append(f"apiVersion: policy.networking.k8s.io/v1beta1\nkind: ClusterNetworkPolicy\nmetadata: {{name: cnp{i}}}\n"
                   f"spec:\n  tier: {tier}\n  priority: {20 + i}\n  subject: {subject(i)}\n" + rules(i, False, tier == "Baseline"))
    out.append("apiVersion: policy.networking.k8s.io/v1alpha1\nkind: BaselineAdminNetworkPolicy\nmetadata: {name: default}\n"
               "spec:\n  subject: {namespaces: {}}\n" + rules(7, True, True))
if "--json" in sys.argv[1:]:
    import yaml  # python3-yaml
    items = [yaml.safe_load(document) for document in out]
    json.dump({"apiVersion": "v1", "kind": "List", "items": items}, sys.stdout, indent=1)
else:
    sys.stdout.write("---\n".join(out))
