#include "netadmit/rules/engine.h"

#include <algorithm>
#include <cassert>
#include <iterator>
#include <optional>

#include "netadmit/cluster/cluster.h"

namespace netadmit {

namespace {

bool TargetMatches(Target target, const Object& object) {
  return (object.network_policy() != nullptr && Includes(target, Target::kNetworkPolicy)) ||
         (object.pod_template() != nullptr && Includes(target, Target::kPodTemplate)) ||
         (object.cluster_policy() != nullptr && Includes(target, Target::kClusterPolicy));
}

bool OperationChecked(const RuleKind& kind, Operation operation) {
  switch (operation) {
    case Operation::kCreate:
    case Operation::kUpdate:
      return true;
    case Operation::kDelete:
      return kind.checks_delete;
    case Operation::kConnect:
      return false;
  }
  return false;
}

// Calls `visit` with each rule that applies to the object (see ApplicableRules), in rule-set
// order, until it returns false.
template <typename Visit>
void ForEachApplicableRule(const RuleSet& rules, const Object& object, const CheckContext& context,
                           Visit visit) {
  const std::string& namespace_name = object.metadata.namespace_name;
  const bool cluster_scoped = ClusterScoped(object);
  if (!cluster_scoped && rules.Excludes(namespace_name)) {
    return;
  }
  // Looked up once, and only when some rule selects namespaces by label.
  std::optional<Labels> namespace_labels;
  static const Labels kNoLabels;
  for (const auto& rule : rules.rules()) {
    const RuleKind& kind = *rule.kind;
    if (!TargetMatches(kind.target, object) || !OperationChecked(kind, context.operation) ||
        (kind.needs_cluster && context.cluster == nullptr)) {
      continue;
    }
    if (cluster_scoped) {
      // In no namespace: excluded by no exclusion, and judged only by rules that do not narrow
      // themselves to some namespaces.
      if (rule.match.namespaces.empty() && !rule.match.namespace_selector && !visit(rule)) {
        return;
      }
      continue;
    }
    if (rule.match.namespace_selector && !namespace_labels) {
      namespace_labels = NamespaceLabels(namespace_name, context.cluster);
    }
    if (!rule.match.Matches(namespace_name, namespace_labels ? *namespace_labels : kNoLabels)) {
      continue;
    }
    if (!visit(rule)) {
      return;
    }
  }
}

void RunRule(const CompiledRule& rule, const Object& object, const CheckContext& context,
             std::vector<Violation>& violations, Evaluation& evaluation) {
  violations.clear();
  rule.check->Check(object, context, violations);
  for (auto& violation : violations) {
    evaluation.findings.push_back(Finding{
        rule.id, rule.action, std::move(violation),
        rule.kind->confirm_with_fresh_read ? object.metadata.namespace_name : std::string()});
  }
}

bool RuleMayBeSlow(const CompiledRule& rule, const Object& object, const CheckContext& context) {
  return rule.kind->may_be_slow && rule.check->MayBeSlow(object, context);
}

}  // namespace

std::string Finding::Message() const {
  std::string out;
  out.reserve(rule_id.size() + violation.problem.size() + violation.detail.size() +
              violation.path.size() + violation.fix.size() + 16);
  out += '[';
  out += rule_id;
  out += "] ";
  out += violation.problem;
  if (!violation.detail.empty()) {
    out += " (";
    out += violation.detail;
    out += ')';
  }
  if (!violation.path.empty()) {
    out += " at ";
    out += violation.path;
  }
  if (!violation.fix.empty()) {
    out += " \u2014 ";
    out += violation.fix;
  }
  return out;
}

bool Evaluation::Denied() const {
  return std::any_of(findings.begin(), findings.end(), [](const Finding& finding) {
    return finding.action == Action::kDeny && !finding.exemption;
  });
}

std::vector<const Finding*> Evaluation::WithAction(Action action) const {
  std::vector<const Finding*> out;
  for (const auto& finding : findings) {
    if (finding.action == action && !finding.exemption) {
      out.push_back(&finding);
    }
  }
  return out;
}

std::vector<const Finding*> Evaluation::Exempted() const {
  std::vector<const Finding*> out;
  for (const auto& finding : findings) {
    if (finding.exemption) {
      out.push_back(&finding);
    }
  }
  return out;
}

std::vector<std::string> Evaluation::UnconfirmedNamespaces() const {
  std::vector<std::string> out;
  for (const auto& finding : findings) {
    if (finding.action == Action::kDeny && !finding.exemption &&
        !finding.unconfirmed_namespace.empty()) {
      out.push_back(finding.unconfirmed_namespace);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void ApplyExceptions(Evaluation& evaluation, std::span<const RuleException> exceptions,
                     const Object& object, TimePoint now) {
  for (Finding& finding : evaluation.findings) {
    finding.exemption.reset();
    if (const RuleException* covering =
            CoveringException(exceptions, finding.rule_id, object, now)) {
      finding.exemption = covering->ToExemption();
    }
  }
}

bool ClusterScoped(const Object& object) { return object.cluster_policy() != nullptr; }

Labels NamespaceLabels(std::string_view namespace_name, const ClusterView* cluster) {
  if (cluster != nullptr) {
    if (auto cached = cluster->Namespace(namespace_name)) {
      return cached->labels;
    }
  }
  return Labels{{std::string(kNamespaceNameLabel), std::string(namespace_name)}};
}

std::vector<const CompiledRule*> ApplicableRules(const RuleSet& rules, const Object& object,
                                                 const CheckContext& context) {
  std::vector<const CompiledRule*> applicable;
  applicable.reserve(rules.rules().size());
  ForEachApplicableRule(rules, object, context, [&](const CompiledRule& rule) {
    applicable.push_back(&rule);
    return true;
  });
  return applicable;
}

Evaluation EvaluateRules(std::span<const CompiledRule* const> rules, const Object& object,
                         const CheckContext& context) {
  Evaluation evaluation;
  std::vector<Violation> violations;
  for (const CompiledRule* rule : rules) {
    RunRule(*rule, object, context, violations, evaluation);
  }
  return evaluation;
}

Evaluation Evaluate(const RuleSet& rules, const Object& object, const CheckContext& context) {
  Evaluation evaluation;
  std::vector<Violation> violations;
  ForEachApplicableRule(rules, object, context, [&](const CompiledRule& rule) {
    RunRule(rule, object, context, violations, evaluation);
    return true;
  });
  return evaluation;
}

bool RulesMayBeSlow(std::span<const CompiledRule* const> rules, const Object& object,
                    const CheckContext& context) {
  return std::any_of(rules.begin(), rules.end(), [&](const CompiledRule* rule) {
    return RuleMayBeSlow(*rule, object, context);
  });
}

Evaluation EvaluateAgain(Evaluation first, std::span<const CompiledRule* const> rules,
                         const Object& object, const CheckContext& context) {
  Evaluation again;
  std::vector<Violation> violations;
  // `first` lists each rule's findings together, in the order of `rules`.
  auto next = first.findings.begin();
  for (const CompiledRule* rule : rules) {
    const auto begin = next;
    bool asked = false;
    for (; next != first.findings.end() && next->rule_id == rule->id; ++next) {
      asked = asked || !next->unconfirmed_namespace.empty();
    }
    if (asked) {
      RunRule(*rule, object, context, violations, again);
    } else {
      again.findings.insert(again.findings.end(), std::make_move_iterator(begin),
                            std::make_move_iterator(next));
    }
  }
  assert(next == first.findings.end() && "`first` is not an evaluation of `rules`");
  return again;
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
