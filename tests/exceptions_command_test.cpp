// Exceptions on the command line: `check` reports covered findings as exempt (and without them
// with --no-exceptions), and `netadmit exceptions` lists them with their state and coverage.

#include "cli/exceptions_command.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli/check_command.h"
#include "netadmit/rules/check.h"
#include "netadmit/rules/rule_set.h"

namespace netadmit::cli {
namespace {

const std::string kFixtures = std::string(NETADMIT_FIXTURES_DIR) + "/manifests/";

TimePoint At(std::string_view text) { return *ParseExpiry(text); }

const TimePoint kNow = At("2027-01-10T12:00:00Z");

// The default rules, and two exceptions: one for the open-egress fixture (in `default`), one
// expired.
std::shared_ptr<const RuleSet> RulesWithExceptions() {
  const std::vector<RuleSource> sources = {DefaultRuleSource(), {"exceptions.yaml", R"yaml(
apiVersion: netadmit.io/v1alpha1
kind: RuleExceptions
metadata: {name: reviewed}
spec:
  exceptions:
    - name: legacy-egress
      rules: ["no-open-*"]
      match:
        namespaces: [default]
        kinds: [NetworkPolicy]
        names: ["open-*"]
      expires: 2027-01-20
      owner: team-net@example.com
      reason: vendor agent (NET-7)
    - name: old-batch
      rules: [no-open-egress]
      match: {namespaces: [batch], labelSelector: {matchLabels: {app: batch}}}
      expires: 2026-12-31T18:00:00Z
      owner: team-batch@example.com
      reason: migration
)yaml"}};
  auto loaded = LoadRuleSet(sources, LoadLimits{kNow, 90});
  EXPECT_TRUE(loaded.ok()) << loaded.error().ToString();
  return loaded.ok() ? *loaded : nullptr;
}

CheckReport Check(const RuleSet& rules, bool use_exceptions) {
  CheckInputs inputs;
  inputs.manifests = {kFixtures + "open-egress.yaml", kFixtures + "list.yaml"};
  inputs.use_exceptions = use_exceptions;
  inputs.now = kNow;
  auto report = CheckFiles(rules, inputs);
  EXPECT_TRUE(report.ok()) << report.error().ToString();
  return report.ok() ? *std::move(report) : CheckReport{};
}

TEST(CheckExceptionsTest, CoveredFindingsAreExemptAndNoExceptionsShowsThem) {
  auto rules = RulesWithExceptions();
  ASSERT_NE(rules, nullptr);
  const CheckReport with = Check(*rules, true);
  const std::string text = RenderCheckText(with);
  EXPECT_NE(text.find(kFixtures + "open-egress.yaml:2: NetworkPolicy default/open-egress: "
                                  "warned\n  exempt [no-open-egress] "),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(" (exception legacy-egress, team-net@example.com)\n"), std::string::npos)
      << text;
  // The expired exception covers nothing: list.yaml's open egress in batch still denies.
  EXPECT_NE(text.find("list.yaml:7: NetworkPolicy batch/allow-all-egress: denied\n  deny   "),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("; 1 finding exempt by exceptions\n"), std::string::npos) << text;
  const std::string json = RenderCheckJson(with);
  EXPECT_NE(json.find("\"exception\": \"legacy-egress\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"exempted\": 1\n"), std::string::npos) << json;

  const CheckReport without = Check(*rules, false);
  const std::string plain = RenderCheckText(without);
  EXPECT_NE(plain.find("NetworkPolicy default/open-egress: denied\n  deny  [no-open-egress]"),
            std::string::npos)
      << plain;
  EXPECT_EQ(plain.find("  exempt "), std::string::npos) << plain;
  EXPECT_EQ(plain.find("exempt by exceptions"), std::string::npos) << plain;
  EXPECT_EQ(ExitCode(without), 1);
}

TEST(ExceptionsCommandTest, ListsStateDaysLeftAndCoverage) {
  auto rules = RulesWithExceptions();
  ASSERT_NE(rules, nullptr);
  const CheckReport report = Check(*rules, true);
  const auto statuses = DescribeExceptions(*rules, kNow, 14, &report);
  EXPECT_EQ(RenderExceptionsText(statuses),
            "legacy-egress: expiring, expires 2027-01-20 (11 days left)\n"
            "  owner:  team-net@example.com\n"
            "  rules:  no-open-*\n"
            "  match:  namespaces default; kinds NetworkPolicy; names open-*\n"
            "  reason: vendor agent (NET-7)\n"
            "  covers: 1 object now\n"
            "  source: exceptions.yaml:7\n"
            "\n"
            "old-batch: expired, expires 2026-12-31T18:00:00Z (expired)\n"
            "  owner:  team-batch@example.com\n"
            "  rules:  no-open-egress\n"
            "  match:  namespaces batch; labels app=batch\n"
            "  reason: migration\n"
            "  covers: 0 objects now\n"
            "  source: exceptions.yaml:16\n"
            "\n"
            "2 exceptions: 0 active, 1 expiring, 1 expired\n");
  // Without objects there is nothing to count; with fewer warning days it is merely active.
  const auto listed = DescribeExceptions(*rules, kNow, 7, nullptr);
  EXPECT_EQ(RenderExceptionsJson(listed), R"listed({
  "exceptions": [
    {
      "name": "legacy-egress",
      "owner": "team-net@example.com",
      "expires": "2027-01-20",
      "daysLeft": 11,
      "state": "active",
      "rules": [
        "no-open-*"
      ],
      "match": {
        "namespaces": [
          "default"
        ],
        "kinds": [
          "NetworkPolicy"
        ],
        "names": [
          "open-*"
        ]
      },
      "reason": "vendor agent (NET-7)",
      "source": "exceptions.yaml:7"
    },
    {
      "name": "old-batch",
      "owner": "team-batch@example.com",
      "expires": "2026-12-31T18:00:00Z",
      "daysLeft": 0,
      "state": "expired",
      "rules": [
        "no-open-egress"
      ],
      "match": {
        "namespaces": [
          "batch"
        ],
        "kinds": [],
        "names": [],
        "labelSelector": "app=batch"
      },
      "reason": "migration",
      "source": "exceptions.yaml:16"
    }
  ],
  "summary": {
    "active": 1,
    "expiring": 0,
    "expired": 1
  }
}
)listed");
}

}  // namespace
}  // namespace netadmit::cli
