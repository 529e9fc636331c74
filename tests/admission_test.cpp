#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "netadmit/rules/review.h"
#include "support/files.h"
#include "support/test_kinds.h"

namespace netadmit {
namespace {

std::shared_ptr<const RuleSet> TestRules() {
  static const RuleCatalog catalog = testing::TestCatalog();
  const RuleSource source{"rules.yaml", R"(
apiVersion: netadmit.io/v1alpha1
kind: RuleSet
metadata: {name: test}
spec:
  exclude: {namespaces: [kube-system]}
  rules:
    - {id: deny-policies, kind: FlagNetworkPolicies, action: deny, params: {words: [a, b]}}
    - {id: warn-policies, kind: FlagNetworkPolicies, action: warn, params: {words: [w]}}
    - {id: audit-pods, kind: FlagPods, action: audit, params: {words: [x]}}
)"};
  auto rules = LoadRuleSet(std::span(&source, 1), catalog);
  EXPECT_TRUE(rules.ok()) << rules.error().ToString();
  return rules.value();
}

std::string Request(const std::string& api_version, const std::string& fields) {
  return R"({"apiVersion":")" + api_version + R"(","kind":"AdmissionReview","request":{)" + fields +
         "}}";
}

const char* kPolicy =
    R"({"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"np","namespace":"shop"},"spec":{"podSelector":{}}})";

std::string PolicyRequest(const std::string& operation, const std::string& extra = "") {
  const bool is_delete = operation == "DELETE";
  return Request(
      "admission.k8s.io/v1",
      R"("uid":"u-1","kind":{"group":"networking.k8s.io","version":"v1","kind":"NetworkPolicy"},)"
      R"("namespace":"shop","name":"np","operation":")" +
          operation + R"(","userInfo":{"username":"alice","groups":["devs"]},)" + R"("object":)" +
          (is_delete ? "null" : kPolicy) + R"(,"oldObject":)" +
          (is_delete || operation == "UPDATE" ? kPolicy : "null") + extra);
}

TEST(AdmissionDecodeTest, EveryCapturedRequestDecodes) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(NETADMIT_FIXTURES_DIR) +
                                                               "/apiserver-v1.28")) {
    const std::string name = entry.path().filename().string();
    if (!name.ends_with(".body.json")) {
      continue;
    }
    ++count;
    auto request = DecodeAdmissionReview(testing::ReadFile(entry.path().string()));
    ASSERT_TRUE(request.ok()) << name << ": " << request.error().ToString();
    EXPECT_EQ(request->version, AdmissionVersion::kV1);
    EXPECT_FALSE(request->uid.empty());
    EXPECT_FALSE(request->user.username.empty()) << name;
    if (request->operation == Operation::kDelete) {
      EXPECT_EQ(request->object, nullptr) << name;
      EXPECT_NE(request->old_object, nullptr) << name;
    } else {
      EXPECT_NE(request->object, nullptr) << name;
    }
    EXPECT_NE(name.find(request->kind.kind + "-" + OperationName(request->operation)),
              std::string::npos)
        << name;
  }
  EXPECT_EQ(count, 17);
}

TEST(AdmissionDecodeTest, CapturedCreateFields) {
  auto request = DecodeAdmissionReview(
      testing::Fixture("apiserver-v1.28/001-NetworkPolicy-CREATE-bad-allow-everything.body.json"));
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->uid, "233b983b-423b-4fa3-9cc3-4bd881139fd5");
  EXPECT_EQ(request->kind.group, "networking.k8s.io");
  EXPECT_EQ(request->kind.kind, "NetworkPolicy");
  EXPECT_EQ(request->namespace_name, "default");
  EXPECT_EQ(request->name, "bad-allow-everything");
  EXPECT_EQ(request->operation, Operation::kCreate);
  EXPECT_EQ(request->user.groups,
            (std::vector<std::string>{"system:masters", "system:authenticated"}));
  EXPECT_FALSE(request->dry_run);
}

struct BadRequestCase {
  std::string body;
  std::string reason;
};

