#pragma once

// The `policyTypes` param shared by the kinds that ask about directions (RequireDefaultDeny,
// RequirePodSelected), and the direction helpers they use.

#include <string_view>
#include <vector>

#include "netadmit/model/model.h"
#include "netadmit/rules/params.h"

namespace netadmit {

// "Ingress" or "Egress", as NetworkPolicy writes them.
const char* PolicyTypeName(PolicyType type);

// Whether the policy is in force for the direction (its policyTypes, written or inferred).
bool Affects(const NetworkPolicySpec& spec, PolicyType type);

// Reads a list of directions ([Ingress, Egress]); `fallback` when absent. An unknown name, an
// empty list or a repeated name is an error at its position.
std::vector<PolicyType> ReadPolicyTypes(ParamReader& params, std::string_view key,
                                        std::vector<PolicyType> fallback);

// "Ingress and Egress", "Egress".
std::string DescribePolicyTypes(const std::vector<PolicyType>& types);

}  // namespace netadmit
