// NoOpenEgress inspects spec.egress[*].to (ipBlock.cidr, namespaceSelector, podSelector) and
// spec.egress[*].ports of NetworkPolicies whose policy types include Egress. It allows egress
// rules limited to pod/namespace selectors or to CIDRs (inside allowedCIDRs when given), and
// any rule whose ports all lie in allowedPorts (DNS). It flags rules without `to`, ipBlocks of
// 0.0.0.0/0 or ::/0, ipBlocks outside allowedCIDRs and, with clusterWideIsOpen, peers that
// select every pod of every namespace. In AdminNetworkPolicies, BaselineAdminNetworkPolicies and
// ClusterNetworkPolicies it reads spec.egress[*] (action, to[*].networks, to[*].namespaces,
// to[*].pods, ports/protocols) and flags the same in Allow (Accept) rules: `networks` as ipBlocks,
// and peers selecting every pod of every namespace (always in the Admin tier).

#include "rules/kinds/no_open_egress.h"

#include <memory>
#include <utility>

#include "rules/kinds/open_peers.h"

namespace netadmit {

namespace {

class NoOpenEgressCheck final : public RuleCheck {
 public:
  explicit NoOpenEgressCheck(OpenPeerParams params) : params_(std::move(params)) {}

  void Check(const Object& object, const CheckContext& /*context*/,
             std::vector<Violation>& violations) const override {
    if (const NetworkPolicySpec* spec = object.network_policy()) {
      CheckOpenPeers(*spec, kEgress, params_, violations);
    } else if (const ClusterPolicySpec* cluster_spec = object.cluster_policy()) {
      CheckOpenClusterPeers(*cluster_spec, kEgress, params_, violations);
    }
  }

 private:
  OpenPeerParams params_;
};

Result<std::unique_ptr<const RuleCheck>> Compile(ParamReader& params) {
  OpenPeerParams read = ReadOpenPeerParams(params);
  if (auto error = params.Finish()) {
    return *std::move(error);
  }
  return std::unique_ptr<const RuleCheck>(std::make_unique<NoOpenEgressCheck>(std::move(read)));
}

}  // namespace

RuleKind NoOpenEgressKind() {
  return RuleKind{
      "NoOpenEgress",
      "Egress rules may not allow every destination: no rule without `to`, no ipBlock of "
      "0.0.0.0/0 or ::/0 (or outside allowedCIDRs), unless all its ports are allowed ports; in "
      "the Allow rules of cluster policies, no such `networks` and, in the Admin tier, no peer "
      "selecting every namespace.",
      Target::kAnyNetworkPolicy,
      OpenPeerParamDocs(kEgress),
      Compile,
  };
}

}  // namespace netadmit
