// Rule exceptions: loading (strict, with positions), matching each field, expiry at its boundary,
// and what a covered finding does in a review.

#include "netadmit/rules/exceptions.h"

#include <gtest/gtest.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>
#include <vector>

#include "netadmit/rules/engine.h"
#include "netadmit/rules/review.h"
#include "netadmit/rules/rule_set.h"
#include "rule_kind_testing.h"
#include "support/test_kinds.h"

namespace netadmit {
namespace {

using testing::DecodeYaml;

TimePoint At(std::string_view text) {
  auto parsed = ParseExpiry(text);
  EXPECT_TRUE(parsed.ok()) << text;
  return parsed ? *parsed : TimePoint{};
}

// The tests' clock: 2027-01-10 at noon, UTC.
const TimePoint kNow = At("2027-01-10T12:00:00Z");

constexpr const char* kRules = R"(apiVersion: netadmit.io/v1alpha1
kind: RuleSet
metadata: {name: test}
spec:
  rules:
    - {id: deny-policies, kind: FlagNetworkPolicies, action: deny, params: {words: [a]}}
    - {id: warn-policies, kind: FlagNetworkPolicies, action: warn, params: {words: [w]}}
    - {id: deny-pods, kind: FlagPods, action: deny, params: {words: [p]}}
)";

Result<std::shared_ptr<const RuleSet>> Load(const std::string& exceptions_yaml,
                                            TimePoint now = kNow, int max_days = 90) {
  static const RuleCatalog catalog = testing::TestCatalog();
  const std::vector<RuleSource> sources = {{"rules.yaml", kRules},
                                           {"exceptions.yaml", exceptions_yaml}};
  return LoadRuleSet(sources, LoadLimits{now, max_days}, catalog);
}

// A RuleExceptions document holding one exception whose fields are `fields` (YAML lines, each
// indented by six spaces).
std::string One(const std::string& fields) {
  return "apiVersion: netadmit.io/v1alpha1\n"
         "kind: RuleExceptions\n"
         "metadata: {name: legacy}\n"
         "spec:\n"
         "  exceptions:\n"
         "    - name: legacy-billing\n" +
         fields;
}

constexpr const char* kComplete =
    "      rules: [deny-policies]\n"
    "      match: {namespaces: [billing]}\n"
    "      expires: 2027-03-31\n"
    "      owner: team-billing@example.com\n"
    "      reason: \"Vendor agent needs open egress (TICKET-123)\"\n";

std::shared_ptr<const RuleSet> MustLoad(const std::string& exceptions_yaml) {
  auto loaded = Load(exceptions_yaml);
  EXPECT_TRUE(loaded.ok()) << loaded.error().ToString();
  return loaded ? *loaded : nullptr;
}

Error LoadError(const std::string& exceptions_yaml, TimePoint now = kNow, int max_days = 90) {
  auto loaded = Load(exceptions_yaml, now, max_days);
  if (loaded) {
    ADD_FAILURE() << "loaded:\n" << exceptions_yaml;
    return Error{};
  }
  return loaded.error();
}

Object NetworkPolicy(const std::string& namespace_name, const std::string& name,
                     const std::string& labels = "{}") {
  return DecodeYaml(
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: " + name +
      ", namespace: " + namespace_name + ", labels: " + labels + "}\nspec: {podSelector: {}}\n");
}

Object Deployment(const std::string& namespace_name, const std::string& labels,
                  const std::string& template_labels) {
  return DecodeYaml("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ledger, namespace: " +
                    namespace_name + ", labels: " + labels +
                    "}\nspec:\n  selector: {matchLabels: " + template_labels +
                    "}\n  template:\n    metadata: {labels: " + template_labels +
                    "}\n    spec: {containers: [{name: c, image: i}]}\n");
}

TEST(ExceptionLoadTest, ReadsEveryFieldFromARuleExceptionsDocument) {
  auto rules =
      MustLoad(One("      rules: [deny-policies, \"warn-*\"]\n"
                   "      match:\n"
                   "        namespaces: [billing, \"pay-*\"]\n"
                   "        kinds: [NetworkPolicy]\n"
                   "        names: [\"legacy-*\"]\n"
                   "        labelSelector: {matchLabels: {app: ledger}}\n"
                   "      expires: 2027-03-31\n"
                   "      owner: team-billing@example.com\n"
                   "      reason: needs open egress\n"));
  ASSERT_TRUE(rules);
  ASSERT_EQ(rules->exceptions().size(), 1u);
  const RuleException& exception = rules->exceptions()[0];
  EXPECT_EQ(exception.name, "legacy-billing");
  EXPECT_EQ(exception.owner, "team-billing@example.com");
  EXPECT_EQ(exception.reason, "needs open egress");
  EXPECT_EQ(exception.expires_text, "2027-03-31");
  EXPECT_EQ(exception.expires, At("2027-04-01T00:00:00Z"));
  EXPECT_EQ(exception.source, "exceptions.yaml:6");
  EXPECT_TRUE(exception.NamesRule("deny-policies"));
  EXPECT_TRUE(exception.NamesRule("warn-policies"));
  EXPECT_FALSE(exception.NamesRule("deny-pods"));
  // Only documents of kind RuleSet name rule sets.
  EXPECT_EQ(rules->names(), std::vector<std::string>{"test"});
}

TEST(ExceptionLoadTest, ARuleSetHoldsExceptionsBesideItsRules) {
  static const RuleCatalog catalog = testing::TestCatalog();
  const RuleSource source{"rules.yaml", std::string(kRules) +
                                            "  exceptions:\n"
                                            "    - name: inline\n" +
                                            kComplete};
  auto rules = LoadRuleSet(std::span(&source, 1), LoadLimits{kNow, 90}, catalog);
  ASSERT_TRUE(rules.ok()) << rules.error().ToString();
  ASSERT_EQ((*rules)->exceptions().size(), 1u);
  EXPECT_EQ((*rules)->exceptions()[0].name, "inline");
  EXPECT_EQ((*rules)->exceptions()[0].source, "rules.yaml:10");
}

TEST(ExceptionLoadTest, StrictErrorsNameFileLineAndColumn) {
  struct Case {
    std::string fields;
    std::string expected;  // Error::ToString()
  };
  const std::vector<Case> cases = {
      {"      rules: [deny-polices]\n      match: {namespaces: [billing]}\n"
       "      expires: 2027-03-31\n      owner: o\n      reason: r\n",
       "exceptions.yaml:7:15: spec.exceptions[0].rules[0]: exception \"legacy-billing\" names rule "
       "\"deny-polices\", which matches no loaded rule \u2014 use the id of a rule in the rule "
       "sets (or a glob that matches one)"},
      {"      rules: [\"nothing-*\"]\n      match: {namespaces: [billing]}\n"
       "      expires: 2027-03-31\n      owner: o\n      reason: r\n",
       "exceptions.yaml:7:15: spec.exceptions[0].rules[0]: exception \"legacy-billing\" names rule "
       "\"nothing-*\", which matches no loaded rule \u2014 use the id of a rule in the rule sets "
       "(or a glob that matches one)"},
      {"      rules: [deny-policies]\n      match: {namespaces: [billing]}\n"
       "      owner: o\n      reason: r\n",
       "exceptions.yaml:6:7: spec.exceptions[0].expires: exception \"legacy-billing\" has no "
       "expires \u2014 give the date it ends (at most 90 days ahead); renew it if need be"},
      {"      rules: [deny-policies]\n      match: {namespaces: [billing]}\n"
       "      expires: 2027-03-31\n      reason: r\n",
       "exceptions.yaml:6:7: spec.exceptions[0].owner: exception \"legacy-billing\" has no owner "
       "\u2014 name who answers for it (a team or an address)"},
      {"      rules: [deny-policies]\n      match: {namespaces: [billing]}\n"
       "      expires: 2027-03-31\n      owner: o\n      reason: \"  \"\n",
       "exceptions.yaml:11:15: spec.exceptions[0].reason: exception \"legacy-billing\" has no "
       "reason \u2014 say why the rule cannot be met yet (and the ticket)"},
      {"      rules: [deny-policies]\n      expires: 2027-03-31\n      owner: o\n      reason: r\n",
       "exceptions.yaml:6:7: spec.exceptions[0].match: exception \"legacy-billing\" has no match: "
       "waiving a rule everywhere is disabling it \u2014 change the rule instead, or give "
       "match.namespaces (and kinds, names, labelSelector) for the objects it is for"},
      {"      rules: [deny-policies]\n      match: {kinds: [Pod]}\n"
       "      expires: 2027-03-31\n      owner: o\n      reason: r\n",
       "exceptions.yaml:8:14: spec.exceptions[0].match.namespaces: exception \"legacy-billing\" "
       "names no namespace \u2014 list the namespaces it is for in match.namespaces (globs "
       "allowed)"},
      {"      rules: [deny-policies]\n      match: {namespaces: [billing]}\n"
       "      expires: 2027-04-11\n      owner: o\n      reason: r\n",
       "exceptions.yaml:9:16: spec.exceptions[0].expires: exception \"legacy-billing\" expires 92 "
       "days from now, past the limit of 90 days (--max-exception-days) \u2014 set an earlier "
       "expiry, and renew it when it comes due"},
      {"      rules: [deny-policies]\n      match: {namespaces: [billing]}\n"
       "      expires: 2027-02-30\n      owner: o\n      reason: r\n",
       "exceptions.yaml:9:16: spec.exceptions[0].expires: invalid expiry \"2027-02-30\": no such "
       "date \u2014 write a date (2027-03-31, which holds through that day, UTC) or an RFC 3339 "
       "time (2027-03-31T18:00:00Z)"},
      {"      rules: [deny-policies]\n      match: {namespaces: [billing], names: [Legacy]}\n"
       "      expires: 2027-03-31\n      owner: o\n      reason: r\n",
       "exceptions.yaml:8:46: spec.exceptions[0].match.names[0]: invalid name pattern \"Legacy\": "
       "only lowercase letters, digits, '-', '.' and '*' are allowed"},
      {"      rules: [deny-policies]\n      match: {namespaces: [billing], label: {}}\n"
       "      expires: 2027-03-31\n      owner: o\n      reason: r\n",
       "exceptions.yaml:8:38: spec.exceptions[0].match.label: unknown field \"label\" (known: "
       "kinds, labelSelector, names, namespaces)"},
      {"      rule: [deny-policies]\n",
       "exceptions.yaml:7:7: spec.exceptions[0].rule: unknown field \"rule\" (known: expires, "
       "match, name, owner, reason, rules)"},
  };
  for (const Case& test : cases) {
    EXPECT_EQ(LoadError(One(test.fields)).ToString(), test.expected) << test.fields;
  }
}

TEST(ExceptionLoadTest, TwoExceptionsMayNotShareAName) {
  const Error error = LoadError(One(kComplete) + "    - name: legacy-billing\n" + kComplete);
  EXPECT_EQ(error.ToString(),
            "exceptions.yaml:12:13: spec.exceptions[1].name: duplicate exception name "
            "\"legacy-billing\" (first defined at exceptions.yaml:6) \u2014 give each exception "
            "its own name");
}

TEST(ExceptionLoadTest, TheLimitIsWholeDaysAfterToday) {
  // kNow is 2027-01-10: with at most 10 days, a date through 2027-01-20 loads, the next does not.
  const auto with_expiry = [](const std::string& expires) {
    return One(
        "      rules: [deny-policies]\n      match: {namespaces: [billing]}\n"
        "      expires: " +
        expires + "\n      owner: o\n      reason: r\n");
  };
  EXPECT_TRUE(Load(with_expiry("2027-01-20"), kNow, 10).ok());
  EXPECT_TRUE(Load(with_expiry("2027-01-20T23:59:59Z"), kNow, 10).ok());
  EXPECT_FALSE(Load(with_expiry("2027-01-21"), kNow, 10).ok());
  EXPECT_FALSE(Load(with_expiry("2027-01-21T00:00:01Z"), kNow, 10).ok());
  // One already expired loads: a date going by must not stop a rule set loading.
  EXPECT_TRUE(Load(with_expiry("2026-01-01"), kNow, 10).ok());
}

TEST(ExpiryTest, ParsesDatesAndRfc3339Times) {
  EXPECT_EQ(At("2027-03-31"), At("2027-04-01T00:00:00Z"));
  EXPECT_EQ(At("2027-03-31T20:00:00+02:00"), At("2027-03-31T18:00:00Z"));
  EXPECT_EQ(At("2027-03-31T16:30:00-01:30"), At("2027-03-31T18:00:00Z"));
  EXPECT_EQ(At("2027-03-31t18:00:00.5z") - At("2027-03-31T18:00:00Z"),
            std::chrono::milliseconds(500));
  for (const char* bad :
       {"", "2027", "2027-3-31", "31.03.2027", "2027-13-01", "2027-03-31T25:00:00Z",
        "2027-03-31T18:00:00", "2027-03-31T18:00Z", "2027-03-31T18:00:00+0200",
        "2027-03-31T18:00:00Zx", "2027-03-31T18:00:00.Z", "2027-03-31 extra", "9999-12-31",
        "0001-01-01T00:00:00Z"}) {
    EXPECT_FALSE(ParseExpiry(bad).ok()) << bad;
  }
}

TEST(ExpiryTest, AnUnreadableExpiryIsEchoedOnOneLine) {
  EXPECT_EQ(ParseExpiry("2027-01-01\nT00:00").error().message,
            "invalid expiry \"2027-01-01 T00:00\": not an RFC 3339 time \u2014 write a date "
            "(2027-03-31, which holds through that day, UTC) or an RFC 3339 time "
            "(2027-03-31T18:00:00Z)");
}

TEST(ExpiryTest, AnExceptionCoversUpToItsLastInstantAndNothingAfter) {
  auto rules =
      MustLoad(One("      rules: [deny-policies]\n      match: {namespaces: [billing]}\n"
                   "      expires: 2027-01-31\n      owner: o\n      reason: r\n"));
  ASSERT_TRUE(rules);
  const Object policy = NetworkPolicy("billing", "web");
  const auto& exceptions = rules->exceptions();
  const TimePoint end = At("2027-02-01T00:00:00Z");
  EXPECT_NE(
      CoveringException(exceptions, "deny-policies", policy, end - std::chrono::microseconds(1)),
      nullptr);
  EXPECT_EQ(CoveringException(exceptions, "deny-policies", policy, end), nullptr);
  EXPECT_EQ(StateAt(exceptions[0], end - std::chrono::microseconds(1)), ExceptionState::kExpiring);
  EXPECT_EQ(StateAt(exceptions[0], end), ExceptionState::kExpired);
}

TEST(ExpiryTest, StatesAndDaysLeftFollowTheClock) {
  auto rules = MustLoad(One(kComplete));
  ASSERT_TRUE(rules);
  const RuleException& exception = rules->exceptions()[0];  // through 2027-03-31
  EXPECT_EQ(StateAt(exception, kNow), ExceptionState::kActive);
  EXPECT_EQ(DaysLeft(exception.expires, kNow), 81);
  // The warning days start 14 days before the end.
  EXPECT_EQ(StateAt(exception, At("2027-03-17T23:59:59Z")), ExceptionState::kActive);
  EXPECT_EQ(StateAt(exception, At("2027-03-18T00:00:00Z")), ExceptionState::kExpiring);
  EXPECT_EQ(StateAt(exception, At("2027-03-18T00:00:00Z"), 7), ExceptionState::kActive);
  EXPECT_EQ(DaysLeft(exception.expires, At("2027-03-22T10:00:00Z")), 10);
  EXPECT_EQ(DaysLeft(exception.expires, At("2027-03-31T23:00:00Z")), 1);
  EXPECT_EQ(DaysLeft(exception.expires, At("2027-04-02T00:00:00Z")), 0);
  EXPECT_EQ(ExpiryWarning(exception.ToExemption(), At("2027-03-22T10:00:00Z")),
            "exception legacy-billing (team-billing@example.com) expires in 10 days");
  EXPECT_EQ(ExpiryWarning(exception.ToExemption(), At("2027-03-31T10:00:00Z")),
            "exception legacy-billing (team-billing@example.com) expires in 1 day");
}

// Which of a few objects one exception covers, by the field it narrows with.
TEST(ExceptionMatchTest, EachFieldNarrowsTheMatch) {
  struct Case {
    std::string match;
    std::vector<bool> covers;  // the objects below, in order
  };
  const std::vector<Object> objects = {
      NetworkPolicy("billing", "legacy-web", "{app: ledger}"),  // 0
      NetworkPolicy("billing", "web", "{app: ledger}"),         // 1
      NetworkPolicy("pay-eu", "legacy-web"),                    // 2
      NetworkPolicy("shop", "legacy-web", "{app: ledger}"),     // 3
      Deployment("billing", "{}", "{app: ledger}"),             // 4: template labels only
      Deployment("billing", "{app: ledger}", "{app: other}"),   // 5: its own labels only
      Deployment("billing", "{}", "{app: other}"),              // 6
  };
  const std::vector<Case> cases = {
      {"{namespaces: [billing]}", {true, true, false, false, true, true, true}},
      {"{namespaces: [billing, \"pay-*\"]}", {true, true, true, false, true, true, true}},
      {"{namespaces: [\"*\"], kinds: [NetworkPolicy]}",
       {true, true, true, true, false, false, false}},
      {"{namespaces: [\"*\"], kinds: [Deployment]}",
       {false, false, false, false, true, true, true}},
      {"{namespaces: [billing], names: [\"legacy-*\"]}",
       {true, false, false, false, false, false, false}},
      {"{namespaces: [billing], labelSelector: {matchLabels: {app: ledger}}}",
       {true, true, false, false, true, true, false}},
      {"{namespaces: [billing], labelSelector: {matchExpressions: [{key: app, operator: NotIn, "
       "values: [ledger]}]}}",
       {false, false, false, false, true, true, true}},
  };
  for (const Case& test : cases) {
    auto rules = MustLoad(One("      rules: [\"*\"]\n      match: " + test.match +
                              "\n      expires: 2027-03-31\n      owner: o\n      reason: r\n"));
    ASSERT_TRUE(rules) << test.match;
    for (size_t i = 0; i < objects.size(); ++i) {
      EXPECT_EQ(rules->exceptions()[0].Covers("deny-pods", objects[i], kNow), test.covers[i])
          << test.match << " object " << i;
    }
  }
}

TEST(ExceptionMatchTest, TheFirstExceptionThatCoversIsNamed) {
  auto rules = MustLoad(One("      rules: [\"deny-*\"]\n      match: {namespaces: [shop]}\n"
                            "      expires: 2027-03-31\n      owner: o\n      reason: r\n") +
                        "    - name: second\n      rules: [deny-policies]\n"
                        "      match: {namespaces: [billing, shop]}\n"
                        "      expires: 2027-03-31\n      owner: o2\n      reason: r\n");
  ASSERT_TRUE(rules);
  const auto& exceptions = rules->exceptions();
  EXPECT_EQ(CoveringException(exceptions, "deny-policies", NetworkPolicy("shop", "x"), kNow)->name,
            "legacy-billing");
  EXPECT_EQ(
      CoveringException(exceptions, "deny-policies", NetworkPolicy("billing", "x"), kNow)->name,
      "second");
  EXPECT_EQ(CoveringException(exceptions, "warn-policies", NetworkPolicy("shop", "x"), kNow),
            nullptr);
}

TEST(ApplyExceptionsTest, CoveredFindingsNeitherDenyNorWarn) {
  auto rules = MustLoad(One(kComplete));
  ASSERT_TRUE(rules);
  const Object policy = NetworkPolicy("billing", "web");
  Evaluation evaluation = Evaluate(*rules, policy, CheckContext{});
  ASSERT_EQ(evaluation.findings.size(), 2u);
  EXPECT_TRUE(evaluation.Denied());
  ApplyExceptions(evaluation, rules->exceptions(), policy, kNow);
  EXPECT_FALSE(evaluation.Denied());
  ASSERT_EQ(evaluation.Exempted().size(), 1u);
  EXPECT_EQ(evaluation.Exempted()[0]->rule_id, "deny-policies");
  EXPECT_EQ(evaluation.Exempted()[0]->exemption->exception, "legacy-billing");
  EXPECT_EQ(evaluation.WithAction(Action::kWarn).size(), 1u);
  EXPECT_TRUE(evaluation.WithAction(Action::kDeny).empty());
  // Applied again after it expired, the finding denies again.
  ApplyExceptions(evaluation, rules->exceptions(), policy, At("2027-04-01T00:00:00Z"));
  EXPECT_TRUE(evaluation.Denied());
  EXPECT_TRUE(evaluation.Exempted().empty());
}

std::string PolicyReview(const std::string& namespace_name) {
  return R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-1",)"
         R"("kind":{"group":"networking.k8s.io","version":"v1","kind":"NetworkPolicy"},)"
         R"("namespace":")" +
         namespace_name +
         R"(","name":"np","operation":"CREATE","userInfo":{"username":"a"},)"
         R"("object":{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy",)"
         R"("metadata":{"name":"np","namespace":")" +
         namespace_name + R"("},"spec":{"podSelector":{}}}}})";
}

