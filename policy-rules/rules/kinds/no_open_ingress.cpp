// NoOpenIngress inspects metadata.namespace, spec.ingress[*].from (ipBlock.cidr,
// namespaceSelector, podSelector) and spec.ingress[*].ports of NetworkPolicies whose policy
// types include Ingress. It allows ingress rules limited to pod/namespace selectors or to CIDRs
// (inside allowedCIDRs when given), any rule whose ports all lie in allowedPorts, and every
// rule of a policy in a namespace matching allowedNamespaces (e.g. the ingress controller's).
// It flags rules without `from`, ipBlocks of 0.0.0.0/0 or ::/0, ipBlocks outside allowedCIDRs
// and, with clusterWideIsOpen, peers that select every pod of every namespace. In
// AdminNetworkPolicies, BaselineAdminNetworkPolicies and ClusterNetworkPolicies it reads
// spec.ingress[*] (action, from[*].namespaces, from[*].pods, from[*].networks, ports/protocols)
// and flags the same in Allow (Accept) rules (peers selecting every pod of every namespace always
// in the Admin tier). Those are in no namespace, so allowedNamespaces does not exempt them.

#include "rules/kinds/no_open_ingress.h"

#include <memory>
#include <utility>

#include "rules/kinds/open_peers.h"

namespace netadmit {

namespace {

class NoOpenIngressCheck final : public RuleCheck {
 public:
  NoOpenIngressCheck(OpenPeerParams params, std::vector<NamespacePattern> allowed_namespaces)
      : params_(std::move(params)), allowed_namespaces_(std::move(allowed_namespaces)) {}

  void Check(const Object& object, const CheckContext& /*context*/,
             std::vector<Violation>& violations) const override {
    if (const ClusterPolicySpec* cluster_spec = object.cluster_policy()) {
      CheckOpenClusterPeers(*cluster_spec, kIngress, params_, violations);
      return;
    }
    const NetworkPolicySpec* spec = object.network_policy();
    if (spec == nullptr || AnyMatches(allowed_namespaces_, object.metadata.namespace_name)) {
      return;
    }
    CheckOpenPeers(*spec, kIngress, params_, violations);
  }

 private:
  OpenPeerParams params_;
  std::vector<NamespacePattern> allowed_namespaces_;
};

Result<std::unique_ptr<const RuleCheck>> Compile(ParamReader& params) {
  OpenPeerParams read = ReadOpenPeerParams(params);
  std::vector<NamespacePattern> allowed_namespaces = params.NamespaceList("allowedNamespaces");
  if (auto error = params.Finish()) {
    return *std::move(error);
  }
  return std::unique_ptr<const RuleCheck>(
      std::make_unique<NoOpenIngressCheck>(std::move(read), std::move(allowed_namespaces)));
}

std::vector<ParamDoc> Docs() {
  std::vector<ParamDoc> docs = OpenPeerParamDocs(kIngress);
  docs.push_back({"allowedNamespaces", "list of namespace patterns",
                  "policies in these namespaces (e.g. ingress-nginx) may accept open ingress"});
  return docs;
}

}  // namespace

RuleKind NoOpenIngressKind() {
  return RuleKind{
      "NoOpenIngress",
      "Ingress rules may not allow every source: no rule without `from`, no ipBlock of "
      "0.0.0.0/0 or ::/0 (or outside allowedCIDRs), unless all its ports are allowed ports or "
      "the policy's namespace is an allowed one; in the Allow rules of cluster policies, no such "
      "`networks` and, in the Admin tier, no peer selecting every namespace.",
      Target::kAnyNetworkPolicy,
      Docs(),
      Compile,
  };
}

}  // namespace netadmit
