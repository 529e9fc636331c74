#pragma once

#include <span>

#include "netadmit/rules/rule_set.h"

namespace netadmit::fuzzing {

// The shipped default rule set, loaded once per fuzzing process.
inline const RuleSet& DefaultRules() {
  static const auto rules = [] {
    const RuleSource source = DefaultRuleSource();
    return LoadRuleSet(std::span(&source, 1)).value();
  }();
  return *rules;
}

}  // namespace netadmit::fuzzing
