#pragma once

// Evaluates one object against a rule set. Pure: no I/O, no globals, safe from many threads.

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "netadmit/model/model.h"
#include "netadmit/rules/exceptions.h"
#include "netadmit/rules/rule.h"
#include "netadmit/rules/rule_set.h"

namespace netadmit {

struct Finding {
  std::string rule_id;
  Action action = Action::kDeny;
  Violation violation;
  // The namespace whose NetworkPolicies must be read afresh before this finding may deny
  // (RuleKind::confirm_with_fresh_read); empty for most findings.
  std::string unconfirmed_namespace = {};
  // Set when an exception covers the finding: it then neither denies nor warns, and is reported
  // as exempt (ApplyExceptions).
  std::optional<Exemption> exemption = {};

  // "[rule-id] problem (detail) at path — fix"
  std::string Message() const;
};

struct Evaluation {
  std::vector<Finding> findings;  // in rule-set order, then in the order the check found them

  bool Denied() const;  // any finding with action deny that no exception covers
  // The findings with `action` that no exception covers.
  std::vector<const Finding*> WithAction(Action action) const;
  // The findings an exception covers.
  std::vector<const Finding*> Exempted() const;
  // The namespaces whose NetworkPolicies must be read afresh before denying: those of deny
  // findings (not exempt) that rest on the cluster view's lack of a policy. Sorted, each once.
  std::vector<std::string> UnconfirmedNamespaces() const;
};

// The rules that apply to the object, in rule-set order: its kind's target matches the
// object's content, the namespace is not excluded and matches the rule's `match`, the operation
// is one the kind checks (only some kinds look at DELETE), and the kind has the cluster view it
// needs. A cluster-scoped object (ClusterScoped) is in no namespace: no exclusion leaves it out,
// and only rules whose `match` has neither `namespaces` nor `namespaceSelector` judge it. The
// pointers are into `rules`.
std::vector<const CompiledRule*> ApplicableRules(const RuleSet& rules, const Object& object,
                                                 const CheckContext& context);

// Runs `rules` (as ApplicableRules chose them for this object and context) on the object.
Evaluation EvaluateRules(std::span<const CompiledRule* const> rules, const Object& object,
                         const CheckContext& context);

// EvaluateRules over ApplicableRules, without keeping the list: for one-off evaluations.
Evaluation Evaluate(const RuleSet& rules, const Object& object, const CheckContext& context);

// Whether EvaluateRules may take milliseconds: one of `rules` is of a kind that builds something
// over the cluster view, and its check says it would for this object (RuleCheck::MayBeSlow).
// Quick; false at once when no kind of `rules` may be slow.
bool RulesMayBeSlow(std::span<const CompiledRule* const> rules, const Object& object,
                    const CheckContext& context);

// Runs again, with `context` (whose cluster view has a fresh read of NetworkPolicies), only the
// rules whose findings in `first` rest on the view's lack of a policy (a non-empty
// Finding::unconfirmed_namespace), and puts their new findings in place of their old ones; every
// other finding stands as it was. `first` must be EvaluateRules(rules, object, ...).
Evaluation EvaluateAgain(Evaluation first, std::span<const CompiledRule* const> rules,
                         const Object& object, const CheckContext& context);

// Sets Finding::exemption on each finding of `evaluation` (of `object`) that an exception covers
// at `now` (CoveringException), and clears it on the others. Exempt findings neither deny nor
// warn: Evaluation::Denied and the review's decision skip them.
void ApplyExceptions(Evaluation& evaluation, std::span<const RuleException> exceptions,
                     const Object& object, TimePoint now);

// Whether the object lives outside namespaces: the cluster-scoped policies
// (AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy). Its
// metadata.namespace_name means nothing then, whatever a decoder defaulted it to.
bool ClusterScoped(const Object& object);

// A namespace's labels as rules see them: the cluster view's when it knows the namespace, else
// only kubernetes.io/metadata.name (the one label every namespace is known to have).
Labels NamespaceLabels(std::string_view namespace_name, const ClusterView* cluster);

}  // namespace netadmit
