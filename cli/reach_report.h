#pragma once

// How `netadmit reach` shows its answers: text tables, JSON and Graphviz DOT.

#include <string>
#include <vector>

#include "netadmit/connectivity/observed_flows.h"
#include "netadmit/connectivity/reach.h"

namespace netadmit::cli {

// One block per port: rows sources, columns destinations, "." allowed, "X" blocked.
std::string RenderReachText(const ReachTable& table);
// {"ports": ["80/TCP"], "connections": [{"from", "to", "port", "protocol", "allowed"}],
//  "summary": [{"port", "protocol", "allowed", "blocked"}], "warnings": ["..."]}
std::string RenderReachJson(const ReachTable& table);
// A digraph: one subgraph per namespace, an edge per allowed ordered pair of different
// endpoints labeled with its ports.
std::string RenderReachDot(const ReachTable& table);

// "- x/a -> y/b 80/TCP" and "+ ..." lines, "cluster policy added: AdminNetworkPolicy x" lines,
// and a summary line (counting the cluster policy changes when either side has any).
std::string RenderDiffText(const ReachDiff& diff);
// {"ports": [...], "gained": [{from, to, port, protocol}], "lost": [...],
//  "clusterPolicies": {"added": [...], "removed": [...], "changed": [...]}, "warnings": [...]}
std::string RenderDiffJson(const ReachDiff& diff);

std::string RenderExposureText(const Exposure& exposure);
std::string RenderExposureJson(const Exposure& exposure);

// `--explain -o json`: {"from", "to", "connections": [{"port", "protocol", "allowed",
// "egress": DIRECTION, "ingress": DIRECTION, "explanation": Explain's text}],
// "clusterPolicies": ExplainClusterPolicies' text, "warnings": [...]}, where DIRECTION is
// {"applies", "allowed", "decidedBy": "AdminTier" | "NetworkPolicy" | "BaselineTier" | "default",
// "clusterPolicy": the deciding cluster policy rule, "passedBy": the Admin rule that passed it on,
// "baselinePassedBy", "isolatedBy": ["ns/name"], "allowedBy": [{"policy", "path"}],
// "warnings": [equal priorities]}; a cluster policy rule is {"kind", "name", "tier", "priority",
// "rule", "ruleName", "path", "action", "failClosed"}.
std::string RenderExplainJson(const Connectivity& engine, const Endpoint& from, const Endpoint& to,
                              const std::vector<PortProtocol>& ports);

// `--flows`: a summary line ("13 lines read, 10 connections observed, 7 distinct: 3 allowed, ..."),
// then the denied connections with the reason (Explain's lines), the ones the network dropped,
// and the first malformed lines as "FILE:LINE: path: message". With a base and a head, the
// connections the head newly denies instead of every denied one. `source` names the flow log.
std::string RenderFlowsText(const ReplaySummary& summary, const std::string& source);
// {"summary": {"lines", "observations", "distinct", "allowed", "denied", "dropped", "skipped",
//  "replies", "withoutPort", "otherEvents", "malformed"}, "denied": [CONNECTION],
//  "allowed": [...], "dropped": [...], "newlyDenied": [...] (with a base), "malformed":
//  [{"line", "column", "path", "message"}], "warnings": [...]}, a CONNECTION being {"from", "to",
//  "port", "protocol", "observations", "lastSeen", "allowed", "fromUnknownPod", "toUnknownPod",
//  "reason"}.
std::string RenderFlowsJson(const ReplaySummary& summary, const std::vector<std::string>& warnings);
// A digraph as RenderReachDot draws `allowed` (the policies' graph between the observed pods, on
// the observed ports), with the observed connections over it: allowed ones bold, denied ones
// red, the ones the network dropped dotted.
std::string RenderFlowsDot(const ReplaySummary& summary, const ReachTable& allowed);

}  // namespace netadmit::cli
