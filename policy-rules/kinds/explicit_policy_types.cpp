// ExplicitPolicyTypes inspects spec.policyTypes, spec.ingress and spec.egress of NetworkPolicies.
// It allows a policy that writes out a non-empty policyTypes. It flags a missing or empty
// policyTypes, naming what Kubernetes infers in its place: Ingress always, Egress only when
// there are egress rules, so an egress-only policy silently denies all ingress too.
//
// The API server fills in policyTypes before admission webhooks see an object, so this rule
// speaks mostly through `netadmit check`, on manifests as written.

#include "kinds/explicit_policy_types.h"

#include <memory>

namespace netadmit {

namespace {

class ExplicitPolicyTypesCheck final : public RuleCheck {
 public:
  void Check(const Object& object, const CheckContext& /*context*/,
             std::vector<Violation>& violations) const override {
    const NetworkPolicySpec* spec = object.network_policy();
    if (spec == nullptr || (spec->policy_types && !spec->policy_types->empty())) {
      return;
    }
    const bool egress = !spec->egress.empty();
    const std::string inferred = egress ? "[Ingress, Egress]" : "[Ingress]";
    std::string detail = "Kubernetes infers " + inferred;
    std::string fix = "add `policyTypes: " + inferred + "`";
    if (egress && spec->ingress.empty()) {
      detail += ", which denies all ingress";
      fix += ", or `[Egress]` to leave ingress open";
    }
    violations.push_back(
        Violation{"spec.policyTypes",
                  spec->policy_types ? "policyTypes is empty" : "policyTypes is not written out",
                  std::move(detail), std::move(fix)});
  }
};

Result<std::unique_ptr<const RuleCheck>> Compile(ParamReader& params) {
  if (auto error = params.Finish()) {
    return *std::move(error);
  }
  return std::unique_ptr<const RuleCheck>(std::make_unique<ExplicitPolicyTypesCheck>());
}

}  // namespace

RuleKind ExplicitPolicyTypesKind() {
  return RuleKind{
      "ExplicitPolicyTypes",
      "NetworkPolicies write out a non-empty policyTypes instead of leaving Kubernetes to "
      "infer it.",
      Target::kNetworkPolicy,
      {},
      Compile,
  };
}

}  // namespace netadmit
