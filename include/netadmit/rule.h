#pragma once

// The contract between the engine and a rule kind. A rule kind is code: it parses its params
// once, when a rule set loads, and returns a compiled RuleCheck. A rule is data: the YAML entry
// {id, kind, action, match, params} that names a kind and gives its params.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "netadmit/model.h"
#include "netadmit/params.h"
#include "netadmit/result.h"

namespace netadmit {

class ClusterView;  // netadmit/cluster.h

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
};

// Which objects a kind looks at. The engine calls Check only with those.
enum class Target {
  kNetworkPolicy,  // NetworkPolicy CREATE and UPDATE
  kPodTemplate,    // Pod CREATE/UPDATE and pod controllers' templates
};

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
};

}  // namespace netadmit
