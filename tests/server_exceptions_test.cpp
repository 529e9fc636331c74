// Rule exceptions through the webhook, on a clock the test controls: an exempt request is
// admitted with the audit annotation, counted and logged; near its expiry it is warned; once the
// clock passes the expiry the same request is denied, without a reload, and the expiry shows in
// the exceptions gauge and, once, in the log.

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <memory>
#include <string>

#include "netadmit/rules/exceptions.h"
#include "tests/support/child_process.h"
#include "tests/support/fake_apiserver.h"
#include "tests/support/https_client.h"
#include "tests/support/test_server.h"

namespace netadmit::testing {
namespace {

using namespace std::chrono_literals;
using server::LogStream;

constexpr const char* kOpenIngress = "001-NetworkPolicy-CREATE-bad-allow-everything.body.json";

// The test rules, and an exception for the open-ingress policy the fixture creates in
// `default`, through 2027-01-31.
const std::string kRulesWithException = std::string(kTestRules) + R"(  exceptions:
    - name: open-ingress-legacy
      rules: [no-open-ingress]
      match: {namespaces: [default], kinds: [NetworkPolicy], names: ["bad-*"]}
      expires: 2027-01-31
      owner: team-web@example.com
      reason: the load balancer health checks come from everywhere (WEB-42)
)";

TimePoint At(std::string_view text) { return *ParseExpiry(text); }

class ExceptionServerTest : public ::testing::Test {
 protected:
  ExceptionServerTest() {
    now_->store(At("2027-01-10T12:00:00Z").time_since_epoch().count());
    TestServer::Config config;
    config.rules_yaml = kRulesWithException;
    config.adjust = [now = now_](server::ServerOptions& options) {
      options.exceptions.clock = [now] { return TimePoint(TimePoint::duration(now->load())); };
      options.reload_interval = 50ms;
    };
    server_ = std::make_unique<TestServer>(config);
  }

  void SetTime(std::string_view text) { now_->store(At(text).time_since_epoch().count()); }

  rapidjson::Document Validate() {
    auto client = server_->Connect();
    Reply reply = client->Send(ValidateRequest(Fixture(kOpenIngress)));
    EXPECT_EQ(reply.response.result(), http::status::ok);
    rapidjson::Document json;
    json.Parse(reply.response.body().c_str());
    EXPECT_FALSE(json.HasParseError()) << reply.response.body();
    return json;
  }

  std::string Metrics() { return server_->Connect()->Get("/metrics").response.body(); }