TEST(ExceptionReviewTest, AnExemptRequestIsAdmittedAndAnnotated) {
  auto rules = MustLoad(
      One("      rules: [\"*-policies\"]\n      match: {namespaces: [billing]}\n"
          "      expires: 2027-03-31\n      owner: team-billing@example.com\n      reason: r\n"));
  ASSERT_TRUE(rules);
  auto request = DecodeAdmissionReview(PolicyReview("billing"));
  ASSERT_TRUE(request.ok());
  ReviewOptions options;
  options.now = kNow;
  ReviewResult result = Review(*rules, *request, options);
  EXPECT_TRUE(result.response.allowed);
  EXPECT_EQ(result.outcome, Outcome::kPass);
  EXPECT_TRUE(result.response.warnings.empty());
  EXPECT_EQ(result.response.audit_annotations,
            (std::map<std::string, std::string>{
                {"exempted", "legacy-billing: deny-policies, warn-policies"}}));
  EXPECT_EQ(EncodeAdmissionReview(request->version, result.response),
            "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"response\":{"
            "\"uid\":\"u-1\",\"allowed\":true,\"auditAnnotations\":{\"exempted\":"
            "\"legacy-billing: deny-policies, warn-policies\"}}}");

  // Within the warning days the request is warned, once for the exception.
  options.now = At("2027-03-22T10:00:00Z");
  result = Review(*rules, *request, options);
  EXPECT_TRUE(result.response.allowed);
  EXPECT_EQ(result.outcome, Outcome::kWarn);
  EXPECT_EQ(result.response.warnings,
            std::vector<std::string>{
                "exception legacy-billing (team-billing@example.com) expires in 10 days"});
  options.exception_warning_days = 7;
  EXPECT_TRUE(Review(*rules, *request, options).response.warnings.empty());

  // Expired, it covers nothing, without a reload.
  options.now = At("2027-04-01T00:00:00Z");
  result = Review(*rules, *request, options);
  EXPECT_FALSE(result.response.allowed);
  EXPECT_TRUE(result.response.audit_annotations.empty());
  EXPECT_EQ(result.response.message,
            "[deny-policies] flagged a (np) at metadata.name \u2014 rename it");

  // Another namespace was never covered.
  auto other = DecodeAdmissionReview(PolicyReview("shop"));
  ASSERT_TRUE(other.ok());
  options.now = kNow;
  EXPECT_FALSE(Review(*rules, *other, options).response.allowed);
}

