#!/usr/bin/env python3
"""Writes a flow log over the cluster of bench/reach_cluster.py, for timing `netadmit reach
--flows` and `netadmit recommend` on a day of traffic: LINES lines (default 1,000,000), one flow
each, alternating Hubble's flow JSON (as `hubble observe -o jsonpb` prints it, wrapped in
{"flow": ...}) and the neutral {from, to, port} form. The traffic is 20,000 distinct connections
(pods of a namespace calling pods of the same team's namespaces on 8080 and 9090, DNS, a few
addresses outside the cluster), each seen many times, with one reply in ten and one ICMP flow
in a hundred, as real logs have them.

usage: flows_log.py [LINES] > flows.jsonl
"""
import json
import random
import sys

lines = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
rng = random.Random(20261203)


def pod(n, p):
    return f"ns{n}", f"p{p}", f"10.{n // 250}.{n % 250}.{p + 1}"


connections = []
for _ in range(20_000):
    n = rng.randrange(1000)
    source = pod(n, rng.randrange(10))
    kind = rng.randrange(10)
    if kind == 0:
        connections.append((source, ("", "", f"203.0.113.{rng.randrange(1, 250)}"), 443, "TCP"))
    elif kind == 1:
        connections.append((source, pod((n + 50) % 1000, rng.randrange(10)), 53, "UDP"))
    else:
        peer = (n + 50 * rng.randrange(1, 20)) % 1000  # a namespace of the same team
        connections.append((source, pod(peer, rng.randrange(10)), rng.choice([8080, 9090]), "TCP"))


def endpoint(end):
    namespace, name, _ = end
    if not name:
        return {}
    return {"namespace": namespace, "pod_name": name, "labels": [f"k8s:app=a{int(name[1:]) % 5}"]}


out = sys.stdout
for i in range(lines):
    source, destination, port, protocol = connections[rng.randrange(len(connections))]
    time = f"2026-12-02T{i * 86400 // lines // 3600:02d}:{i * 86400 // lines // 60 % 60:02d}:00Z"
    if i % 2 == 0:
        reply = i % 10 == 2
        if i % 100 == 0:
            l4 = {"ICMPv4": {"type": 8}}
        else:
            l4 = {protocol: {"source_port": 40000 + i % 20000, "destination_port": port}}
        flow = {"time": time, "verdict": "FORWARDED",
                "IP": {"source": source[2], "destination": destination[2], "ipVersion": "IPv4"},
                "l4": l4, "source": endpoint(source), "destination": endpoint(destination),
                "Type": "L3_L4", "traffic_direction": "EGRESS", "is_reply": reply}
        out.write(json.dumps({"flow": flow, "node_name": "node-1", "time": time}) + "\n")
    else:
        ends = [f"{end[0]}/{end[1]}" if end[1] else end[2] for end in (source, destination)]
        out.write(json.dumps({"time": time, "from": ends[0], "to": ends[1], "port": port,
                              "protocol": protocol, "verdict": "FORWARDED"}) + "\n")
