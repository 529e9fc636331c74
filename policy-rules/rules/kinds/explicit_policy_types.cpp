// ExplicitPolicyTypes inspects spec.policyTypes, spec.ingress and spec.egress of NetworkPolicies,
// and of the same policy as last written with `kubectl apply` (its
// kubectl.kubernetes.io/last-applied-configuration annotation). It allows a policy that writes
// out a non-empty policyTypes. It flags a missing or empty policyTypes, naming what Kubernetes
// infers in its place: Ingress always, Egress only when there are egress rules, so an
// egress-only policy silently denies all ingress too.
//
// The API server fills in policyTypes before admission webhooks see an object, so at admission
// the object itself always has them; what the user wrote survives only in the annotation that
// client-side `kubectl apply` records. Without it (kubectl create, server-side apply, other
// clients) the rule cannot tell at admission and speaks through `netadmit check` only.

#include "rules/kinds/explicit_policy_types.h"

#include <memory>

#include "netadmit/codec/decode.h"

namespace netadmit {

namespace {

bool WritesPolicyTypes(const NetworkPolicySpec& spec) {
  return spec.policy_types && !spec.policy_types->empty();
}

class ExplicitPolicyTypesCheck final : public RuleCheck {
 public:
  void Check(const Object& object, const CheckContext& /*context*/,
             std::vector<Violation>& violations) const override {
    const NetworkPolicySpec* spec = object.network_policy();
    if (spec == nullptr) {
      return;
    }
    if (!WritesPolicyTypes(*spec)) {
      violations.push_back(Report(*spec, ""));
      return;
    }
    if (object.metadata.last_applied_configuration.empty()) {
      return;
    }
    const std::optional<Object> applied = DecodeLastApplied(object);
    const NetworkPolicySpec* written = applied ? applied->network_policy() : nullptr;
    if (written != nullptr && !WritesPolicyTypes(*written)) {
      violations.push_back(Report(*written, "; as last applied with kubectl, read from its " +
                                                std::string(kLastAppliedAnnotation) +
                                                " annotation"));
    }
  }

 private:
  // `spec` as written; `source` says where it was read when that is not the object itself.
  static Violation Report(const NetworkPolicySpec& spec, const std::string& source) {
    const bool egress = !spec.egress.empty();
    const std::string inferred = egress ? "[Ingress, Egress]" : "[Ingress]";
    std::string detail = "Kubernetes infers " + inferred;
    std::string fix = "add `policyTypes: " + inferred + "`";
    if (egress && spec.ingress.empty()) {
      detail += ", which denies all ingress";
      fix += ", or `[Egress]` to leave ingress open";
    }
    detail += source;
    return Violation{"spec.policyTypes",
                     spec.policy_types ? "policyTypes is empty" : "policyTypes is not written out",
                     std::move(detail), std::move(fix)};
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
      "infer it. The API server fills it in before admission, so the webhook judges only "
      "policies applied with client-side `kubectl apply` (from their last-applied-configuration "
      "annotation); others are judged by `netadmit check` only.",
      Target::kNetworkPolicy,
      {},
      Compile,
  };
}

}  // namespace netadmit
