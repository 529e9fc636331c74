#include "rules/kinds/policy_types.h"

#include <algorithm>
#include <string>

namespace netadmit {

const char* PolicyTypeName(PolicyType type) {
  return type == PolicyType::kIngress ? "Ingress" : "Egress";
}

bool Affects(const NetworkPolicySpec& spec, PolicyType type) {
  return type == PolicyType::kIngress ? spec.AffectsIngress() : spec.AffectsEgress();
}

std::vector<PolicyType> ReadPolicyTypes(ParamReader& params, std::string_view key,
                                        std::vector<PolicyType> fallback) {
  const std::vector<std::string> names = params.StringList(key);
  if (names.empty()) {
    // Absent, empty, or an error the reader keeps. A rule that checks no direction is never
    // what its author meant, so an empty list means the default too.
    return fallback;
  }
  std::vector<PolicyType> types;
  for (const auto& name : names) {
    PolicyType type = PolicyType::kIngress;
    if (name == "Ingress") {
      type = PolicyType::kIngress;
    } else if (name == "Egress") {
      type = PolicyType::kEgress;
    } else {
      params.Fail(key, "unknown policy type \"" + name + "\" (expected Ingress or Egress)");
      return fallback;
    }
    if (std::find(types.begin(), types.end(), type) != types.end()) {
      params.Fail(key, "policy type \"" + name + "\" is listed twice");
      return fallback;
    }
    types.push_back(type);
  }
  return types;
}

std::string DescribePolicyTypes(const std::vector<PolicyType>& types) {
  std::string out;
  for (std::size_t i = 0; i < types.size(); ++i) {
    out += i == 0 ? "" : (i + 1 == types.size() ? " and " : ", ");
    out += PolicyTypeName(types[i]);
  }
  return out;
}

}  // namespace netadmit