TEST(AdmissionDecodeTest, BadRequestsGetOneLineReasons) {
  const std::vector<BadRequestCase> cases = {
      {"", "request body is not valid JSON: The document is empty. at offset 0"},
      {"{\"apiVersion\": ", "request body is not valid JSON: Invalid value. at offset 15"},
      {"{} trailing",
       "request body is not valid JSON: The document root must not be followed by other values. at "
       "offset 3"},
      {"[]", "request body is not a JSON object"},
      {R"({"apiVersion":"v1","kind":"Pod"})",
       "request body is not an AdmissionReview (kind \"Pod\")"},
      {R"({"apiVersion":"admission.k8s.io/v2","kind":"AdmissionReview"})",
       "unsupported AdmissionReview apiVersion \"admission.k8s.io/v2\" (expected "
       "admission.k8s.io/v1 or admission.k8s.io/v1beta1)"},
      {R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"})",
       "AdmissionReview has no request object"},
      {Request("admission.k8s.io/v1",
               R"("kind":{"version":"v1","kind":"Pod"},"operation":"CREATE")"),
       "request.uid is missing or empty"},
      {Request("admission.k8s.io/v1",
               R"("uid":"","kind":{"version":"v1","kind":"Pod"},"operation":"CREATE")"),
       "request.uid is missing or empty"},
      {Request("admission.k8s.io/v1",
               R"("uid":5,"kind":{"version":"v1","kind":"Pod"},"operation":"CREATE")"),
       "request.uid must be a string"},
      {Request("admission.k8s.io/v1", R"("uid":"u","operation":"CREATE")"),
       "request.kind is missing or not an object"},
      {Request("admission.k8s.io/v1",
               R"("uid":"u","kind":{"version":1,"kind":"Pod"},"operation":"CREATE")"),
       "request.kind.version must be a string"},
      {Request("admission.k8s.io/v1",
               R"("uid":"u","kind":{"version":"v1","kind":"Pod"},"operation":"PATCH")"),
       "request.operation \"PATCH\" is not CREATE, UPDATE, DELETE or CONNECT"},
      {Request(
           "admission.k8s.io/v1",
           R"("uid":"u","kind":{"version":"v1","kind":"Pod"},"operation":"CREATE","userInfo":{"groups":"x"})"),
       "request.userInfo.groups must be a list of strings"},
      {Request(
           "admission.k8s.io/v1",
           R"("uid":"u","kind":{"version":"v1","kind":"Pod"},"operation":"CREATE","dryRun":"yes")"),
       "request.dryRun must be true or false"},
      {Request(
           "admission.k8s.io/v1",
           R"("uid":"u","kind":{"version":"v1","kind":"Pod"},"operation":"CREATE","object":[])"),
       "request.object must be an object or null"},
      {std::string(100000, '['), "request body nests deeper than 128 levels"},
      {std::string(129, '[') + std::string(129, ']'), "request body nests deeper than 128 levels"},
      // The parse works in place and would stop at a NUL: what follows must not go unseen.
      {Request("admission.k8s.io/v1",
               R"("uid":"u","kind":{"version":"v1","kind":"Pod"},"operation":"CREATE")") +
           std::string("\0 trailing", 10),
       "request body is not valid JSON: a NUL byte at offset 141"},
      {std::string("{\"kind\"\0:1}", 11), "request body is not valid JSON: a NUL byte at offset 7"},
  };
  for (const auto& c : cases) {
    auto request = DecodeAdmissionReview(c.body);
    ASSERT_FALSE(request.ok()) << c.body.substr(0, 80);
    EXPECT_EQ(request.error().ToString(), c.reason) << c.body.substr(0, 80);
    EXPECT_EQ(request.error().ToString().find('\n'), std::string::npos);
  }
}

