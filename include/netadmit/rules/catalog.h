#pragma once

// The catalog of rule kinds. policy-rules/registration.cpp lists every built-in kind once; the
// catalog refuses duplicates and is immutable once built, so it is shared freely by threads.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "netadmit/model/result.h"
#include "netadmit/rules/rule.h"

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

// The kinds reference in Markdown (a section per kind: summary, what it checks, params), as
// docs/rules.md includes it verbatim and `netadmit rules --markdown` prints it.
std::string KindsReferenceMarkdown(const RuleCatalog& catalog);

// One line per kind, name and summary, as `netadmit rules` and `netadmit serve --help` list them.
std::string KindsListing(const RuleCatalog& catalog);

}  // namespace netadmit
