// ProtectedPolicies looks at UPDATE and DELETE of NetworkPolicies and of the cluster-scoped
// policies (AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy), at their
// metadata.name and metadata.labels, and at who sends the request (request.userInfo). A policy
// is protected when its name matches one of `names` (globs on metadata.name alone: a
// NetworkPolicy's namespace is the rule's `match`, a cluster policy has none) and its labels
// match `selector`; an absent criterion matches every policy. On UPDATE the policy as it was
// decides, so that nobody can unprotect a policy by relabelling it. CREATE is not checked: a
// team writing its own default-deny is what the platform team wants, and taking over a name
// that exists already is an UPDATE. Without userInfo (`netadmit check`) there is nobody to judge.

#include "rules/kinds/protected_policies.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "netadmit/model/glob.h"
#include "rules/kinds/describe.h"
#include "rules/kinds/lifecycle.h"

namespace netadmit {

namespace {

class ProtectedPoliciesCheck final : public RuleCheck {
 public:
  ProtectedPoliciesCheck(std::vector<NamePattern> names, std::optional<LabelSelector> selector,
                         std::vector<std::string> users, std::vector<std::string> groups)
      : names_(std::move(names)),
        selector_(std::move(selector)),
        users_(std::move(users)),
        groups_(std::move(groups)) {}

  void Check(const Object& object, const CheckContext& context,
             std::vector<Violation>& violations) const override {
    // The namespace controller deletes a terminating namespace's policies, protected or not;
    // cluster-scoped ones are in no namespace.
    const ClusterPolicySpec* cluster_policy = object.cluster_policy();
    if (context.user == nullptr || context.operation == Operation::kCreate ||
        (cluster_policy == nullptr && NamespaceBeingEmptied(object, context))) {
      return;
    }
    const Object& protected_object =
        context.operation == Operation::kUpdate && context.old_object != nullptr
            ? *context.old_object
            : object;
    if (!Protects(protected_object.metadata) || Allowed(*context.user)) {
      return;
    }
    const bool deleting = context.operation == Operation::kDelete;
    const std::string described =
        cluster_policy != nullptr
            ? DescribeClusterPolicy(*cluster_policy, object.metadata.name)
            : "NetworkPolicy " + object.metadata.namespace_name + "/" + object.metadata.name;
    violations.push_back(Violation{"metadata.name",
                                   std::string(deleting ? "deleting" : "changing") + " protected " +
                                       described + " is reserved",
                                   "user " + context.user->username + " is not among " + Owners(),
                                   "ask one of them to make the change"});
  }

 private:
  bool Protects(const ObjectMeta& metadata) const {
    if (!names_.empty() && !AnyNameMatches(names_, metadata.name)) {
      return false;
    }
    return !selector_ || selector_->Matches(metadata.labels);
  }

  bool Allowed(const UserInfo& user) const {
    if (std::find(users_.begin(), users_.end(), user.username) != users_.end()) {
      return true;
    }
    return std::any_of(user.groups.begin(), user.groups.end(), [this](const std::string& group) {
      return std::find(groups_.begin(), groups_.end(), group) != groups_.end();
    });
  }

  // "users alice, bob and groups platform-team"
  std::string Owners() const {
    std::string out;
    if (!users_.empty()) {
      out += "users " + JoinSome(users_, 3);
    }
    if (!groups_.empty()) {
      out += (out.empty() ? "groups " : " and groups ") + JoinSome(groups_, 3);
    }
    return out;
  }

  std::vector<NamePattern> names_;
  std::optional<LabelSelector> selector_;
  std::vector<std::string> users_;
  std::vector<std::string> groups_;
};

Result<std::unique_ptr<const RuleCheck>> Compile(ParamReader& params) {
  auto names = params.NameList("names");
  auto selector = params.Selector("selector");
  auto users = params.StringList("users");
  auto groups = params.StringList("groups");
  if (users.empty() && groups.empty()) {
    // Without owners nobody could ever change the policies, not even to fix them.
    params.Fail("users", "give at least one of users and groups: who may change these policies");
  }
  if (auto error = params.Finish()) {
    return *std::move(error);
  }
  return std::unique_ptr<const RuleCheck>(std::make_unique<ProtectedPoliciesCheck>(
      std::move(names), std::move(selector), std::move(users), std::move(groups)));
}

}  // namespace

RuleKind ProtectedPoliciesKind() {
  RuleKind kind{
      "ProtectedPolicies",
      "NetworkPolicies and cluster policies chosen by name or label may be changed or deleted "
      "only by the users and groups listed.",
      Target::kAnyNetworkPolicy,
      {{"names", "list of name patterns (`*` globs; default: every name)",
        "the policy names protected: metadata.name alone, without namespace (a cluster policy "
        "has none; the BaselineAdminNetworkPolicy is `default`)"},
       {"selector", "label selector (default: every policy)",
        "the labels of the policies protected"},
       {"users", "list of usernames", "who may change or delete them"},
       {"groups", "list of groups", "groups whose members may change or delete them"}},
      Compile,
  };
  kind.checks_delete = true;
  return kind;
}

}  // namespace netadmit