TEST(AdmissionDecodeTest, EscapedStringsAreDecodedWhereTheyStand) {
  // The in-place parse unescapes into the body's own bytes; the values must come out whole.
  auto request = DecodeAdmissionReview(Request(
      "admission.k8s.io/v1",
      R"("uid":"a\"b\\c\u00e9\ud83d\ude00","kind":{"version":"v1","kind":"Pod"},"operation":"CREATE","name":"x\ny")"));
  ASSERT_TRUE(request.ok()) << request.error().ToString();
  EXPECT_EQ(request->uid, "a\"b\\c\u00e9\U0001F600");
  EXPECT_EQ(request->name, "x\ny");
}

TEST(AdmissionDecodeTest, NestingAtTheBoundIsAccepted) {
  // 127 levels inside request.object: the whole document is 128 deep.
  std::string deep = std::string(125, '[') + std::string(125, ']');
  auto request = DecodeAdmissionReview(Request(
      "admission.k8s.io/v1",
      R"("uid":"u","kind":{"version":"v1","kind":"ConfigMap"},"operation":"CREATE","object":{"data":)" +
          deep + "}"));
  EXPECT_TRUE(request.ok()) << request.error().ToString();
}

TEST(ReviewTest, DenyFindingsFormTheMessageAndWarningsTheWarnings) {
  auto request = DecodeAdmissionReview(PolicyRequest("CREATE"));
  ASSERT_TRUE(request.ok()) << request.error().ToString();
  ReviewResult result = Review(*TestRules(), *request);
  EXPECT_TRUE(result.inspected);
  EXPECT_EQ(result.outcome, Outcome::kFail);
  EXPECT_EQ(result.object_description, "NetworkPolicy shop/np");
  EXPECT_FALSE(result.response.allowed);
  EXPECT_EQ(result.response.code, 403);
  EXPECT_EQ(result.response.reason, "Forbidden");
  EXPECT_EQ(result.response.message,
            "[deny-policies] flagged a (np) at metadata.name \u2014 rename it\n"
            "[deny-policies] flagged b (np) at metadata.name \u2014 rename it");
  EXPECT_EQ(
      result.response.warnings,
      std::vector<std::string>{"[warn-policies] flagged w (np) at metadata.name \u2014 rename it"});
  EXPECT_EQ(
      EncodeAdmissionReview(request->version, result.response),
      "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"response\":{"
      "\"uid\":\"u-1\",\"allowed\":false,\"status\":{\"code\":403,\"reason\":\"Forbidden\","
      "\"message\":\"[deny-policies] flagged a (np) at metadata.name \u2014 rename it\\n"
      "[deny-policies] flagged b (np) at metadata.name \u2014 rename it\"},"
      "\"warnings\":[\"[warn-policies] flagged w (np) at metadata.name \u2014 rename it\"]}}");
}

TEST(ReviewTest, V1beta1IsAnsweredInV1beta1) {
  std::string body = PolicyRequest("CREATE");
  body.replace(body.find("admission.k8s.io/v1"), 19, "admission.k8s.io/v1beta1");
  auto request = DecodeAdmissionReview(body);
  ASSERT_TRUE(request.ok()) << request.error().ToString();
  EXPECT_EQ(request->version, AdmissionVersion::kV1beta1);
  ReviewResult result = Review(*TestRules(), *request);
  const std::string encoded = EncodeAdmissionReview(request->version, result.response);
  EXPECT_TRUE(encoded.starts_with(
      R"({"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","response":{"uid":"u-1",)"))
      << encoded;
}

TEST(ReviewTest, DeleteLooksAtOldObjectAndStructuralRulesLetItGo) {
  auto request = DecodeAdmissionReview(PolicyRequest("DELETE"));
  ASSERT_TRUE(request.ok()) << request.error().ToString();
  ReviewResult result = Review(*TestRules(), *request);
  EXPECT_TRUE(result.inspected);
  EXPECT_EQ(result.object_description, "NetworkPolicy shop/np");
  EXPECT_TRUE(result.response.allowed);
  EXPECT_TRUE(result.evaluation.findings.empty());
  EXPECT_EQ(result.outcome, Outcome::kPass);
}

TEST(ReviewTest, DryRunIsDecidedTheSameWay) {
  auto request = DecodeAdmissionReview(PolicyRequest("UPDATE", R"(,"dryRun":true)"));
  ASSERT_TRUE(request.ok()) << request.error().ToString();
  EXPECT_TRUE(request->dry_run);
  EXPECT_FALSE(Review(*TestRules(), *request).response.allowed);
}

TEST(ReviewTest, ExcludedNamespaceAndOtherKindsAreAllowedUntouched) {
  std::string body = PolicyRequest("CREATE");
  for (auto at = body.find("shop"); at != std::string::npos; at = body.find("shop")) {
    body.replace(at, 4, "kube-system");
  }
  auto excluded = DecodeAdmissionReview(body);
  ASSERT_TRUE(excluded.ok());
  EXPECT_TRUE(Review(*TestRules(), *excluded).response.allowed);

  auto config_map = DecodeAdmissionReview(Request(
      "admission.k8s.io/v1",
      R"("uid":"u","kind":{"version":"v1","kind":"ConfigMap"},"operation":"CREATE","object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}})"));
  ASSERT_TRUE(config_map.ok());
  ReviewResult result = Review(*TestRules(), *config_map);
  EXPECT_TRUE(result.response.allowed);
  EXPECT_FALSE(result.inspected);
  EXPECT_EQ(result.outcome, Outcome::kSkip);
}

