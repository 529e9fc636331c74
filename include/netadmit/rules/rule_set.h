#pragma once

// Rule sets: YAML documents of kind RuleSet (apiVersion netadmit.io/v1alpha1), and of kind
// RuleExceptions, read from files or ConfigMap keys. Several documents merge into one immutable
// RuleSet with its exceptions; any error (syntax, unknown field, wrong type, duplicate rule id,
// unknown kind, invalid CIDR or selector, an exception that names no loaded rule or expires too
// far ahead) fails the whole load with the file, line and column, so a bad edit never replaces a
// good rule set.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "netadmit/model/glob.h"
#include "netadmit/model/model.h"
#include "netadmit/model/result.h"
#include "netadmit/rules/catalog.h"
#include "netadmit/rules/exceptions.h"
#include "netadmit/rules/rule.h"

namespace netadmit {

// Which namespaces a rule applies to. Empty `namespaces` means every namespace.
struct RuleScope {
  std::vector<NamespacePattern> namespaces;
  std::vector<NamespacePattern> exclude_namespaces;
  // Labels the namespace must have; absent: any.
  std::optional<LabelSelector> namespace_selector;

  // `namespace_labels` are the namespace's labels (see NamespaceLabels in engine.h).
  bool Matches(std::string_view namespace_name, const Labels& namespace_labels) const;
};

struct CompiledRule {
  std::string id;
  const RuleKind* kind = nullptr;
  Action action = Action::kDeny;
  std::string description;
  RuleScope match;
  std::unique_ptr<const RuleCheck> check;
  std::string source;    // file or ConfigMap key it came from
  std::string rule_set;  // metadata.name of the RuleSet document it came from
};

class RuleSet {
 public:
  RuleSet(std::vector<CompiledRule> rules, std::vector<NamespacePattern> excluded_namespaces,
          std::vector<std::string> names, std::vector<RuleException> exceptions = {});

  const std::vector<CompiledRule>& rules() const { return rules_; }
  // The exceptions of all documents, in load order, expired ones included.
  const std::vector<RuleException>& exceptions() const { return exceptions_; }
  // Namespaces no rule applies to (spec.exclude.namespaces of all rule sets).
  bool Excludes(std::string_view namespace_name) const;
  // metadata.name of each RuleSet document merged in.
  const std::vector<std::string>& names() const { return names_; }
  // Whether some rule is of a kind whose checks may take milliseconds (RuleKind::may_be_slow).
  bool MayBeSlow() const { return may_be_slow_; }

 private:
  std::vector<CompiledRule> rules_;
  std::vector<NamespacePattern> excluded_namespaces_;
  std::vector<std::string> names_;
  std::vector<RuleException> exceptions_;
  bool may_be_slow_ = false;
};

// The text of one rule-set source: a file's path and content, or a ConfigMap key and value.
struct RuleSource {
  std::string name;
  std::string text;
};

// What loading checks against the time: an exception may expire at most `max_exception_days`
// whole days after the day of `now` (UTC). One already expired loads (it then covers nothing):
// a rule set must not stop loading because a date went by.
struct LoadLimits {
  TimePoint now = std::chrono::system_clock::now();
  int max_exception_days = kDefaultMaxExceptionDays;
};

// Parses and compiles all sources (each may hold several YAML documents) into one RuleSet.
Result<std::shared_ptr<const RuleSet>> LoadRuleSet(std::span<const RuleSource> sources,
                                                   const RuleCatalog& catalog = BuiltinCatalog());
Result<std::shared_ptr<const RuleSet>> LoadRuleSet(std::span<const RuleSource> sources,
                                                   const LoadLimits& limits,
                                                   const RuleCatalog& catalog = BuiltinCatalog());

// The label that marks a ConfigMap as holding rule sets, and its value.
inline constexpr std::string_view kRuleSetLabel = "netadmit.io/rule-set";
inline constexpr std::string_view kRuleSetLabelValue = "true";

// Whether ConfigMap labels mark it as holding rule sets.
bool HoldsRuleSets(const Labels& config_map_labels);

// The rule sets of a ConfigMap: every data key ending in ".yaml", named "NAME/KEY" so that
// errors say which ConfigMap and key, in key order.
std::vector<RuleSource> RuleSourcesOf(const std::string& config_map_name,
                                      const std::map<std::string, std::string, std::less<>>& data);

// The default rule set shipped in policy-rules/default-rules.yaml, embedded in the binary.
RuleSource DefaultRuleSource();

}  // namespace netadmit
