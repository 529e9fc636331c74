#pragma once

// Patterns in rule sets: a namespace name, or a glob with `*` ("dev-*", "*"); and the same for
// object names and rule ids, which may also hold dots ("legacy-*", "no-open-*").

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

// A glob over object names (metadata.name, a DNS subdomain) or rule ids: lowercase letters,
// digits, '-', '.' and `*`.
class NamePattern {
 public:
  // Fails naming the pattern when it is empty, longer than 253 characters, or holds another
  // character.
  static Result<NamePattern> Parse(std::string_view text);

  bool Matches(std::string_view name) const;
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

bool AnyNameMatches(const std::vector<NamePattern>& patterns, std::string_view name);

}  // namespace netadmit