TEST(ReviewTest, SubresourcesPassUntouched) {
  auto request = DecodeAdmissionReview(PolicyRequest("UPDATE", R"(,"subResource":"status")"));
  ASSERT_TRUE(request.ok());
  ReviewResult result = Review(*TestRules(), *request);
  EXPECT_TRUE(result.response.allowed);
  EXPECT_FALSE(result.inspected);
}

TEST(ReviewTest, MayBeSlowLooksAtTheObjectTheReviewJudges) {
  static const RuleCatalog catalog = testing::TestCatalog();
  const RuleSource source{"rules.yaml",
                          "apiVersion: netadmit.io/v1alpha1\nkind: RuleSet\nmetadata: {name: t}\n"
                          "spec:\n  rules:\n"
                          "    - {id: s, kind: SlowNetworkPolicies, action: deny, "
                          "params: {words: [np]}}\n"};
  const auto slow = LoadRuleSet(std::span(&source, 1), catalog);
  ASSERT_TRUE(slow.ok()) << slow.error().ToString();
  const auto may_be_slow = [&](const std::string& body) {
    auto request = DecodeAdmissionReview(body);
    EXPECT_TRUE(request.ok()) << request.error().ToString();
    return request.ok() && PrepareReview(**slow, *request).MayBeSlow();
  };
  EXPECT_TRUE(may_be_slow(PolicyRequest("CREATE")));
  EXPECT_TRUE(may_be_slow(PolicyRequest("UPDATE")));
  EXPECT_FALSE(may_be_slow(PolicyRequest("UPDATE", R"(,"subResource":"status")")));
  std::string other = PolicyRequest("CREATE");
  for (auto at = other.find(R"("name":"np")"); at != std::string::npos;
       at = other.find(R"("name":"np")")) {
    other.replace(at, 11, R"("name":"xy")");
  }
  EXPECT_FALSE(may_be_slow(other));
  // An object that does not decode is answered at once.
  std::string broken = PolicyRequest("CREATE");
  broken.replace(broken.find(R"("podSelector":{})"), 16, R"("podSelector":7)");
  EXPECT_FALSE(may_be_slow(broken));
  const auto quick = DecodeAdmissionReview(PolicyRequest("CREATE"));
  EXPECT_FALSE(PrepareReview(*TestRules(), *quick).MayBeSlow());
}

TEST(ReviewTest, AuditFindingsOnlyInTheEvaluation) {
  auto request = DecodeAdmissionReview(Request(
      "admission.k8s.io/v1",
      R"("uid":"u","kind":{"version":"v1","kind":"Pod"},"operation":"CREATE","namespace":"a","object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}})"));
  ASSERT_TRUE(request.ok());
  ReviewResult result = Review(*TestRules(), *request);
  EXPECT_TRUE(result.response.allowed);
  EXPECT_TRUE(result.response.warnings.empty());
  ASSERT_EQ(result.evaluation.findings.size(), 1u);
  EXPECT_EQ(result.evaluation.findings[0].action, Action::kAudit);
  EXPECT_EQ(result.outcome, Outcome::kWarn);
  EXPECT_EQ(result.object_description, "Pod a/p");
}

TEST(ReviewTest, UndecodableObjectFollowsTheErrorPolicy) {
  auto request = DecodeAdmissionReview(Request(
      "admission.k8s.io/v1",
      R"("uid":"u","kind":{"group":"networking.k8s.io","version":"v1","kind":"NetworkPolicy"},"operation":"CREATE","namespace":"a","name":"n",)"
      R"("object":{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","spec":{"egress":7}})"));
  ASSERT_TRUE(request.ok());
  ReviewResult denied = Review(*TestRules(), *request, {.on_error = ErrorPolicy::kDeny});
  EXPECT_FALSE(denied.response.allowed);
  EXPECT_EQ(denied.response.code, 400);
  EXPECT_EQ(denied.outcome, Outcome::kError);
  EXPECT_EQ(denied.response.message,
            "netadmit cannot evaluate request.object: spec.egress: expected a list");
  ReviewResult allowed = Review(*TestRules(), *request, {.on_error = ErrorPolicy::kAllow});
  EXPECT_TRUE(allowed.response.allowed);
  EXPECT_EQ(allowed.response.warnings,
            std::vector<std::string>{
                "netadmit cannot evaluate request.object: spec.egress: expected a list (allowed)"});
}

