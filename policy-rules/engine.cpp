#include "netadmit/engine.h"

#include <algorithm>

namespace netadmit {

namespace {

bool TargetMatches(Target target, const Object& object) {
  switch (target) {
    case Target::kNetworkPolicy:
      return object.network_policy() != nullptr;
    case Target::kPodTemplate:
      return object.pod_template() != nullptr;
  }
  return false;
}

// The structural kinds judge an object as it is written. Deleting an object cannot make its
// content less safe, so they do not look at DELETE.
bool OperationChecked(Operation operation) {
  return operation == Operation::kCreate || operation == Operation::kUpdate;
}

}  // namespace

std::string Finding::Message() const {
  std::string out = "[" + rule_id + "] " + violation.problem;
  if (!violation.detail.empty()) {
    out += " (" + violation.detail + ")";
  }
  if (!violation.path.empty()) {
    out += " at " + violation.path;
  }
  if (!violation.fix.empty()) {
    out += " \u2014 " + violation.fix;
  }
  return out;
}

bool Evaluation::Denied() const {
  return std::any_of(findings.begin(), findings.end(),
                     [](const Finding& finding) { return finding.action == Action::kDeny; });
}

std::vector<const Finding*> Evaluation::WithAction(Action action) const {
  std::vector<const Finding*> out;
  for (const auto& finding : findings) {
    if (finding.action == action) {
      out.push_back(&finding);
    }
  }
  return out;
}

Evaluation Evaluate(const RuleSet& rules, const Object& object, const CheckContext& context) {
  Evaluation evaluation;
  const std::string& namespace_name = object.metadata.namespace_name;
  if (rules.Excludes(namespace_name) || !OperationChecked(context.operation)) {
    return evaluation;
  }
  std::vector<Violation> violations;
  for (const auto& rule : rules.rules()) {
    if (!TargetMatches(rule.kind->target, object) || !rule.match.Matches(namespace_name)) {
      continue;
    }
    violations.clear();
    rule.check->Check(object, context, violations);
    for (auto& violation : violations) {
      evaluation.findings.push_back(Finding{rule.id, rule.action, std::move(violation)});
    }
  }
  return evaluation;
}

const char* ActionName(Action action) {
  switch (action) {
    case Action::kDeny:
      return "deny";
    case Action::kWarn:
      return "warn";
    case Action::kAudit:
      return "audit";
  }
  return "deny";
}

}  // namespace netadmit
