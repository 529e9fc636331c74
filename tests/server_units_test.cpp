// The server's parts without sockets: routing and answers of the request handler, the error
// policy, listen addresses and durations, file change detection, log lines and metrics.

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cli/cli.h"
#include "netadmit/rules/rule_set.h"
#include "server/file_watch.h"
#include "server/handler.h"
#include "server/log.h"
#include "server/metrics.h"
#include "server/rule_store.h"
#include "server/server.h"
#include "tests/support/test_certs.h"
#include "tests/support/test_server.h"

namespace netadmit::testing {
namespace {

using namespace std::chrono_literals;
using server::HttpRequest;
using server::HttpResponse;

constexpr const char* kDenied = "001-NetworkPolicy-CREATE-bad-allow-everything.body.json";

rapidjson::Document ParseJson(const std::string& text) {
  rapidjson::Document document;
  document.Parse(text.c_str(), text.size());
  EXPECT_FALSE(document.HasParseError()) << text;
  return document;
}

// A handler over the test rules, with its log lines kept.
class HandlerTest : public ::testing::Test {
 protected:
  HandlerTest()
      : logger_([this](server::LogStream stream, std::string_view line) {
          (stream == server::LogStream::kDecision ? decisions_ : events_).emplace_back(line);
        }) {
    dir_.Write("rules.yaml", std::string(kTestRules));
    store_ = std::make_unique<server::RuleStore>(dir_.File("rules.yaml"));
    EXPECT_TRUE(store_->Load().ok());
  }

  server::RequestHandler Handler(ErrorPolicy policy = ErrorPolicy::kDeny) {
    return server::RequestHandler(*store_, policy, metrics_, logger_, [this] { return ready_; });
  }

  static HttpRequest Make(http::verb method, std::string target, std::string body = "",
                          unsigned version = 11) {
    HttpRequest request{method, target, version};
    request.body() = std::move(body);
    request.prepare_payload();
    return request;
  }