// What the checks of PreparedCatalog's kinds were called with, and how often.
struct Calls {
  std::vector<const Object*> checked;      // the object each Record check was given
  std::vector<const Object*> old_checked;  // and its old object
  std::vector<const Object*> probed;       // the object each Record MayBeSlow was given
  std::map<std::string, int> checks;       // Check calls by kind
};
Calls& Called() {
  static Calls calls;
  return calls;
}

// Record: finds nothing, records what it sees, says it may be slow.
// PodCount: reports the pods of the object's namespace; may be slow when there are some.
// LacksPolicy: reports a namespace without NetworkPolicies, with its `team` label, and asks for
//   confirmation over a fresh read (as RequireDefaultDeny does).
// PolicyCount: reports the NetworkPolicies of the object's namespace.
class CallCheck final : public RuleCheck {
 public:
  explicit CallCheck(std::string kind) : kind_(std::move(kind)) {}
  void Check(const Object& object, const CheckContext& context,
             std::vector<Violation>& violations) const override {
    ++Called().checks[kind_];
    const std::string& ns = object.metadata.namespace_name;
    if (kind_ == "Record") {
      Called().checked.push_back(&object);
      Called().old_checked.push_back(context.old_object);
    } else if (kind_ == "PodCount") {
      const auto pods = context.cluster->Pods(ns, LabelSelector{}).size();
      violations.push_back(Violation{"", "sees", std::to_string(pods) + " pods", ""});
    } else if (kind_ == "LacksPolicy") {
      if (context.cluster->Policies(ns).empty()) {
        const auto known = context.cluster->Namespace(ns);
        const std::string team = known ? known->labels.at("team") : "?";
        violations.push_back(Violation{"", "no policy", "team " + team, ""});
      }
    } else if (kind_ == "PolicyCount") {
      const auto policies = context.cluster->Policies(ns).size();
      violations.push_back(Violation{"", "sees", std::to_string(policies) + " policies", ""});
    }
  }
  bool MayBeSlow(const Object& object, const CheckContext& context) const override {
    if (kind_ == "Record") {
      Called().probed.push_back(&object);
      return true;
    }
    return !context.cluster->Pods(object.metadata.namespace_name, LabelSelector{}).empty();
  }

 private:
  std::string kind_;
};

template <const char* kKind>
Result<std::unique_ptr<const RuleCheck>> CompileCallCheck(ParamReader& params) {
  if (auto error = params.Finish()) {
    return *error;
  }
  return std::unique_ptr<const RuleCheck>(std::make_unique<CallCheck>(kKind));
}

constexpr char kRecord[] = "Record";
constexpr char kPodCount[] = "PodCount";
constexpr char kLacksPolicy[] = "LacksPolicy";
constexpr char kPolicyCount[] = "PolicyCount";

std::shared_ptr<const RuleSet> PreparedRules(const std::string& rules) {
  static const RuleCatalog catalog = [] {
    RuleCatalog kinds;
    RuleKind record{kRecord, "test", Target::kNetworkPolicy, {}, CompileCallCheck<kRecord>};
    record.may_be_slow = true;
    (void)kinds.Add(std::move(record));
    RuleKind pods{kPodCount, "test", Target::kNetworkPolicy, {}, CompileCallCheck<kPodCount>};
    pods.needs_cluster = true;
    pods.may_be_slow = true;
    (void)kinds.Add(std::move(pods));
    RuleKind lacks{
        kLacksPolicy, "test", Target::kNetworkPolicy, {}, CompileCallCheck<kLacksPolicy>};
    lacks.needs_cluster = true;
    lacks.confirm_with_fresh_read = true;
    (void)kinds.Add(std::move(lacks));
    RuleKind count{
        kPolicyCount, "test", Target::kNetworkPolicy, {}, CompileCallCheck<kPolicyCount>};
    count.needs_cluster = true;
    (void)kinds.Add(std::move(count));
    return kinds;
  }();
  const RuleSource source{"rules.yaml",
                          "apiVersion: netadmit.io/v1alpha1\nkind: RuleSet\nmetadata: {name: t}\n"
                          "spec:\n  rules:\n" +
                              rules};
  auto loaded = LoadRuleSet(std::span(&source, 1), catalog);
  EXPECT_TRUE(loaded.ok()) << loaded.error().ToString();
  return loaded.ok() ? loaded.value() : nullptr;
}

