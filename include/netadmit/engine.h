#pragma once

// Evaluates one object against a rule set. Pure: no I/O, no globals, safe from many threads.

#include <string>
#include <vector>

#include "netadmit/model.h"
#include "netadmit/rule.h"
#include "netadmit/rule_set.h"

namespace netadmit {

struct Finding {
  std::string rule_id;
  Action action = Action::kDeny;
  Violation violation;

  // "[rule-id] problem (detail) at path — fix"
  std::string Message() const;
};

struct Evaluation {
  std::vector<Finding> findings;  // in rule-set order, then in the order the check found them

  bool Denied() const;  // any finding with action deny
  std::vector<const Finding*> WithAction(Action action) const;
};

// Runs every rule that applies to the object: its kind's target matches the object's content,
// the namespace is not excluded and matches the rule's `match`, and the operation is one the
// kind checks (structural kinds skip DELETE: removing a policy cannot make it less safe).
Evaluation Evaluate(const RuleSet& rules, const Object& object, const CheckContext& context);

}  // namespace netadmit
