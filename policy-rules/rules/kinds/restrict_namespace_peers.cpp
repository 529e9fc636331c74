// RestrictNamespacePeers inspects metadata.namespace and the namespaceSelector of every peer in
// spec.ingress[*].from and spec.egress[*].to (the directions the policy types put in force). It
// allows a namespaceSelector that pins namespaces by name, with `kubernetes.io/metadata.name`
// in matchLabels or in a matchExpression with operator In, when every name is the policy's own
// namespace or matches allowedNamespaces. It flags `namespaceSelector: {}`, selectors on other
// labels (anyone who can label a namespace can match them) or with NotIn/Exists, and names
// that are not allowed. Peers without a namespaceSelector stay in the policy's namespace.

#include "rules/kinds/restrict_namespace_peers.h"

#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "rules/kinds/describe.h"

namespace netadmit {

namespace {

constexpr std::size_t kMaxListedNames = 3;

const char* OperatorName(SelectorOperator op) {
  switch (op) {
    case SelectorOperator::kIn:
      return "In";
    case SelectorOperator::kNotIn:
      return "NotIn";
    case SelectorOperator::kExists:
      return "Exists";
    case SelectorOperator::kDoesNotExist:
      return "DoesNotExist";
  }
  return "In";
}

// The namespace names the selector pins, or nothing when it does not pin them by name. They
// point into the selector.
std::optional<std::vector<std::string_view>> PinnedNames(const LabelSelector& selector) {
  std::optional<std::vector<std::string_view>> names;
  if (auto found = selector.match_labels.find(kNamespaceNameLabel);
      found != selector.match_labels.end()) {
    names.emplace().push_back(found->second);
  }
  for (const auto& requirement : selector.match_expressions) {
    if (requirement.key == kNamespaceNameLabel && requirement.op == SelectorOperator::kIn) {
      if (!names) {
        names.emplace();
      }
      names->insert(names->end(), requirement.values.begin(), requirement.values.end());
    }
  }
  return names;
}

// How an unpinned selector picks namespaces: "matches every namespace", "selects by team".
std::string DescribeUnpinned(const LabelSelector& selector) {
  if (selector.Empty()) {
    return "{} matches every namespace";
  }
  std::vector<std::string> terms;
  for (const auto& [key, value] : selector.match_labels) {
    terms.push_back(key + "=" + value);
  }
  for (const auto& requirement : selector.match_expressions) {
    terms.push_back(requirement.key + " " + OperatorName(requirement.op));
  }
  return "selects by " + JoinSome(terms, kMaxListedNames);
}

class RestrictNamespacePeersCheck final : public RuleCheck {
 public:
  explicit RestrictNamespacePeersCheck(std::vector<NamespacePattern> allowed)
      : allowed_(std::move(allowed)),
        fix_(allowed_.empty()
                 ? "keep to the policy's own namespace"
                 : "keep to the policy's own namespace or " + DescribePatterns(allowed_)) {}

  void Check(const Object& object, const CheckContext& /*context*/,
             std::vector<Violation>& violations) const override {
    const NetworkPolicySpec* spec = object.network_policy();
    if (spec == nullptr) {
      return;
    }
    const std::string& own = object.metadata.namespace_name;
    if (spec->AffectsIngress()) {
      CheckRules(spec->ingress, "spec.ingress", "from", own, violations);
    }
    if (spec->AffectsEgress()) {
      CheckRules(spec->egress, "spec.egress", "to", own, violations);
    }
  }

 private:
  void CheckRules(const std::vector<NetworkPolicyRule>& rules, const std::string& rules_path,
                  const std::string& peers_field, const std::string& own,
                  std::vector<Violation>& violations) const {
    for (std::size_t i = 0; i < rules.size(); ++i) {
      for (std::size_t j = 0; j < rules[i].peers.size(); ++j) {
        const NetworkPolicyPeer& peer = rules[i].peers[j];
        if (peer.namespace_selector) {
          // Built only for a violation: most selectors pass.
          const auto path = [&] {
            std::string out = Indexed(rules_path, i);
            out += '.';
            out += peers_field;
            AppendIndex(out, j);
            out += ".namespaceSelector";
            return out;
          };
          CheckSelector(*peer.namespace_selector, path, own, violations);
        }
      }
    }
  }

  template <typename PathFn>
  void CheckSelector(const LabelSelector& selector, const PathFn& path, const std::string& own,
                     std::vector<Violation>& violations) const {
    const auto names = PinnedNames(selector);
    if (!names) {
      violations.push_back(Violation{path(), "namespaceSelector does not name namespaces",
                                     DescribeUnpinned(selector),
                                     "use `kubernetes.io/metadata.name` in matchLabels or with "
                                     "operator In"});
      return;
    }
    std::vector<std::string_view> refused;
    for (const std::string_view name : *names) {
      if (name != own && !AnyMatches(allowed_, name)) {
        refused.push_back(name);
      }
    }
    if (refused.empty()) {
      return;
    }
    violations.push_back(Violation{
        path(), "namespaceSelector names a namespace that is not allowed",
        (refused.size() == 1 ? "namespace " : "namespaces ") + JoinSome(refused, kMaxListedNames),
        fix_});
  }

  std::vector<NamespacePattern> allowed_;
  // The same for every violation, so written once.
  std::string fix_;
};

Result<std::unique_ptr<const RuleCheck>> Compile(ParamReader& params) {
  std::vector<NamespacePattern> allowed = params.NamespaceList("allowedNamespaces");
  if (auto error = params.Finish()) {
    return *std::move(error);
  }
  return std::unique_ptr<const RuleCheck>(
      std::make_unique<RestrictNamespacePeersCheck>(std::move(allowed)));
}

}  // namespace

RuleKind RestrictNamespacePeersKind() {
  return RuleKind{
      "RestrictNamespacePeers",
      "Peers that select namespaces name them by kubernetes.io/metadata.name, and only the "
      "policy's own namespace or allowed ones.",
      Target::kNetworkPolicy,
      {{"allowedNamespaces", "list of namespace patterns",
        "namespaces any policy may name besides its own (e.g. monitoring, ingress-nginx)"}},
      Compile,
  };
}

}  // namespace netadmit
