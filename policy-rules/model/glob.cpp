#include "netadmit/model/glob.h"

#include <algorithm>
#include <cctype>

namespace netadmit {

namespace {

// A namespace name is a DNS label: at most 63 characters; an object name a DNS subdomain: 253.
constexpr std::size_t kMaxPatternLength = 63;
constexpr std::size_t kMaxNamePatternLength = 253;

bool IsLabelChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

Error Invalid(std::string_view text, std::string why, std::string_view what = "namespace") {
  Error error;
  error.message =
      "invalid " + std::string(what) + " pattern \"" + std::string(text) + "\": " + std::move(why);
  return error;
}

// Wildcard match where `*` stands for any run of characters (also none). Backtracks only to
// the last star, so it runs in O(pattern * name) at worst.
bool WildcardMatch(std::string_view pattern, std::string_view name) {
  std::size_t p = 0;
  std::size_t n = 0;
  std::size_t star = std::string_view::npos;
  std::size_t star_n = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_n = n;
    } else if (p < pattern.size() && pattern[p] == name[n]) {
      ++p;
      ++n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++star_n;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') {
    ++p;
  }
  return p == pattern.size();
}

}  // namespace

Result<NamespacePattern> NamespacePattern::Parse(std::string_view text) {
  if (text.empty()) {
    return Invalid(text, "empty");
  }
  if (text.size() > kMaxPatternLength) {
    return Invalid(text, "longer than 63 characters");
  }
  const bool all_valid =
      std::all_of(text.begin(), text.end(), [](char c) { return IsLabelChar(c) || c == '*'; });
  if (!all_valid) {
    std::string lowered(text);
    std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const bool only_case = std::all_of(lowered.begin(), lowered.end(),
                                       [](char c) { return IsLabelChar(c) || c == '*'; });
    if (only_case) {
      return Invalid(text, "namespaces are lowercase; use \"" + lowered + "\"");
    }
    return Invalid(text, "only lowercase letters, digits, '-' and '*' are allowed");
  }
  NamespacePattern pattern;
  pattern.text_ = std::string(text);
  return pattern;
}

bool NamespacePattern::Matches(std::string_view namespace_name) const {
  return WildcardMatch(text_, namespace_name);
}

bool AnyMatches(const std::vector<NamespacePattern>& patterns, std::string_view namespace_name) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const NamespacePattern& p) { return p.Matches(namespace_name); });
}

Result<NamePattern> NamePattern::Parse(std::string_view text) {
  if (text.empty()) {
    return Invalid(text, "empty", "name");
  }
  if (text.size() > kMaxNamePatternLength) {
    return Invalid(text, "longer than 253 characters", "name");
  }
  if (!std::all_of(text.begin(), text.end(),
                   [](char c) { return IsLabelChar(c) || c == '.' || c == '*'; })) {
    return Invalid(text, "only lowercase letters, digits, '-', '.' and '*' are allowed", "name");
  }
  NamePattern pattern;
  pattern.text_ = std::string(text);
  return pattern;
}

bool NamePattern::Matches(std::string_view name) const { return WildcardMatch(text_, name); }

bool AnyNameMatches(const std::vector<NamePattern>& patterns, std::string_view name) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const NamePattern& p) { return p.Matches(name); });
}

}  // namespace netadmit