  TempDir dir_;
  std::unique_ptr<server::RuleStore> store_;
  server::Metrics metrics_;
  std::vector<std::string> decisions_;
  std::vector<std::string> events_;
  server::Logger logger_;
  bool ready_ = true;
};

struct RouteCase {
  http::verb method;
  std::string target;
  http::status status;
  std::string allow;
};

TEST_F(HandlerTest, RoutesByMethodAndPath) {
  const std::string review = Fixture(kDenied);
  const std::vector<RouteCase> cases = {
      {http::verb::post, "/validate", http::status::ok, ""},
      {http::verb::post, "/validate?timeout=10s", http::status::ok, ""},
      {http::verb::post, "/validate?", http::status::ok, ""},
      {http::verb::get, "/validate", http::status::method_not_allowed, "POST"},
      {http::verb::put, "/validate", http::status::method_not_allowed, "POST"},
      {http::verb::get, "/healthz", http::status::ok, ""},
      {http::verb::head, "/healthz", http::status::ok, ""},
      {http::verb::get, "/readyz", http::status::ok, ""},
      {http::verb::get, "/metrics", http::status::ok, ""},
      {http::verb::post, "/metrics", http::status::method_not_allowed, "GET, HEAD"},
      {http::verb::options, "/healthz", http::status::method_not_allowed, "GET, HEAD"},
      {http::verb::post, "/", http::status::not_found, ""},
      {http::verb::get, "/validate/", http::status::not_found, ""},
      {http::verb::get, "/VALIDATE", http::status::not_found, ""},
      {http::verb::post, "/mutate?timeout=10s", http::status::not_found, ""},
  };
  auto handler = Handler();
  for (const auto& route : cases) {
    SCOPED_TRACE(std::string(http::to_string(route.method)) + " " + route.target);
    const HttpResponse response = handler.Handle(Make(route.method, route.target, review));
    EXPECT_EQ(response.result(), route.status);
    EXPECT_EQ(response[http::field::allow], route.allow);
  }
}

TEST_F(HandlerTest, ValidateAnswersWhatTheCoreDecides) {
  const std::string body = Fixture(kDenied);
  const HttpResponse response = Handler().Handle(Make(http::verb::post, "/validate", body));
  ASSERT_EQ(response.result(), http::status::ok);
  EXPECT_EQ(response[http::field::content_type], "application/json");
  auto request = DecodeAdmissionReview(body);
  ASSERT_TRUE(request.ok());
  const ReviewResult expected =
      Review(*store_->Current(), *request, {.on_error = ErrorPolicy::kDeny});
  EXPECT_EQ(response.body(), EncodeAdmissionReview(request->version, expected.response));
  EXPECT_FALSE(expected.response.allowed);
  ASSERT_EQ(decisions_.size(), 1u);
  EXPECT_STREQ(ParseJson(decisions_[0])["decision"].GetString(), "denied");
}

TEST_F(HandlerTest, KeepAliveFollowsTheRequest) {
  auto handler = Handler();
  HttpRequest keep = Make(http::verb::get, "/healthz");
  EXPECT_TRUE(handler.Handle(keep).keep_alive());
  HttpRequest close = Make(http::verb::get, "/healthz");
  close.keep_alive(false);
  EXPECT_FALSE(handler.Handle(close).keep_alive());
  HttpRequest old = Make(http::verb::get, "/healthz", "", 10);
  const HttpResponse response = handler.Handle(old);
  EXPECT_EQ(response.version(), 10u);
  EXPECT_FALSE(response.keep_alive());
}

TEST_F(HandlerTest, HeadGetsTheHeadersWithoutTheBody) {
  const HttpResponse response = Handler().Handle(Make(http::verb::head, "/healthz"));
  EXPECT_EQ(response.result(), http::status::ok);
  EXPECT_EQ(response.body(), "");
  EXPECT_EQ(response[http::field::content_length], "3");
}

TEST_F(HandlerTest, ReadinessFollowsThePredicate) {
  auto handler = Handler();
  EXPECT_EQ(handler.Handle(Make(http::verb::get, "/readyz")).result(), http::status::ok);
  ready_ = false;
  const HttpResponse response = handler.Handle(Make(http::verb::get, "/readyz"));
  EXPECT_EQ(response.result(), http::status::service_unavailable);
  EXPECT_EQ(response.body(), "not ready\n");
  // Liveness does not depend on readiness.
  EXPECT_EQ(handler.Handle(Make(http::verb::get, "/healthz")).result(), http::status::ok);
}

TEST_F(HandlerTest, BadReviewGets400WithOneLineAndIsCountedAndLogged) {
  const HttpResponse response =
      Handler().Handle(Make(http::verb::post, "/validate", R"({"kind":"a\nb"})"));
  EXPECT_EQ(response.result(), http::status::bad_request);
  EXPECT_EQ(response[http::field::content_type], "text/plain; charset=utf-8");
  const std::string& text = response.body();
  EXPECT_EQ(text.find('\n'), text.size() - 1) << text;
  EXPECT_NE(text.find("not an AdmissionReview"), std::string::npos) << text;
  EXPECT_TRUE(decisions_.empty());
  ASSERT_EQ(events_.size(), 1u);
  const auto event = ParseJson(events_[0]);
  EXPECT_STREQ(event["event"].GetString(), "bad_request");
  EXPECT_STREQ(event["reason"].GetString(), "invalid_review");
  EXPECT_EQ(
      MetricValue(metrics_.Serialize(), R"(netadmit_bad_requests_total{reason="invalid_review"})"),
      1);
}

// A NetworkPolicy whose podSelector is a string cannot be evaluated.
std::string UndecodableObject() {
  std::string body = Fixture(kDenied);
  const std::string selector = R"("podSelector":{"matchLabels":{"app":"web"}})";
  body.replace(body.find(selector), selector.size(), R"("podSelector":"web")");
  return body;
}

TEST_F(HandlerTest, ErrorPolicyDecidesObjectsThatCannotBeEvaluated) {
  const std::string body = UndecodableObject();
  {
    const HttpResponse response =
        Handler(ErrorPolicy::kDeny).Handle(Make(http::verb::post, "/validate", body));
    ASSERT_EQ(response.result(), http::status::ok);
    const auto json = ParseJson(response.body());
    EXPECT_FALSE(json["response"]["allowed"].GetBool());
    EXPECT_NE(std::string(json["response"]["status"]["message"].GetString()).find("podSelector"),
              std::string::npos);
  }
  {
    const HttpResponse response =
        Handler(ErrorPolicy::kAllow).Handle(Make(http::verb::post, "/validate", body));
    ASSERT_EQ(response.result(), http::status::ok);
    const auto json = ParseJson(response.body());
    EXPECT_TRUE(json["response"]["allowed"].GetBool());
    EXPECT_TRUE(json["response"].HasMember("warnings"));
  }
  ASSERT_EQ(decisions_.size(), 2u);
  for (const auto& line : decisions_) {
    const auto json = ParseJson(line);
    EXPECT_TRUE(json.HasMember("error"));
    EXPECT_STREQ(json["outcome"].GetString(), "error");
  }
}

struct ListenCase {
  std::string text;
  bool ok;
  std::string address;
  unsigned port;
};

TEST(ListenAddressTest, ParsesHostAndPort) {
  const std::vector<ListenCase> cases = {
      {"0.0.0.0:8443", true, "0.0.0.0", 8443},
      {"127.0.0.1:0", true, "127.0.0.1", 0},
      {"[::]:8443", true, "::", 8443},
      {"[::1]:9443", true, "::1", 9443},
      {":8443", true, "0.0.0.0", 8443},
      {"localhost:8443", true, "127.0.0.1", 8443},
      {"8443", false, "", 0},
      {"::1:8443", false, "", 0},
      {"127.0.0.1:", false, "", 0},
      {"127.0.0.1:65536", false, "", 0},
      {"127.0.0.1:-1", false, "", 0},
      {"127.0.0.1:84a", false, "", 0},
      {"example.com:8443", false, "", 0},
      {"[::1:8443", false, "", 0},
  };
  for (const auto& test : cases) {
    SCOPED_TRACE(test.text);
    auto parsed = server::ParseListenAddress(test.text);
    ASSERT_EQ(parsed.ok(), test.ok);
    if (test.ok) {
      EXPECT_EQ(parsed->address().to_string(), test.address);
      EXPECT_EQ(parsed->port(), test.port);
    } else {
      EXPECT_NE(parsed.error().message.find(test.text), std::string::npos);
    }
  }
}

TEST(DurationTest, ParsesUnits) {
  const std::vector<std::pair<std::string, int64_t>> good = {
      {"10s", 10'000}, {"250ms", 250}, {"2m", 120'000}, {"1.5", 1'500}, {"0.5s", 500}};
  for (const auto& [text, millis] : good) {
    SCOPED_TRACE(text);
    auto parsed = cli::ParseDuration(text);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->count(), millis);
  }
  for (const std::string text : {"", "s", "ms", "-1s", "0", "0.1ms", "ten", "10h", "10 s", "1e9"}) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(cli::ParseDuration(text).ok());
  }
}

TEST(FileWatchTest, NoticesRewritesRenamesAndNewFiles) {
  namespace fs = std::filesystem;
  TempDir dir;
  dir.Write("cert.pem", "one");
  server::FileWatch file({dir.File("cert.pem"), dir.File("missing.pem")});
  EXPECT_FALSE(file.Changed());
  dir.Write("cert.pem", "two");  // a new inode by rename
  EXPECT_TRUE(file.Changed());
  EXPECT_FALSE(file.Changed()) << "one change is reported once";
  {
    std::ofstream in_place(dir.File("cert.pem"), std::ios::app);
    in_place << "more";  // same inode, new size
  }
  EXPECT_TRUE(file.Changed());
  dir.Write("missing.pem", "now here");
  EXPECT_TRUE(file.Changed());

  fs::create_directory(dir.File("rules"));
  server::FileWatch directory({dir.File("rules")});
  std::ofstream(dir.File("rules/a.yaml")) << "a";
  EXPECT_TRUE(directory.Changed());
  std::ofstream(dir.File("rules/notes.txt")) << "ignored";
  std::ofstream(dir.File("rules/.hidden.yaml")) << "ignored";
  EXPECT_FALSE(directory.Changed());
  fs::remove(dir.File("rules/a.yaml"));
  EXPECT_TRUE(directory.Changed());
}

TEST(LogTest, EventLinesAreJsonWithEscapedFields) {
  const auto time =
      std::chrono::system_clock::time_point(std::chrono::microseconds(1'700'000'000'123'456));
  const std::string line = server::FormatEvent(
      "warn", "bad_request", {{"detail", "quote \" newline \n tab \t"}, {"count", 3}, {"ok", true}},
      time);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto json = ParseJson(line);
  EXPECT_STREQ(json["time"].GetString(), "2023-11-14T22:13:20.123456Z");
  EXPECT_STREQ(json["level"].GetString(), "warn");
  EXPECT_STREQ(json["event"].GetString(), "bad_request");
  EXPECT_STREQ(json["detail"].GetString(), "quote \" newline \n tab \t");
  EXPECT_EQ(json["count"].GetInt(), 3);
  EXPECT_TRUE(json["ok"].GetBool());
}

TEST(LogTest, TimesHaveSixDigitsOfMicrosecondsAndFollowTheSecond) {
  using std::chrono::microseconds;
  using Time = std::chrono::system_clock::time_point;
  EXPECT_EQ(server::FormatTime(Time(microseconds(1'700'000'000'000'042))),
            "2023-11-14T22:13:20.000042Z");
  EXPECT_EQ(server::FormatTime(Time(microseconds(1'700'000'000'000'000))),
            "2023-11-14T22:13:20.000000Z");
  EXPECT_EQ(server::FormatTime(Time(microseconds(1'700'000'000'999'999))),
            "2023-11-14T22:13:20.999999Z");
  // The next second, and back to an earlier one: the calendar part is not stale.
  EXPECT_EQ(server::FormatTime(Time(microseconds(1'700'000'001'000'000))),
            "2023-11-14T22:13:21.000000Z");
  EXPECT_EQ(server::FormatTime(Time(microseconds(86'400'000'001))), "1970-01-02T00:00:00.000001Z");
}

TEST(LogTest, DecisionLineNamesTheRequestAndTheFindings) {
  TempDir dir;
  dir.Write("rules.yaml", std::string(kTestRules));
  server::RuleStore store(dir.File("rules.yaml"));
  ASSERT_TRUE(store.Load().ok());
  std::string body = Fixture(kDenied);
  auto request = DecodeAdmissionReview(body);
  ASSERT_TRUE(request.ok());
  request->dry_run = true;
  const ReviewResult result = Review(*store.Current(), *request);
  const std::string line =
      server::FormatDecision(*request, result, 1234us, std::chrono::system_clock::now());
  const auto json = ParseJson(line);
  EXPECT_STREQ(json["uid"].GetString(), request->uid.c_str());
  EXPECT_TRUE(json["dry_run"].GetBool());
  EXPECT_STREQ(json["decision"].GetString(), "denied");
  EXPECT_STREQ(json["outcome"].GetString(), "fail");
  EXPECT_EQ(json["took_us"].GetInt(), 1234);
  ASSERT_EQ(json["findings"].Size(), result.evaluation.findings.size());
  EXPECT_STREQ(json["findings"][0]["rule"].GetString(), "no-open-ingress");
  EXPECT_STREQ(json["findings"][0]["action"].GetString(), "deny");
  EXPECT_EQ(line.find("matchLabels"), std::string::npos) << "no part of the object";
}

TEST(LogTest, GatheredDecisionsAreWrittenTogetherWithinTheIntervalAndBeforeEvents) {
  struct Written {
    server::LogStream stream;
    std::string text;
  };
  std::mutex mutex;
  std::vector<Written> written;
  auto logged = [&] {
    const std::lock_guard lock(mutex);
    return written;
  };
  auto request = DecodeAdmissionReview(Fixture(kDenied));
  ASSERT_TRUE(request.ok());
  const ReviewResult result;
  {
    server::Logger logger(
        [&](server::LogStream stream, std::string_view text) {
          const std::lock_guard lock(mutex);
          written.push_back({stream, std::string(text)});
        },
        true);
    logger.Decision(*request, result, 1us);
    logger.Decision(*request, result, 2us);
    // Within the interval (and then some, for a loaded machine) both arrive, whole lines each.
    auto lines = [&] {
      size_t count = 0;
      for (const auto& write : logged()) {
        EXPECT_EQ(write.stream, server::LogStream::kDecision);
        EXPECT_TRUE(write.text.ends_with("}\n")) << write.text;
        count += static_cast<size_t>(std::count(write.text.begin(), write.text.end(), '\n'));
      }
      return count;
    };
    const auto deadline = std::chrono::steady_clock::now() + 20 * server::kDecisionFlushInterval;
    while (lines() < 2 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(server::kDecisionFlushInterval / 10);
    }
    ASSERT_EQ(lines(), 2u);
    const size_t writes = logged().size();

    // An event comes after the decisions taken before it, whatever the timer says.
    logger.Decision(*request, result, 3us);
    logger.Warn("something");
    auto second = logged();
    ASSERT_EQ(second.size(), writes + 2);
    EXPECT_EQ(second[writes].stream, server::LogStream::kDecision);
    EXPECT_NE(second[writes].text.find("\"took_us\":3}"), std::string::npos);
    EXPECT_EQ(second[writes + 1].stream, server::LogStream::kEvent);

    // What is pending when the logger goes is written then.
    logger.Decision(*request, result, 4us);
  }
  auto last = logged();
  ASSERT_FALSE(last.empty());
  EXPECT_NE(last.back().text.find("\"took_us\":4}"), std::string::npos);
}

TEST(RuleStoreTest, KeepsTheRulesInForceWhenALoadFails) {
  TempDir dir;
  dir.Write("rules.yaml", std::string(kTestRules));
  server::RuleStore store(dir.File("rules.yaml"));
  EXPECT_EQ(store.Current(), nullptr);
  ASSERT_TRUE(store.Load().ok());
  const auto first = store.Current();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->rules().size(), 2u);

  dir.Write("rules.yaml",
            "apiVersion: netadmit.io/v1alpha1\nkind: RuleSet\n"
            "metadata: {name: x}\nspec:\n  rules: [{id: a, kind: Nope}]\n");
  const Status failed = store.Load();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().file, dir.File("rules.yaml"));
  EXPECT_GT(failed.error().line, 0);
  EXPECT_EQ(store.Current(), first);

  server::RuleStore missing(dir.File("nope.yaml"));
  EXPECT_FALSE(missing.Load().ok());
  EXPECT_EQ(missing.Current(), nullptr);

  server::RuleStore embedded("");
  ASSERT_TRUE(embedded.Load().ok());
  EXPECT_EQ(embedded.SourceName(), "default");
}

TEST(MetricsTest, NamesAndLabelsAsDocumented) {
  server::Metrics metrics;
  metrics.RecordBadRequest(server::BadRequest::kBodyTooLarge);
  metrics.RecordRuleSetLoad(false, 0);
  metrics.RecordRuleSetLoad(true, 5);
  metrics.RecordRefusedConnection();
  auto request = DecodeAdmissionReview(Fixture(kDenied));
  ASSERT_TRUE(request.ok());
  ReviewResult result;
  result.response.allowed = false;
  result.evaluation.findings.push_back(Finding{"rule-a", Action::kWarn, {}});
  metrics.RecordReview(*request, result, 0.0001);
  // Kinds no webhook configuration would send share one label value: a client cannot grow
  // the label set.
  request->kind.kind = "MadeUpKind";
  metrics.RecordReview(*request, ReviewResult{}, 3.0);
  const std::string text = metrics.Serialize();
  EXPECT_EQ(MetricValue(text, R"(netadmit_bad_requests_total{reason="body_too_large"})"), 1);
  EXPECT_EQ(MetricValue(text, R"(netadmit_bad_requests_total{reason="timeout"})"), 0);
  EXPECT_EQ(MetricValue(text, "netadmit_ruleset_load_errors_total"), 1);
  EXPECT_EQ(MetricValue(text, "netadmit_rules_in_force"), 5);
  EXPECT_EQ(MetricValue(text, "netadmit_connections_refused_total"), 1);
  EXPECT_NE(text.find("# TYPE netadmit_admission_duration_seconds histogram"), std::string::npos);
  EXPECT_EQ(
      MetricValue(
          text,
          R"(netadmit_admission_requests_total{decision="denied",kind="NetworkPolicy",operation="CREATE"})"),
      1);
  EXPECT_EQ(MetricValue(text, R"(netadmit_rule_violations_total{action="warn",rule="rule-a"})"), 1);
  EXPECT_EQ(MetricValue(text, R"(netadmit_admission_duration_seconds_bucket{le="0.0001"})"), 1);
  EXPECT_EQ(MetricValue(text, R"(netadmit_admission_duration_seconds_bucket{le="5e-05"})"), 0);
  EXPECT_EQ(MetricValue(text, R"(netadmit_admission_duration_seconds_bucket{le="+Inf"})"), 2);
  EXPECT_EQ(
      MetricValue(
          text,
          R"(netadmit_admission_requests_total{decision="allowed",kind="other",operation="CREATE"})"),
      1);
  EXPECT_EQ(text.find("MadeUpKind"), std::string::npos);
}

TEST(TlsTest, RefusesAKeyThatDoesNotMatchTheCertificate) {
  TempDir dir;
  TestCa ca;
  const IssuedCertificate one = ca.Issue(1);
  const IssuedCertificate two = ca.Issue(2);
  dir.Write("one.crt", one.cert_pem);
  dir.Write("one.key", one.key_pem);
  dir.Write("two.key", two.key_pem);
  auto good = server::LoadTlsIdentity(dir.File("one.crt"), dir.File("one.key"));
  ASSERT_TRUE(good.ok()) << good.error().ToString();
  EXPECT_EQ(good->serial, "01");
  auto mismatched = server::LoadTlsIdentity(dir.File("one.crt"), dir.File("two.key"));
  ASSERT_FALSE(mismatched.ok());
  EXPECT_NE(mismatched.error().message.find("does not match"), std::string::npos);
  auto missing = server::LoadTlsIdentity(dir.File("none.crt"), dir.File("one.key"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().file, dir.File("none.crt"));
}

}  // namespace
}  // namespace netadmit::testing
