#pragma once

// How `netadmit reach` shows its answers: text tables, JSON and Graphviz DOT.

#include <string>
#include <vector>

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

}  // namespace netadmit::cli