  std::shared_ptr<std::atomic<TimePoint::rep>> now_ =
      std::make_shared<std::atomic<TimePoint::rep>>();
  std::unique_ptr<TestServer> server_;
};

TEST_F(ExceptionServerTest, AnExemptRequestIsAdmittedAnnotatedCountedAndLogged) {
  const rapidjson::Document json = Validate();
  const auto& response = json["response"];
  EXPECT_TRUE(response["allowed"].GetBool());
  EXPECT_FALSE(response.HasMember("warnings"));
  ASSERT_TRUE(response.HasMember("auditAnnotations"));
  EXPECT_STREQ(response["auditAnnotations"]["exempted"].GetString(),
               "open-ingress-legacy: no-open-ingress");

  const std::string metrics = Metrics();
  EXPECT_EQ(
      MetricValue(
          metrics,
          R"(netadmit_exempted_findings_total{exception="open-ingress-legacy",rule="no-open-ingress"})"),
      1);
  EXPECT_EQ(MetricValue(metrics,
                        R"(netadmit_rule_violations_total{action="deny",rule="no-open-ingress"})"),
            -1);
  EXPECT_EQ(MetricValue(metrics, R"(netadmit_exceptions{state="active"})"), 1);
  EXPECT_EQ(MetricValue(metrics, R"(netadmit_exceptions{state="expired"})"), 0);

  ASSERT_TRUE(server_->WaitForLine(LogStream::kDecision, "bad-allow-everything"));
  bool found = false;
  for (const std::string& line : server_->Lines(LogStream::kDecision)) {
    if (line.find("bad-allow-everything") != std::string::npos) {
      found = true;
      EXPECT_NE(
          line.find(
              R"({"rule":"no-open-ingress","action":"deny","path":"spec.ingress[0].from[0].ipBlock.cidr","exception":"open-ingress-legacy"})"),
          std::string::npos)
          << line;
      EXPECT_NE(line.find(R"("decision":"allowed","outcome":"pass")"), std::string::npos) << line;
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(ExceptionServerTest, NearItsExpiryARequestIsWarnedAndAfterItDenied) {
  SetTime("2027-01-23T00:00:00Z");
  rapidjson::Document json = Validate();
  EXPECT_TRUE(json["response"]["allowed"].GetBool());
  ASSERT_TRUE(json["response"].HasMember("warnings"));
  ASSERT_EQ(json["response"]["warnings"].Size(), 1u);
  EXPECT_STREQ(json["response"]["warnings"][0].GetString(),
               "exception open-ingress-legacy (team-web@example.com) expires in 9 days");
  EXPECT_TRUE(Eventually(
      [&] { return MetricValue(Metrics(), R"(netadmit_exceptions{state="expiring"})") == 1; }));

  // The last second of the exception, then its end: denied at once, no reload in between.
  SetTime("2027-01-31T23:59:59Z");
  EXPECT_TRUE(Validate()["response"]["allowed"].GetBool());
  SetTime("2027-02-01T00:00:00Z");
  json = Validate();
  EXPECT_FALSE(json["response"]["allowed"].GetBool());
  EXPECT_FALSE(json["response"].HasMember("auditAnnotations"));
  EXPECT_TRUE(Eventually(
      [&] { return MetricValue(Metrics(), R"(netadmit_exceptions{state="expired"})") == 1; }));
  EXPECT_EQ(MetricValue(Metrics(), R"(netadmit_exceptions{state="expiring"})"), 0);
  ASSERT_TRUE(server_->WaitForLine(LogStream::kEvent, "exception_expired"));
  // Logged once, however many reload looks follow.
  std::this_thread::sleep_for(200ms);
  int expired_lines = 0;
  for (const std::string& line : server_->Lines(LogStream::kEvent)) {
    if (line.find("exception_expired") != std::string::npos) {
      ++expired_lines;
      EXPECT_NE(
          line.find(
              R"("exception":"open-ingress-legacy","owner":"team-web@example.com","expires":"2027-01-31")"),
          std::string::npos)
          << line;
    }
  }
  EXPECT_EQ(expired_lines, 1);
}

TEST_F(ExceptionServerTest, AnExceptionTooFarAheadKeepsTheRulesInForceOut) {
  // Reloaded with an expiry 200 days ahead of the test clock: refused, the old rules stay.
  std::string too_far = kRulesWithException;
  too_far.replace(too_far.find("2027-01-31"), 10, "2027-07-29");
  server_->dir().Write("rules.yaml", too_far);
  ASSERT_TRUE(server_->WaitForLine(LogStream::kEvent, "rules_reload_failed"));
  EXPECT_TRUE(server_->WaitForLine(LogStream::kEvent, "past the limit of 90 days"));
  EXPECT_TRUE(Validate()["response"]["allowed"].GetBool());
}

// `netadmit exceptions --kubeconfig`: lists what the cluster holds (from the test API server) and
// counts the objects each exception covers there now.
class ExceptionsCommandClusterTest : public ::testing::Test {
 protected:
  ExceptionsCommandClusterTest() {
    api_.SetToken("secret");
    for (const auto& collection : Collections()) {
      api_.Serve(collection);
    }
  }

  static std::vector<FakeApiServer::Collection> Collections() {
    return {FakeApiServer::Namespaces(),
            FakeApiServer::NetworkPolicies(),
            FakeApiServer::Pods(),
            {"/api/v1/replicationcontrollers", "ReplicationController", "v1",
             "ReplicationControllerList"},
            {"/apis/apps/v1/deployments", "Deployment", "apps/v1", "DeploymentList"},
            {"/apis/apps/v1/replicasets", "ReplicaSet", "apps/v1", "ReplicaSetList"},
            {"/apis/apps/v1/statefulsets", "StatefulSet", "apps/v1", "StatefulSetList"},
            {"/apis/apps/v1/daemonsets", "DaemonSet", "apps/v1", "DaemonSetList"},
            {"/apis/batch/v1/jobs", "Job", "batch/v1", "JobList"},
            {"/apis/batch/v1/cronjobs", "CronJob", "batch/v1", "CronJobList"}};
  }

  // The test rules and two exceptions expiring 30 days from now (the command runs on the real
  // clock): open ingress for NetworkPolicies named legacy-*, and the missing name label for
  // what carries app=ledger, a Deployment's template labels included.
  std::string WriteRules() const {
    const std::time_t expires =
        std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + 30 * 24h);
    std::tm utc{};
    gmtime_r(&expires, &utc);
    char date[16];
    std::strftime(date, sizeof date, "%Y-%m-%d", &utc);
    dir_.Write("rules.yaml", std::string(kTestRules) + "  exceptions:\n" +
                                 "    - name: open-ingress-legacy\n"
                                 "      rules: [no-open-ingress]\n"
                                 "      match: {namespaces: [billing], names: [\"legacy-*\"]}\n"
                                 "      expires: " +
                                 date +
                                 "\n"
                                 "      owner: team-web@example.com\n      reason: r\n"
                                 "    - name: ledger-labels\n"
                                 "      rules: [require-pod-labels]\n"
                                 "      match: {namespaces: [billing], labelSelector: "
                                 "{matchLabels: {app: ledger}}}\n"
                                 "      expires: " +
                                 date +
                                 "\n"
                                 "      owner: team-billing@example.com\n      reason: r\n");
    return dir_.File("rules.yaml");
  }

  RunResult Exceptions(const std::string& token) const {
    return RunProcess({NETADMIT_BINARY, "exceptions", "--rules", WriteRules(), "--kubeconfig",
                       api_.WriteKubeconfig(dir_, token), "-o", "json"});
  }

  FakeApiServer api_;
  TempDir dir_;
};

TEST_F(ExceptionsCommandClusterTest, CountsTheObjectsEachExceptionCoversInTheCluster) {
  const std::string open_ingress = R"("spec":{"podSelector":{},"policyTypes":["Ingress"],)"
                                   R"("ingress":[{"from":[{"ipBlock":{"cidr":"0.0.0.0/0"}}]}]}})";
  api_.Add(FakeApiServer::NetworkPolicies(),
           R"({"metadata":{"name":"legacy-web","namespace":"billing"},)" + open_ingress);
  api_.Add(FakeApiServer::NetworkPolicies(),
           R"({"metadata":{"name":"web","namespace":"billing"},)" + open_ingress);
  api_.Add(Collections()[4],
           R"({"metadata":{"name":"ledger","namespace":"billing"},"spec":{"selector":)"
           R"({"matchLabels":{"app":"ledger"}},"template":{"metadata":{"labels":{"app":"ledger"}},)"
           R"("spec":{"containers":[{"name":"c","image":"i"}]}}}})");
  const RunResult run = Exceptions("secret");
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  rapidjson::Document json;
  json.Parse(run.out.c_str());
  ASSERT_FALSE(json.HasParseError()) << run.out;
  const auto& listed = json["exceptions"];
  ASSERT_EQ(listed.Size(), 2u);
  EXPECT_STREQ(listed[0]["name"].GetString(), "open-ingress-legacy");
  EXPECT_EQ(listed[0]["coveredObjects"].GetInt(), 1);  // legacy-web, not web
  EXPECT_STREQ(listed[1]["name"].GetString(), "ledger-labels");
  EXPECT_EQ(listed[1]["coveredObjects"].GetInt(), 1);  // the Deployment, by its template labels
  // Every kind was listed across namespaces.
  std::vector<std::string> targets;
  for (const auto& request : api_.Requests()) {
    targets.push_back(request.target);
  }
  for (const auto& collection : Collections()) {
    EXPECT_NE(std::find(targets.begin(), targets.end(), collection.path), targets.end())
        << collection.path;
  }
}

TEST_F(ExceptionsCommandClusterTest, AnAnswerOtherThanTheListFailsNamingWhatWasAsked) {
  const RunResult run = Exceptions("wrong");
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_NE(run.err.find("netadmit exceptions: GET /api/v1/namespaces: HTTP 401"),
            std::string::npos)
      << run.err;
}

}  // namespace
}  // namespace netadmit::testing
