#pragma once

// How `netadmit recommend` shows its answer: the recommended NetworkPolicies as YAML (each with
// a comment saying what it stands for) or as a JSON List, and a summary for people.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "netadmit/connectivity/observed_flows.h"
#include "netadmit/connectivity/recommend.h"

namespace netadmit::cli {

// The annotation that carries, on a recommended policy, the rule findings on it.
inline constexpr std::string_view kRuleFindingsAnnotation = "netadmit.io/rule-findings";

// What a rule set says of one recommended policy: the action and "[rule-id] ..." message.
struct RuleFlag {
  std::string action;  // "deny", "warn", "audit"
  std::string message;
};
// By the policy's namespace and name.
using RuleFlags = std::map<std::pair<std::string, std::string>, std::vector<RuleFlag>>;

// Multi-document YAML that `kubectl apply -f` and `netadmit check -f` take: one document per
// policy, its comment naming the observed connections it stands for and any rule flags, and
// the annotation netadmit.io/observed. Strings YAML would read as something else are quoted.
std::string RenderPoliciesYaml(const Recommendation& recommendation, const RuleFlags& flags);

// {"apiVersion": "v1", "kind": "List", "items": [NetworkPolicy, ...]}: the same policies with the
// same annotations (and netadmit.io/rule-findings where a rule flagged one).
std::string RenderPoliciesJson(const Recommendation& recommendation, const RuleFlags& flags);

// For standard error: the totals, a line per namespace with its least-privilege score, the
// dropped and left-out connections, the rule flags, warnings and the flow log's malformed lines.
std::string RenderRecommendSummary(const Recommendation& recommendation,
                                   const ReplaySummary& replay, const RuleFlags& flags);

}  // namespace netadmit::cli
