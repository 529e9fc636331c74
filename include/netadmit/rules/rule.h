#pragma once

// The contract between the engine and a rule kind. A rule kind is code: it parses its params
// once, when a rule set loads, and returns a compiled RuleCheck. A rule is data: the YAML entry
// {id, kind, action, match, params} that names a kind and gives its params.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "netadmit/model/model.h"
#include "netadmit/model/result.h"
#include "netadmit/rules/params.h"

namespace netadmit {

class ClusterView;  // netadmit/cluster/cluster.h

// What a rule does with a violation: refuse the request, warn the user, or only log and count.
enum class Action { kDeny, kWarn, kAudit };
const char* ActionName(Action action);  // "deny", "warn", "audit"

// One problem found in one object. Rendered for people as
//   [rule-id] problem (detail) at path — fix
struct Violation {
  std::string path;     // exact field, e.g. spec.egress[1].to[0].ipBlock.cidr
  std::string problem;  // what is wrong, short: "egress rule allows every destination"
  std::string detail;   // what was found: "ipBlock 0.0.0.0/0"; may be empty
  std::string fix;      // what to do: "limit `to` to pods or to CIDRs inside 10.0.0.0/8"
};

// What a check may know besides the object itself.
struct CheckContext {
  Operation operation = Operation::kCreate;
  const Object* old_object = nullptr;  // on UPDATE and DELETE
  const UserInfo* user = nullptr;      // absent in `netadmit check`
  // The cached cluster (namespaces, policies, pods); absent without a cluster connection.
  const ClusterView* cluster = nullptr;
};

class RuleCheck {
 public:
  virtual ~RuleCheck() = default;
  // Appends one Violation per problem found. Called concurrently from many threads: must not
  // modify the check. Never throws.
  virtual void Check(const Object& object, const CheckContext& context,
                     std::vector<Violation>& violations) const = 0;
  // Whether Check may take milliseconds for this object and context (it would build something
  // over the cluster view), so that a server runs the evaluation away from the threads that
  // serve connections. Must itself be quick. Asked only of kinds with RuleKind::may_be_slow.
  virtual bool MayBeSlow(const Object& /*object*/, const CheckContext& /*context*/) const {
    return false;
  }
  // For an audit: what is wrong with the cluster as a whole now, in the rule's terms, rather than
  // with one object (a forbidden flow open). Appends one Violation per problem. Most kinds judge
  // objects only and append nothing.
  virtual void CheckCluster(const ClusterView& /*cluster*/,
                            std::vector<Violation>& /*violations*/) const {}
};

// Which objects a kind looks at. The engine calls Check only with those. Each value is a set of
// the three contents an object may hold (a bit each); the named unions are the sets kinds use.
enum class Target : unsigned {
  kNetworkPolicy = 1,  // NetworkPolicies
  kPodTemplate = 2,    // Pods and pod controllers' templates
  kNetworkPolicyOrPodTemplate =
      3,  // both (e.g. a namespace's default-deny, and the pods it covers)
  // AdminNetworkPolicies, BaselineAdminNetworkPolicies and ClusterNetworkPolicies (cluster-scoped)
  kClusterPolicy = 4,
  kAnyNetworkPolicy = 5,  // NetworkPolicies and the cluster-scoped policies
  kAnyPolicyOrPodTemplate = 7,
};

// Whether `target` includes every content of `part` (Includes(kAnyNetworkPolicy, kClusterPolicy)).
constexpr bool Includes(Target target, Target part) {
  return (static_cast<unsigned>(target) & static_cast<unsigned>(part)) ==
         static_cast<unsigned>(part);
}

struct ParamDoc {
  std::string_view name;
  std::string_view type;  // "list of CIDRs", "bool (default false)", ...
  std::string_view description;
};

using CompileFn = Result<std::unique_ptr<const RuleCheck>> (*)(ParamReader& params);

struct RuleKind {
  std::string_view name;     // "NoOpenEgress", as written in `kind:`
  std::string_view summary;  // one sentence for the rule reference
  Target target = Target::kNetworkPolicy;
  std::vector<ParamDoc> params;  // for the generated rule reference
  CompileFn compile = nullptr;
  // Also called on DELETE (with the object being deleted). Structural kinds judge an object as
  // it is written, and deleting it cannot make its content less safe; kinds about what the
  // cluster is left with (the last default-deny of a namespace) or who may change what do care.
  bool checks_delete = false;
  // Reads CheckContext::cluster. Without a cluster view the engine skips the kind, and the
  // server reports its rules as inactive rather than silently passing everything.
  bool needs_cluster = false;
  // Its violations rest on what the cluster view lacks in the object's namespace (no
  // default-deny, no policy selecting the pod), and one created a moment earlier by the same
  // `kubectl apply` may not have reached the cache yet. Before denying, the server reads that
  // namespace's NetworkPolicies afresh from the API server and runs the rules whose findings
  // asked for it again over that read (ConfirmReview).
  bool confirm_with_fresh_read = false;
  // Some of its checks may take milliseconds (RuleCheck::MayBeSlow says which). A rule set
  // without such kinds is never asked.
  bool may_be_slow = false;
  // Its findings are about the object's namespace rather than the object (no default-deny): an
  // audit reports them once, on the Namespace, instead of once per object.
  bool about_namespace = false;
  // Its findings in an audit are about the cluster as a whole (RuleCheck::CheckCluster: a
  // forbidden flow open now), so an audit does not ask it of each object: judged as a CREATE of
  // what is already there, an object would only repeat, at a cost per object, what the
  // whole-cluster pass reports once.
  bool audits_whole_cluster = false;
};

}  // namespace netadmit
