#pragma once

// How `netadmit reach` shows its answers: text tables, JSON and Graphviz DOT.

#include <string>

#include "netadmit/connectivity/reach.h"

namespace netadmit::cli {

// One block per port: rows sources, columns destinations, "." allowed, "X" blocked.
std::string RenderReachText(const ReachTable& table);
// {"ports": ["80/TCP"], "connections": [{"from", "to", "port", "protocol", "allowed"}],
//  "summary": [{"port", "protocol", "allowed", "blocked"}]}
std::string RenderReachJson(const ReachTable& table);
// A digraph: one subgraph per namespace, an edge per allowed ordered pair of different
// endpoints labeled with its ports.
std::string RenderReachDot(const ReachTable& table);

// "- x/a -> y/b 80/TCP" and "+ ..." lines, and a summary line.
std::string RenderDiffText(const ReachDiff& diff);
// {"ports": [...], "gained": [{from, to, port, protocol}], "lost": [...]}
std::string RenderDiffJson(const ReachDiff& diff);

std::string RenderExposureText(const Exposure& exposure);
std::string RenderExposureJson(const Exposure& exposure);

}  // namespace netadmit::cli