ClusterObject ShopNamespace(const std::string& team) {
  return ClusterObject{
      ClusterKind::kNamespace, "1",
      CachedNamespace{"shop", {{"kubernetes.io/metadata.name", "shop"}, {"team", team}}}};
}

ClusterObject ShopPod(const std::string& name) {
  return ClusterObject{ClusterKind::kPod, "1", CachedPod{"shop", name, {}, {}, {}}};
}

std::shared_ptr<const CachedPolicy> ShopPolicy(const std::string& name) {
  return std::make_shared<const CachedPolicy>(CachedPolicy{"shop", name, {}, NetworkPolicySpec{}});
}

TEST(PreparedReviewTest, EvaluationJudgesTheObjectsDecodedOnce) {
  Called() = {};
  const auto rules = PreparedRules("    - {id: r, kind: Record, action: deny}\n");
  auto request = DecodeAdmissionReview(PolicyRequest("UPDATE"));
  ASSERT_TRUE(request.ok()) << request.error().ToString();
  const PreparedReview review = PrepareReview(*rules, *request);
  ASSERT_EQ(review.EarlyAnswer(), nullptr);
  ASSERT_NE(review.object(), nullptr);
  ASSERT_NE(review.Context().old_object, nullptr);
  EXPECT_EQ(review.object()->metadata.name, "np");
  EXPECT_EQ(review.applicable_rules().size(), 1u);
  EXPECT_TRUE(review.MayBeSlow());
  EXPECT_EQ(Called().probed, std::vector<const Object*>{review.object()});

  const ReviewResult result = EvaluateReview(review);
  EXPECT_EQ(result.outcome, Outcome::kPass);
  // The probe and the check were handed the objects the review holds, not decodings of their own.
  EXPECT_EQ(Called().checked, std::vector<const Object*>{review.object()});
  EXPECT_EQ(Called().old_checked, std::vector<const Object*>{review.Context().old_object});
  EXPECT_EQ(Called().probed.size(), 1u);  // evaluating did not probe again
}

TEST(PreparedReviewTest, AReviewHoldingItsRequestMovesWithIt) {
  auto request = DecodeAdmissionReview(PolicyRequest("UPDATE"));
  ASSERT_TRUE(request.ok());
  const auto rules = TestRules();  // outlives the review, which points into it
  PreparedReview prepared = PrepareReview(*rules, std::move(request).value());
  const auto moved = std::make_unique<const PreparedReview>(std::move(prepared));
  EXPECT_EQ(moved->request().uid, "u-1");
  EXPECT_EQ(moved->Context().user, &moved->request().user);
  EXPECT_EQ(moved->Context().user->username, "alice");
  ASSERT_NE(moved->Context().old_object, nullptr);
  const ReviewResult result = EvaluateReview(*moved);
  EXPECT_EQ(result.response.uid, "u-1");
  EXPECT_EQ(result.response.message,
            "[deny-policies] flagged a (np) at metadata.name \u2014 rename it\n"
            "[deny-policies] flagged b (np) at metadata.name \u2014 rename it");
}

TEST(PreparedReviewTest, EarlyAnswersRunNoRule) {
  Called() = {};
  const auto rules = PreparedRules("    - {id: r, kind: Record, action: deny}\n");
  auto status = DecodeAdmissionReview(PolicyRequest("UPDATE", R"(,"subResource":"status")"));
  ASSERT_TRUE(status.ok());
  const PreparedReview review = PrepareReview(*rules, *status);
  ASSERT_NE(review.EarlyAnswer(), nullptr);
  EXPECT_EQ(review.object(), nullptr);
  EXPECT_FALSE(review.MayBeSlow());
  EXPECT_TRUE(EvaluateReview(review).response.allowed);
  EXPECT_TRUE(Called().checked.empty());
  EXPECT_TRUE(Called().probed.empty());
}

