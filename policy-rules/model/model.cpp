#include "netadmit/model/model.h"

#include <algorithm>

namespace netadmit {

namespace {

bool Contains(const std::vector<std::string>& values, const std::string& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

bool RequirementHolds(const SelectorRequirement& requirement, const Labels& labels) {
  auto found = labels.find(requirement.key);
  switch (requirement.op) {
    case SelectorOperator::kIn:
      return found != labels.end() && Contains(requirement.values, found->second);
    case SelectorOperator::kNotIn:
      // As in Kubernetes: a missing key satisfies NotIn.
      return found == labels.end() || !Contains(requirement.values, found->second);
    case SelectorOperator::kExists:
      return found != labels.end();
    case SelectorOperator::kDoesNotExist:
      return found == labels.end();
  }
  return false;
}

bool HasType(const std::optional<std::vector<PolicyType>>& types, PolicyType type) {
  return std::find(types->begin(), types->end(), type) != types->end();
}

}  // namespace

bool LabelSelector::Matches(const Labels& labels) const {
  for (const auto& [key, value] : match_labels) {
    auto found = labels.find(key);
    if (found == labels.end() || found->second != value) {
      return false;
    }
  }
  return std::all_of(match_expressions.begin(), match_expressions.end(),
                     [&](const SelectorRequirement& r) { return RequirementHolds(r, labels); });
}

const char* ProtocolName(Protocol protocol) {
  switch (protocol) {
    case Protocol::kTCP:
      return "TCP";
    case Protocol::kUDP:
      return "UDP";
    case Protocol::kSCTP:
      return "SCTP";
  }
  return "TCP";
}

bool NetworkPolicySpec::AffectsIngress() const {
  // Without policyTypes, Kubernetes always treats the policy as an Ingress policy.
  return !policy_types || HasType(policy_types, PolicyType::kIngress);
}

bool NetworkPolicySpec::AffectsEgress() const {
  // Without policyTypes, Egress is inferred only when egress rules are present.
  return policy_types ? HasType(policy_types, PolicyType::kEgress) : !egress.empty();
}

std::string Object::Describe() const {
  std::string out = kind.empty() ? std::string("object") : kind;
  out += ' ';
  if (!metadata.namespace_name.empty()) {
    out += metadata.namespace_name + '/';
  }
  out += metadata.name.empty() ? std::string("<unnamed>") : metadata.name;
  return out;
}

const char* OperationName(Operation operation) {
  switch (operation) {
    case Operation::kCreate:
      return "CREATE";
    case Operation::kUpdate:
      return "UPDATE";
    case Operation::kDelete:
      return "DELETE";
    case Operation::kConnect:
      return "CONNECT";
  }
  return "CREATE";
}

}  // namespace netadmit