std::string ConfigMapReview(const std::string& yaml) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.String(yaml.c_str(), static_cast<rapidjson::SizeType>(yaml.size()));
  return R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u",)"
         R"("kind":{"version":"v1","kind":"ConfigMap"},"namespace":"netadmit","name":"ex",)"
         R"("operation":"CREATE","object":{"apiVersion":"v1","kind":"ConfigMap",)"
         R"("metadata":{"name":"ex","namespace":"netadmit","labels":{"netadmit.io/rule-set":"true"}},)"
         R"("data":{"exceptions.yaml":)" +
         std::string(buffer.GetString(), buffer.GetSize()) + "}}}}";
}

TEST(ExceptionReviewTest, ABrokenExceptionInARuleSetConfigMapIsRefused) {
  // The ConfigMap loads beside the rule files, whose rules its exceptions may name.
  const std::vector<RuleSource> files = {{"rules.yaml", DefaultRuleSource().text}};
  ReviewOptions options;
  options.rule_set_namespace = "netadmit";
  options.other_rule_sources = &files;
  options.now = kNow;
  const RuleSet empty({}, {}, {});
  const std::string good =
      One("      rules: [no-open-egress]\n      match: {namespaces: [billing]}\n"
          "      expires: 2027-03-31\n      owner: o\n      reason: r\n");
  auto request = DecodeAdmissionReview(ConfigMapReview(good));
  ASSERT_TRUE(request.ok()) << request.error().ToString();
  EXPECT_TRUE(Review(empty, *request, options).response.allowed);

  options.max_exception_days = 30;
  ReviewResult refused = Review(empty, *request, options);
  EXPECT_FALSE(refused.response.allowed);
  EXPECT_EQ(refused.response.code, 422);
  EXPECT_EQ(refused.response.message,
            "netadmit: the rule set does not load, so it would not take effect: "
            "ex/exceptions.yaml:9:16: spec.exceptions[0].expires: exception \"legacy-billing\" "
            "expires 81 days from now, past the limit of 30 days (--max-exception-days) \u2014 "
            "set an earlier expiry, and renew it when it comes due");
}

}  // namespace
}  // namespace netadmit
