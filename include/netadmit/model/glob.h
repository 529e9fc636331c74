#pragma once

// Namespace patterns in rule sets: a namespace name, or a glob with `*` ("dev-*", "*").

#include <string>
#include <string_view>
#include <vector>

#include "netadmit/model/result.h"

namespace netadmit {

class NamespacePattern {
 public:
  // Accepts lowercase DNS-label characters and `*`. Fails naming the pattern otherwise.
  static Result<NamespacePattern> Parse(std::string_view text);

  bool Matches(std::string_view namespace_name) const;
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// True when any pattern matches.
bool AnyMatches(const std::vector<NamespacePattern>& patterns, std::string_view namespace_name);

}  // namespace netadmit
