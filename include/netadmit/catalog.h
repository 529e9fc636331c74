#pragma once

// The catalog of rule kinds. policy-rules/registration.cpp lists every built-in kind once; the
// catalog refuses duplicates and is immutable once built, so it is shared freely by threads.

#include <span>
#include <string_view>
#include <vector>

#include "netadmit/result.h"
#include "netadmit/rule.h"

namespace netadmit {

class RuleCatalog {
 public:
  // Fails when a kind of the same name is already there, or when the kind has no compile.
  Status Add(RuleKind kind);
  const RuleKind* Find(std::string_view name) const;
  std::span<const RuleKind> kinds() const { return kinds_; }

 private:
  std::vector<RuleKind> kinds_;
};

// Every built-in kind, from the one registration list. Built on first use.
const RuleCatalog& BuiltinCatalog();

}  // namespace netadmit