TEST(PreparedReviewTest, ProbeAndEvaluationSeeOneSnapshotOfTheCluster) {
  const auto rules = PreparedRules("    - {id: pods, kind: PodCount, action: warn}\n");
  ClusterCache cache;
  cache.Replace(ClusterKind::kNamespace, {ShopNamespace("a")});
  cache.Replace(ClusterKind::kPod, {ShopPod("web-1")});
  auto request = DecodeAdmissionReview(PolicyRequest("CREATE"));
  ASSERT_TRUE(request.ok());
  const PreparedReview review = PrepareReview(*rules, *request, {.cluster = &cache});
  EXPECT_TRUE(review.MayBeSlow());  // it saw web-1
  // The watch delivers another pod between the probe and the evaluation.
  cache.Apply(EventType::kAdded, ShopPod("web-2"));
  ASSERT_EQ(cache.Pods("shop", LabelSelector{}).size(), 2u);
  const ReviewResult result = EvaluateReview(review);
  EXPECT_EQ(result.response.warnings, std::vector<std::string>{"[pods] sees (1 pods)"});
}

class ConfirmReviewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Called() = {};
    rules_ = PreparedRules(
        "    - {id: lacks, kind: LacksPolicy, action: deny}\n"
        "    - {id: count, kind: PolicyCount, action: warn}\n");
    cache_.Replace(ClusterKind::kNamespace, {ShopNamespace("a")});
    request_ = DecodeAdmissionReview(PolicyRequest("CREATE"));
    ASSERT_TRUE(request_.ok());
  }

  // Prepares and evaluates the request, then lets the watch catch up with the API server: the
  // namespace's team label changes and a policy arrives.
  ReviewResult EvaluateThenCacheMovesOn(const PreparedReview& review) {
    ReviewResult denied = EvaluateReview(review);
    EXPECT_FALSE(denied.response.allowed);
    EXPECT_EQ(denied.response.message, "[lacks] no policy (team a)");
    EXPECT_EQ(denied.evaluation.UnconfirmedNamespaces(), std::vector<std::string>{"shop"});
    cache_.Replace(ClusterKind::kNamespace, {ShopNamespace("b")});
    cache_.Apply(EventType::kAdded,
                 ClusterObject{ClusterKind::kNetworkPolicy, "2", CachedPolicy(*ShopPolicy("x"))});
    return denied;
  }

  std::shared_ptr<const RuleSet> rules_;
  ClusterCache cache_;
  Result<AdmissionRequest> request_ = Error{};
};

TEST_F(ConfirmReviewTest, RerunsOnlyTheRulesThatAskedOnTheSameSnapshot) {
  const PreparedReview review = PrepareReview(*rules_, *request_, {.cluster = &cache_});
  ReviewResult denied = EvaluateThenCacheMovesOn(review);
  // The API server has no policy in shop either: the denial is confirmed.
  FreshPolicies::ByNamespace none{{"shop", {}}};
  const ReviewResult confirmed = ConfirmReview(review, std::move(denied), std::move(none));
  EXPECT_EQ(confirmed.confirmation, Confirmation::kConfirmed);
  EXPECT_FALSE(confirmed.response.allowed);
  // Run again over the snapshot: the team label as it was when the review began.
  EXPECT_EQ(confirmed.response.message, "[lacks] no policy (team a)");
  // Not run again: it still sees what the snapshot held, not the policy the cache got since.
  EXPECT_EQ(confirmed.response.warnings, std::vector<std::string>{"[count] sees (0 policies)"});
  EXPECT_EQ(Called().checks, (std::map<std::string, int>{{"LacksPolicy", 2}, {"PolicyCount", 1}}));
}

TEST_F(ConfirmReviewTest, FreshPolicyOverturnsTheDenialThatRestedOnItsLack) {
  const PreparedReview review = PrepareReview(*rules_, *request_, {.cluster = &cache_});
  ReviewResult denied = EvaluateThenCacheMovesOn(review);
  FreshPolicies::ByNamespace fresh{{"shop", {ShopPolicy("default-deny")}}};
  const ReviewResult confirmed = ConfirmReview(review, std::move(denied), std::move(fresh));
  EXPECT_EQ(confirmed.confirmation, Confirmation::kOverturned);
  EXPECT_TRUE(confirmed.response.allowed);
  EXPECT_EQ(confirmed.outcome, Outcome::kWarn);
  EXPECT_EQ(confirmed.response.warnings, std::vector<std::string>{"[count] sees (0 policies)"});
  EXPECT_EQ(Called().checks, (std::map<std::string, int>{{"LacksPolicy", 2}, {"PolicyCount", 1}}));
}

