#pragma once

// Rule kinds for testing the engine and the loader on their own, independent of the built-in
// kinds: `FlagNetworkPolicies` reports one violation per word in its `words` param on every
// NetworkPolicy; `FlagPods` does the same for pod templates. `SlowNetworkPolicies` finds nothing
// and says it may be slow (RuleCheck::MayBeSlow) for the NetworkPolicies named in `words`.

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "netadmit/rules/catalog.h"

namespace netadmit::testing {

class FlagCheck final : public RuleCheck {
 public:
  explicit FlagCheck(std::vector<std::string> words) : words_(std::move(words)) {}
  void Check(const Object& object, const CheckContext& /*context*/,
             std::vector<Violation>& violations) const override {
    for (const auto& word : words_) {
      violations.push_back(
          Violation{"metadata.name", "flagged " + word, object.metadata.name, "rename it"});
    }
  }

 private:
  std::vector<std::string> words_;
};

class SlowCheck final : public RuleCheck {
 public:
  explicit SlowCheck(std::vector<std::string> names) : names_(std::move(names)) {}
  void Check(const Object& /*object*/, const CheckContext& /*context*/,
             std::vector<Violation>& /*violations*/) const override {}
  bool MayBeSlow(const Object& object, const CheckContext& /*context*/) const override {
    return std::find(names_.begin(), names_.end(), object.metadata.name) != names_.end();
  }

 private:
  std::vector<std::string> names_;
};

inline Result<std::unique_ptr<const RuleCheck>> CompileSlow(ParamReader& params) {
  auto names = params.StringList("words");
  if (auto error = params.Finish()) {
    return *error;
  }
  return std::unique_ptr<const RuleCheck>(std::make_unique<SlowCheck>(std::move(names)));
}

inline Result<std::unique_ptr<const RuleCheck>> CompileFlag(ParamReader& params) {
  auto words = params.StringList("words");
  if (auto error = params.Finish()) {
    return *error;
  }
  return std::unique_ptr<const RuleCheck>(std::make_unique<FlagCheck>(std::move(words)));
}

inline RuleCatalog TestCatalog() {
  RuleCatalog catalog;
  (void)catalog.Add(
      RuleKind{"FlagNetworkPolicies", "test", Target::kNetworkPolicy, {}, CompileFlag});
  (void)catalog.Add(RuleKind{"FlagPods", "test", Target::kPodTemplate, {}, CompileFlag});
  RuleKind slow{"SlowNetworkPolicies", "test", Target::kNetworkPolicy, {}, CompileSlow};
  slow.may_be_slow = true;
  (void)catalog.Add(std::move(slow));
  return catalog;
}

}  // namespace netadmit::testing
