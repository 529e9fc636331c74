#include "netadmit/model/glob.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace netadmit {
namespace {

TEST(NamespacePatternTest, Matches) {
  struct Case {
    std::string pattern;
    std::string name;
    bool matches;
  };
  const std::vector<Case> cases = {
      {"default", "default", true},
      {"default", "default2", false},
      {"default", "defaul", false},
      {"*", "anything", true},
      {"*", "", true},
      {"dev-*", "dev-alice", true},
      {"dev-*", "dev-", true},
      {"dev-*", "dev", false},
      {"dev-*", "prod-dev-x", false},
      {"*-system", "kube-system", true},
      {"*-system", "kube-system-2", false},
      {"team-*-prod", "team-a-prod", true},
      {"team-*-prod", "team-a-b-prod", true},
      {"team-*-prod", "team-prod", false},
      {"a*b*c", "aXbYc", true},
      {"a*b*c", "abcbc", true},
      {"a*b*c", "acb", false},
      {"**", "x", true},
      {"ingress-nginx", "ingress-nginx-2", false},
  };
  for (const auto& c : cases) {
    auto pattern = NamespacePattern::Parse(c.pattern);
    ASSERT_TRUE(pattern.ok()) << c.pattern << ": " << pattern.error().message;
    EXPECT_EQ(pattern->Matches(c.name), c.matches) << c.pattern << " vs " << c.name;
    EXPECT_EQ(pattern->text(), c.pattern);
  }
}

TEST(NamespacePatternTest, RejectsInvalidPatterns) {
  struct Case {
    std::string pattern;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"", "invalid namespace pattern \"\": empty"},
      {"Dev-*", "invalid namespace pattern \"Dev-*\": namespaces are lowercase; use \"dev-*\""},
      {"dev_*",
       "invalid namespace pattern \"dev_*\": only lowercase letters, digits, '-' and '*' are "
       "allowed"},
      {"dev ?",
       "invalid namespace pattern \"dev ?\": only lowercase letters, digits, '-' and '*' are "
       "allowed"},
      {"a.b",
       "invalid namespace pattern \"a.b\": only lowercase letters, digits, '-' and '*' are "
       "allowed"},
      {std::string(64, 'a'),
       "invalid namespace pattern \"" + std::string(64, 'a') + "\": longer than 63 characters"},
  };
  for (const auto& c : cases) {
    auto pattern = NamespacePattern::Parse(c.pattern);
    ASSERT_FALSE(pattern.ok()) << c.pattern;
    EXPECT_EQ(pattern.error().message, c.message);
  }
  EXPECT_TRUE(NamespacePattern::Parse(std::string(63, 'a')).ok());
}

TEST(NamespacePatternTest, AnyMatches) {
  const std::vector<NamespacePattern> patterns = {*NamespacePattern::Parse("kube-*"),
                                                  *NamespacePattern::Parse("monitoring")};
  EXPECT_TRUE(AnyMatches(patterns, "kube-system"));
  EXPECT_TRUE(AnyMatches(patterns, "monitoring"));
  EXPECT_FALSE(AnyMatches(patterns, "payments"));
  EXPECT_FALSE(AnyMatches({}, "payments"));
}

}  // namespace
}  // namespace netadmit