TEST(ReviewTest, OverdueReviewFollowsTheErrorPolicyAndSaysWhy) {
  auto request = DecodeAdmissionReview(Request(
      "admission.k8s.io/v1",
      R"("uid":"u","kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE","namespace":"a","name":"p",)"
      R"("object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}})"));
  ASSERT_TRUE(request.ok());
  const ReviewResult denied = OverdueReview(*request, ErrorPolicy::kDeny, "ran out of time");
  EXPECT_EQ(denied.response.uid, "u");
  EXPECT_FALSE(denied.response.allowed);
  EXPECT_EQ(denied.response.code, 504);
  EXPECT_EQ(denied.response.reason, "Timeout");
  EXPECT_EQ(denied.response.message, "netadmit ran out of time");
  EXPECT_EQ(denied.outcome, Outcome::kError);
  EXPECT_EQ(denied.object_description, "Pod a/p");
  const ReviewResult allowed = OverdueReview(*request, ErrorPolicy::kAllow, "ran out of time");
  EXPECT_TRUE(allowed.response.allowed);
  EXPECT_EQ(allowed.outcome, Outcome::kError);
  EXPECT_EQ(allowed.response.warnings,
            std::vector<std::string>{"netadmit ran out of time (allowed)"});
}

TEST_F(ConfirmReviewTest, FailedReadKeepsTheDenialOrAdmitsAsTheOptionsSay) {
  const Error unreachable{"", 0, 0, "", "connection refused\nretry"};
  {
    const PreparedReview review = PrepareReview(*rules_, *request_, {.cluster = &cache_});
    const ReviewResult kept = ConfirmReview(review, EvaluateReview(review), unreachable);
    EXPECT_EQ(kept.confirmation, Confirmation::kReadFailed);
    EXPECT_FALSE(kept.response.allowed);
    EXPECT_EQ(kept.response.message,
              "[lacks] no policy (team a)\n"
              "(netadmit could not confirm with the API server (connection refused retry))");
  }
  const PreparedReview review = PrepareReview(
      *rules_, *request_, {.cluster = &cache_, .on_unconfirmed = ErrorPolicy::kAllow});
  const ReviewResult admitted = ConfirmReview(review, EvaluateReview(review), unreachable);
  EXPECT_EQ(admitted.confirmation, Confirmation::kReadFailed);
  EXPECT_TRUE(admitted.response.allowed);
  EXPECT_EQ(admitted.outcome, Outcome::kWarn);
  EXPECT_EQ(admitted.response.warnings,
            (std::vector<std::string>{
                "netadmit could not confirm with the API server (connection refused retry); "
                "admitted despite [lacks]: [lacks] no policy (team a)",
                "[count] sees (0 policies)"}));
  // Neither rule ran again: there was nothing fresh to run them on.
  EXPECT_EQ(Called().checks, (std::map<std::string, int>{{"LacksPolicy", 2}, {"PolicyCount", 2}}));
}

TEST(BoundWarningsTest, LongWarningsAreCutOnACharacterBoundary) {
  std::string long_warning = "[r] " + std::string(250, 'x') + "\u00e9\u00e9\u00e9";
  auto bounded = BoundWarnings({long_warning});
  ASSERT_EQ(bounded.size(), 1u);
  EXPECT_LE(bounded[0].size(), kMaxWarningBytes);
  EXPECT_TRUE(bounded[0].ends_with("..."));
  // No broken UTF-8 sequence before the ellipsis.
  const std::string body = bounded[0].substr(0, bounded[0].size() - 3);
  EXPECT_NE(static_cast<unsigned char>(body.back()), 0xC3);
}

TEST(BoundWarningsTest, TotalStaysUnder4KiBAndSaysWhatWasLeftOut) {
  std::vector<std::string> many(40, std::string(200, 'w'));
  auto bounded = BoundWarnings(many);
  size_t total = 0;
  for (const auto& warning : bounded) {
    total += warning.size();
  }
  EXPECT_LE(total, kMaxWarningsTotalBytes);
  ASSERT_GE(bounded.size(), 2u);
  const size_t kept = bounded.size() - 1;
  EXPECT_EQ(bounded.back(), std::to_string(40 - kept) +
                                " more warnings left out; run `netadmit check` on the manifest to "
                                "see all");
  EXPECT_EQ(BoundWarnings({"a", "b"}), (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace netadmit
