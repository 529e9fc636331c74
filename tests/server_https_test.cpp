// The webhook over real TLS on 127.0.0.1: the recorded API server requests, every kind of bad
// input (each followed by a good request that must still succeed), TLS versions and ALPN,
// connection and in-flight caps, metrics, decision logs, and the graceful shutdown.

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <rapidjson/document.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "netadmit/rules/review.h"
#include "netadmit/rules/rule_set.h"
#include "tests/support/https_client.h"
#include "tests/support/test_server.h"

namespace netadmit::testing {
namespace {

using namespace std::chrono_literals;
using server::LogStream;

constexpr const char* kDenied = "001-NetworkPolicy-CREATE-bad-allow-everything.body.json";
constexpr const char* kDryRunDenied = "007-NetworkPolicy-CREATE-bad-allow-everything.body.json";
constexpr const char* kWarnedPod = "010-Pod-CREATE-p1.body.json";
constexpr const char* kDelete = "005-NetworkPolicy-DELETE-good-second.body.json";

rapidjson::Document ParseJson(const std::string& text) {
  rapidjson::Document document;
  document.Parse(text.c_str(), text.size());
  EXPECT_FALSE(document.HasParseError()) << text;
  return document;
}

std::string RequestUid(const std::string& body) {
  const auto json = ParseJson(body);
  return json["request"]["uid"].GetString();
}

// What the core answers for this body under the test rules: the server must send exactly this.
std::string CoreAnswer(const std::string& body) {
  const std::vector<RuleSource> sources = {{"rules.yaml", std::string(kTestRules)}};
  auto rules = LoadRuleSet(sources);
  EXPECT_TRUE(rules.ok());
  auto request = DecodeAdmissionReview(body);
  EXPECT_TRUE(request.ok());
  const ReviewResult result = Review(**rules, *request, {.on_error = ErrorPolicy::kDeny});
  return EncodeAdmissionReview(request->version, result.response);
}

std::string Metrics(const TestServer& server) {
  auto client = server.Connect();
  Reply reply = client->Get("/metrics");
  EXPECT_FALSE(reply.ec) << reply.ec.message();
  return reply.response.body();
}

// A good request on a new connection: the server is still serving.
void ExpectServing(const TestServer& server) {
  auto client = server.Connect();
  const std::string body = Fixture(kDenied);
  Reply reply = client->Send(ValidateRequest(body));
  ASSERT_FALSE(reply.ec) << reply.ec.message();
  EXPECT_EQ(reply.response.result(), http::status::ok);
  EXPECT_EQ(reply.response.body(), CoreAnswer(body));
}

TEST(ServerHttpsTest, AnswersEveryRecordedRequestOnOneKeepAliveConnection) {
  TestServer server;
  auto client = server.Connect();
  EXPECT_EQ(client->Alpn(), "http/1.1");
  EXPECT_EQ(client->Version(), "TLSv1.3");
  const auto names = FixtureBodies();
  ASSERT_EQ(names.size(), 17u);
  for (const auto& name : names) {
    SCOPED_TRACE(name);
    const std::string body = Fixture(name);
    Reply reply = client->Send(ValidateRequest(body));
    ASSERT_FALSE(reply.ec) << reply.ec.message();
    EXPECT_EQ(reply.response.result(), http::status::ok);
    EXPECT_EQ(reply.response[http::field::content_type], "application/json");
    EXPECT_TRUE(reply.response.keep_alive());
    const auto json = ParseJson(reply.response.body());
    EXPECT_STREQ(json["apiVersion"].GetString(), "admission.k8s.io/v1");
    EXPECT_STREQ(json["kind"].GetString(), "AdmissionReview");
    EXPECT_EQ(json["response"]["uid"].GetString(), RequestUid(body));
    EXPECT_EQ(reply.response.body(), CoreAnswer(body));
  }
}

TEST(ServerHttpsTest, DenialCarriesForbiddenAndTheRuleMessage) {
  TestServer server;
  auto client = server.Connect();
  for (const char* name : {kDenied, kDryRunDenied}) {
    SCOPED_TRACE(name);
    Reply reply = client->Send(ValidateRequest(Fixture(name)));
    ASSERT_FALSE(reply.ec);
    const auto json = ParseJson(reply.response.body());
    const auto& response = json["response"];
    EXPECT_FALSE(response["allowed"].GetBool());
    EXPECT_EQ(response["status"]["code"].GetInt(), 403);
    EXPECT_STREQ(response["status"]["reason"].GetString(), "Forbidden");
    EXPECT_TRUE(
        std::string(response["status"]["message"].GetString()).starts_with("[no-open-ingress] "))
        << response["status"]["message"].GetString();
  }
}

TEST(ServerHttpsTest, WarningsReachTheClientAndDeletesPass) {
  TestServer server;
  auto client = server.Connect();
  Reply reply = client->Send(ValidateRequest(Fixture(kWarnedPod)));
  ASSERT_FALSE(reply.ec);
  auto json = ParseJson(reply.response.body());
  EXPECT_TRUE(json["response"]["allowed"].GetBool());
  ASSERT_TRUE(json["response"].HasMember("warnings"));
  ASSERT_EQ(json["response"]["warnings"].Size(), 1u);
  EXPECT_TRUE(std::string(json["response"]["warnings"][0].GetString())
                  .starts_with("[require-pod-labels] "));

  reply = client->Send(ValidateRequest(Fixture(kDelete)));
  ASSERT_FALSE(reply.ec);
  json = ParseJson(reply.response.body());
  EXPECT_TRUE(json["response"]["allowed"].GetBool());
  EXPECT_FALSE(json["response"].HasMember("warnings"));
}

TEST(ServerHttpsTest, AnswersV1beta1InV1beta1) {
  TestServer server;
  std::string body = Fixture(kDenied);
  const std::string v1 = "\"apiVersion\":\"admission.k8s.io/v1\"";
  const auto at = body.find(v1);
  ASSERT_NE(at, std::string::npos);
  body.replace(at, v1.size(), "\"apiVersion\":\"admission.k8s.io/v1beta1\"");
  auto client = server.Connect();
  Reply reply = client->Send(ValidateRequest(body));
  ASSERT_FALSE(reply.ec);
  const auto json = ParseJson(reply.response.body());
  EXPECT_STREQ(json["apiVersion"].GetString(), "admission.k8s.io/v1beta1");
  EXPECT_EQ(json["response"]["uid"].GetString(), RequestUid(body));
  EXPECT_FALSE(json["response"]["allowed"].GetBool());
  EXPECT_EQ(json["response"]["status"]["code"].GetInt(), 403);
}

TEST(ServerHttpsTest, LogsOneJsonLinePerDecisionWithoutTheBody) {
  TestServer server;
  const std::string body = Fixture(kDenied);
  {
    auto client = server.Connect();
    ASSERT_FALSE(client->Send(ValidateRequest(body)).ec);
  }
  const auto lines = server.Lines(LogStream::kDecision);
  ASSERT_EQ(lines.size(), 1u);
  const auto json = ParseJson(lines[0]);
  EXPECT_STREQ(json["uid"].GetString(), RequestUid(body).c_str());
  EXPECT_STREQ(json["kind"].GetString(), "NetworkPolicy");
  EXPECT_STREQ(json["namespace"].GetString(), "default");
  EXPECT_STREQ(json["name"].GetString(), "bad-allow-everything");
  EXPECT_STREQ(json["operation"].GetString(), "CREATE");
  EXPECT_STREQ(json["user"].GetString(), "admin");
  EXPECT_FALSE(json["dry_run"].GetBool());
  EXPECT_STREQ(json["decision"].GetString(), "denied");
  ASSERT_EQ(json["findings"].Size(), 1u);
  EXPECT_STREQ(json["findings"][0]["rule"].GetString(), "no-open-ingress");
  EXPECT_STREQ(json["findings"][0]["action"].GetString(), "deny");
  EXPECT_TRUE(json["took_us"].IsInt64());
  EXPECT_TRUE(json["time"].IsString());
  // Nothing of the object itself: no managed fields, no ipBlock.
  EXPECT_EQ(lines[0].find("managedFields"), std::string::npos);
  EXPECT_EQ(lines[0].find("0.0.0.0/0"), std::string::npos);
}

struct BadRequestCase {
  std::string name;
  http::verb method;
  std::string target;
  std::string body;
  http::status status;
  std::string reason;  // in the one-line body
  std::string allow;   // the Allow header, for 405
};

std::string NestedArrays(int depth) {
  return std::string(static_cast<size_t>(depth), '[') +
         std::string(static_cast<size_t>(depth), ']');
}

std::vector<BadRequestCase> BadRequestCases() {
  const std::string fixture = Fixture(kDenied);
  const std::string review_head =
      R"({"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{)";
  const std::string request_tail =
      R"("kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE"}})";
  return {
      {"not JSON", http::verb::post, "/validate", "hello", http::status::bad_request,
       "not valid JSON", ""},
      {"truncated JSON", http::verb::post, "/validate", fixture.substr(0, fixture.size() / 2),
       http::status::bad_request, "not valid JSON", ""},
      {"not an AdmissionReview", http::verb::post, "/validate",
       R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"p"}})", http::status::bad_request,
       "not an AdmissionReview", ""},
      {"missing uid", http::verb::post, "/validate", review_head + request_tail,
       http::status::bad_request, "request.uid", ""},
      {"empty uid", http::verb::post, "/validate", review_head + R"("uid":"",)" + request_tail,
       http::status::bad_request, "request.uid", ""},
      {"nesting beyond the bound", http::verb::post, "/validate", NestedArrays(kMaxJsonDepth + 72),
       http::status::bad_request, "nests deeper than", ""},
      {"empty body", http::verb::post, "/validate", "", http::status::bad_request, "", ""},
      {"GET on /validate", http::verb::get, "/validate", "", http::status::method_not_allowed,
       "use POST", "POST"},
      {"PUT on /validate with a query", http::verb::put, "/validate?timeout=10s", fixture,
       http::status::method_not_allowed, "use POST", "POST"},
      {"POST on /healthz", http::verb::post, "/healthz", "{}", http::status::method_not_allowed,
       "use GET", "GET, HEAD"},
      {"DELETE on /metrics", http::verb::delete_, "/metrics", "", http::status::method_not_allowed,
       "use GET", "GET, HEAD"},
      {"unknown path", http::verb::post, "/mutate", fixture, http::status::not_found, "not found",
       ""},
      {"unknown path under /validate", http::verb::post, "/validate/x", fixture,
       http::status::not_found, "not found", ""},
  };
}

TEST(ServerHttpsTest, RefusesBadRequestsAndKeepsServing) {
  TestServer server;
  for (const auto& bad : BadRequestCases()) {
    SCOPED_TRACE(bad.name);
    auto client = server.Connect();
    Reply reply = client->Request(bad.method, bad.target, bad.body);
    ASSERT_FALSE(reply.ec) << reply.ec.message();
    EXPECT_EQ(reply.response.result(), bad.status);
    const std::string& text = reply.response.body();
    EXPECT_NE(text.find(bad.reason), std::string::npos) << text;
    EXPECT_EQ(text.find('\n'), text.size() - 1) << "one line: " << text;
    EXPECT_EQ(reply.response[http::field::allow], bad.allow);
    // The connection stays usable after a refusal at the HTTP level...
    const std::string good = Fixture(kDenied);
    Reply after = client->Send(ValidateRequest(good));
    ASSERT_FALSE(after.ec) << after.ec.message();
    EXPECT_EQ(after.response.body(), CoreAnswer(good));
    // ...and so does the server.
    ExpectServing(server);
  }
  const std::string metrics = Metrics(server);
  EXPECT_EQ(MetricValue(metrics, R"(netadmit_bad_requests_total{reason="invalid_review"})"), 7);
  EXPECT_EQ(MetricValue(metrics, R"(netadmit_bad_requests_total{reason="method_not_allowed"})"), 4);
  EXPECT_EQ(MetricValue(metrics, R"(netadmit_bad_requests_total{reason="not_found"})"), 2);
}

std::string RawHead(const std::string& extra_headers) {
  return "POST /validate?timeout=10s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
         "Content-Type: application/json\r\n" +
         extra_headers + "\r\n";
}

// Every field the decoder reads, given a value of the wrong type, plus versions and kinds it
// does not know: each gets a 400 naming the problem, and the next good request is answered.
TEST(ServerHttpsTest, WrongTypesInEveryFieldAreRefused) {
  const std::string head = R"({"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1",)";
  const std::string uid = R"("uid":"u",)";
  const std::string kind = R"("kind":{"group":"","version":"v1","kind":"Pod"},)";
  const std::string operation = R"("operation":"CREATE")";
  const std::string object =
      R"(,"object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}})";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"apiVersion a number", R"({"kind":"AdmissionReview","apiVersion":1,"request":{}})"},
      {"unknown apiVersion", R"({"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v2",)"
                             R"("request":{"uid":"u"}})"},
      {"kind not AdmissionReview", R"({"kind":"AdmissionRequest","apiVersion":)"
                                   R"("admission.k8s.io/v1","request":{"uid":"u"}})"},
      {"request a list", head + R"("request":[]})"},
      {"request missing", head + R"("response":{}})"},
      {"uid a number", head + R"("request":{"uid":7,)" + kind + operation + "}}"},
      {"kind a string", head + R"("request":{)" + uid + R"("kind":"Pod",)" + operation + "}}"},
      {"kind.kind a number", head + R"("request":{)" + uid +
                                 R"("kind":{"group":"","version":"v1","kind":3},)" + operation +
                                 "}}"},
      {"operation a number", head + R"("request":{)" + uid + kind + R"("operation":1}})"},
      {"unknown operation", head + R"("request":{)" + uid + kind + R"("operation":"PATCH"}})"},
      {"namespace an object",
       head + R"("request":{)" + uid + kind + operation + R"(,"namespace":{}}})"},
      {"userInfo a list", head + R"("request":{)" + uid + kind + operation + R"(,"userInfo":[]}})"},
      {"userInfo.groups a string", head + R"("request":{)" + uid + kind + operation +
                                       R"(,"userInfo":{"username":"a","groups":"g"}}})"},
      {"dryRun a string",
       head + R"("request":{)" + uid + kind + operation + R"(,"dryRun":"yes"}})"},
      {"object a string", head + R"("request":{)" + uid + kind + operation + R"(,"object":"x"}})"},
      {"oldObject a number",
       head + R"("request":{)" + uid + kind + operation + object + R"(,"oldObject":5}})"},
      {"subResource a number",
       head + R"("request":{)" + uid + kind + operation + R"(,"subResource":1}})"},
      {"100,000 levels of nesting", NestedArrays(100'000)},
      {"a NUL byte", std::string("{\"kind\"\0:1}", 11)},
  };
  TestServer server;
  auto client = server.Connect();
  for (const auto& [name, body] : cases) {
    SCOPED_TRACE(name);
    Reply reply = client->Post("/validate", body);
    ASSERT_FALSE(reply.ec) << reply.ec.message();
    EXPECT_EQ(reply.response.result(), http::status::bad_request) << reply.response.body();
    const std::string good = Fixture(kDenied);
    Reply after = client->Post("/validate", good);
    ASSERT_FALSE(after.ec) << after.ec.message();
    EXPECT_EQ(after.response.body(), CoreAnswer(good));
  }
  ExpectServing(server);
}

// A 50 MB body is refused on its Content-Length, before it is read.
TEST(ServerHttpsTest, FiftyMegabyteBodyGets413) {
  TestServer server;
  auto client = server.Connect();
  ASSERT_FALSE(client->WriteRaw(RawHead("Content-Length: 52428800\r\n") + std::string(4096, ' ')));
  Reply reply = client->ReadResponse();
  ASSERT_FALSE(reply.ec) << reply.ec.message();
  EXPECT_EQ(reply.response.result(), http::status::payload_too_large);
  EXPECT_FALSE(reply.response.keep_alive());
  ExpectServing(server);
}

// A client that goes away with its request half sent costs nothing but its connection.
TEST(ServerHttpsTest, ClientGoneMidRequestLeavesTheServerServing) {
  TestServer server;
  const std::string body = Fixture(kDenied);
  for (int i = 0; i < 5; ++i) {
    auto client = server.Connect();
    ASSERT_FALSE(
        client->WriteRaw(RawHead("Content-Length: " + std::to_string(body.size()) + "\r\n") +
                         body.substr(0, body.size() / 2)));
    client.reset();  // closes the socket without finishing the request or the TLS session
  }
  ExpectServing(server);
  auto client = server.Connect();
  Reply reply = client->Post("/validate", body);
  ASSERT_FALSE(reply.ec) << reply.ec.message();
  EXPECT_EQ(reply.response.body(), CoreAnswer(body));
}

TEST(ServerHttpsTest, BodyOverThreeMiBWithContentLengthGets413AndClose) {
  TestServer server;
  auto client = server.Connect();
  const std::string body(4 * 1024 * 1024, ' ');
  ASSERT_FALSE(
      client->WriteRaw(RawHead("Content-Length: " + std::to_string(body.size()) + "\r\n") + body));
  Reply reply = client->ReadResponse();
  ASSERT_FALSE(reply.ec) << reply.ec.message();
  EXPECT_EQ(reply.response.result(), http::status::payload_too_large);
  EXPECT_FALSE(reply.response.keep_alive());
  EXPECT_TRUE(client->WaitForClose(3s));
  EXPECT_EQ(MetricValue(Metrics(server), R"(netadmit_bad_requests_total{reason="body_too_large"})"),
            1);
  ExpectServing(server);
}

TEST(ServerHttpsTest, ClientTricklingAfterARefusalIsNotReadForever) {
  TestServer server;
  auto client = server.Connect();
  ASSERT_FALSE(client->WriteRaw(RawHead("Content-Length: 4194304\r\n")));
  Reply reply = client->ReadResponse();
  ASSERT_FALSE(reply.ec) << reply.ec.message();
  EXPECT_EQ(reply.response.result(), http::status::payload_too_large);
  // The server drops what still comes for a moment, then closes: writes start failing.
  const auto started = std::chrono::steady_clock::now();
  bool failed = false;
  while (!failed && std::chrono::steady_clock::now() - started < 6s) {
    failed = static_cast<bool>(client->WriteRaw(std::string(100, ' ')));
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(failed);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 4s);
}

TEST(ServerHttpsTest, ChunkedBodyFoundOverThreeMiBWhileReadingGets413AndClose) {
  TestServer server;
  auto client = server.Connect();
  ASSERT_FALSE(client->WriteRaw(RawHead("Transfer-Encoding: chunked\r\n")));
  const std::string chunk = "10000\r\n" + std::string(0x10000, ' ') + "\r\n";
  for (int i = 0; i < 64; ++i) {  // 4 MiB; the server stops reading past 3 MiB
    if (client->WriteRaw(chunk)) {
      break;
    }
  }
  Reply reply = client->ReadResponse();
  ASSERT_FALSE(reply.ec) << reply.ec.message();
  EXPECT_EQ(reply.response.result(), http::status::payload_too_large);
  EXPECT_TRUE(client->WaitForClose(3s));
  ExpectServing(server);
}

TEST(ServerHttpsTest, HeadersOverTheLimitGet431) {
  TestServer server;
  auto client = server.Connect();
  ASSERT_FALSE(client->WriteRaw(RawHead("X-Padding: " + std::string(20 * 1024, 'a') + "\r\n")));
  Reply reply = client->ReadResponse();
  ASSERT_FALSE(reply.ec) << reply.ec.message();
  EXPECT_EQ(reply.response.result(), http::status::request_header_fields_too_large);
  EXPECT_TRUE(client->WaitForClose(3s));
  ExpectServing(server);
}

TEST(ServerHttpsTest, MalformedHttpGets400AndClose) {
  TestServer server;
  auto client = server.Connect();
  ASSERT_FALSE(client->WriteRaw("THIS IS NOT HTTP\r\n\r\n"));
  Reply reply = client->ReadResponse();
  ASSERT_FALSE(reply.ec) << reply.ec.message();
  EXPECT_EQ(reply.response.result(), http::status::bad_request);
  EXPECT_NE(reply.response.body().find("malformed HTTP request"), std::string::npos);
  EXPECT_TRUE(client->WaitForClose(3s));
  ExpectServing(server);
}

TestServer::Config ShortRequestTimeout() {
  TestServer::Config config;
  config.adjust = [](server::ServerOptions& options) { options.session.request_timeout = 500ms; };
  return config;
}

TEST(ServerHttpsTest, ContentLengthLongerThanTheBodyIsCutOffByTheTimeout) {
  TestServer server(ShortRequestTimeout());
  auto client = server.Connect();
  const std::string body = Fixture(kDenied);
  ASSERT_FALSE(client->WriteRaw(
      RawHead("Content-Length: " + std::to_string(body.size() + 100) + "\r\n") + body));
  std::string received;
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(client->WaitForClose(5s, &received));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  EXPECT_EQ(received, "") << "no response to a request that never completed";
  EXPECT_EQ(MetricValue(Metrics(server), R"(netadmit_bad_requests_total{reason="timeout"})"), 1);
  ExpectServing(server);
}

TEST(ServerHttpsTest, ContentLengthShorterThanTheBodyGets400ForWhatFollows) {
  TestServer server;
  auto client = server.Connect();
  const std::string body = Fixture(kDenied);
  ASSERT_FALSE(client->WriteRaw(RawHead("Content-Length: 10\r\n") + body));
  // The first 10 bytes are not an AdmissionReview; the rest is not HTTP.
  Reply first = client->ReadResponse();
  ASSERT_FALSE(first.ec) << first.ec.message();
  EXPECT_EQ(first.response.result(), http::status::bad_request);
  Reply second = client->ReadResponse();
  ASSERT_FALSE(second.ec) << second.ec.message();
  EXPECT_EQ(second.response.result(), http::status::bad_request);
  EXPECT_NE(second.response.body().find("malformed HTTP request"), std::string::npos);
  EXPECT_TRUE(client->WaitForClose(3s));
  ExpectServing(server);
}

TEST(ServerHttpsTest, SlowHeadersAreCutOffByTheRequestTimeout) {
  TestServer server(ShortRequestTimeout());
  auto client = server.Connect();
  ASSERT_FALSE(client->WriteRaw("POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "));
  // One byte every 100 ms: the connection is never idle, yet the request never completes.
  const auto started = std::chrono::steady_clock::now();
  bool closed = false;
  while (std::chrono::steady_clock::now() - started < 5s) {
    if (client->WriteRaw("a") || client->Readable(100ms)) {
      closed = true;
      break;
    }
  }
  EXPECT_TRUE(closed);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  EXPECT_TRUE(client->WaitForClose(3s));
  ExpectServing(server);
}

TEST(ServerHttpsTest, IdleKeepAliveConnectionsStayOpenBetweenRequests) {
  TestServer server(ShortRequestTimeout());
  auto client = server.Connect();
  const std::string body = Fixture(kDenied);
  ASSERT_FALSE(client->Send(ValidateRequest(body)).ec);
  // Idle longer than the request timeout: only the (long) idle timeout applies between requests.
  EXPECT_FALSE(client->Readable(800ms));
  Reply reply = client->Send(ValidateRequest(body));
  ASSERT_FALSE(reply.ec) << reply.ec.message();
  EXPECT_EQ(reply.response.body(), CoreAnswer(body));
}

TEST(ServerHttpsTest, ConnectionThatNeverSendsARequestIsCutOff) {
  TestServer server(ShortRequestTimeout());
  auto client = server.Connect();
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(client->WaitForClose(5s));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  ExpectServing(server);
}

TEST(ServerHttpsTest, IdleTimeoutClosesForgottenConnections) {
  TestServer::Config config;
  config.adjust = [](server::ServerOptions& options) { options.session.idle_timeout = 300ms; };
  TestServer server(config);
  auto client = server.Connect();
  ASSERT_FALSE(client->Get("/healthz").ec);
  EXPECT_TRUE(client->WaitForClose(3s));
}

TEST(ServerHttpsTest, PipelinedRequestsAreAnsweredInOrder) {
  TestServer server;
  auto client = server.Connect();
  const std::string denied = Fixture(kDenied);
  const std::string pod = Fixture(kWarnedPod);
  std::string bytes;
  for (const std::string* body : {&denied, &pod}) {
    bytes += RawHead("Content-Length: " + std::to_string(body->size()) + "\r\n") + *body;
  }
  ASSERT_FALSE(client->WriteRaw(bytes));
  Reply first = client->ReadResponse();
  Reply second = client->ReadResponse();
  ASSERT_FALSE(first.ec || second.ec);
  EXPECT_EQ(first.response.body(), CoreAnswer(denied));
  EXPECT_EQ(second.response.body(), CoreAnswer(pod));
}

TEST(ServerHttpsTest, PipelinedRequestAfterOneWithoutABodyIsAnswered) {
  // The first request is complete with its head; the second is already in the buffer behind it.
  TestServer server;
  auto client = server.Connect();
  const std::string denied = Fixture(kDenied);
  ASSERT_FALSE(client->WriteRaw(
      "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" +
      RawHead("Content-Length: " + std::to_string(denied.size()) + "\r\n") + denied));
  Reply health = client->ReadResponse();
  ASSERT_FALSE(health.ec) << health.ec.message();
  EXPECT_EQ(health.response.result(), http::status::ok);
  EXPECT_EQ(health.response.body(), "ok\n");
  Reply review = client->ReadResponse();
  ASSERT_FALSE(review.ec) << review.ec.message();
  EXPECT_EQ(review.response.body(), CoreAnswer(denied));
}

TEST(ServerHttpsTest, OneWorkerThreadServesManyConnectionsAtOnce) {
  // With one thread the connections share the io_context's executor, without strands.
  TestServer::Config config;
  config.adjust = [](server::ServerOptions& options) { options.threads = 1; };
  TestServer server(config);
  const auto names = FixtureBodies();
  std::vector<std::thread> clients;
  std::vector<int> answered(4, 0);
  for (size_t c = 0; c < answered.size(); ++c) {
    clients.emplace_back([&, c] {
      auto client = server.Connect();
      for (int round = 0; round < 3; ++round) {
        // Two requests in one write, then one at a time: buffered and read paths both.
        const std::string first = Fixture(names[(c + round) % names.size()]);
        const std::string second = Fixture(names[(c + round + 1) % names.size()]);
        ASSERT_FALSE(client->WriteRaw(
            RawHead("Content-Length: " + std::to_string(first.size()) + "\r\n") + first +
            RawHead("Content-Length: " + std::to_string(second.size()) + "\r\n") + second));
        for (const std::string* body : {&first, &second}) {
          Reply reply = client->ReadResponse();
          ASSERT_FALSE(reply.ec) << reply.ec.message();
          EXPECT_EQ(reply.response.body(), CoreAnswer(*body));
          ++answered[c];
        }
        const std::string third = Fixture(names[(c + round + 2) % names.size()]);
        Reply reply = client->Send(ValidateRequest(third));
        ASSERT_FALSE(reply.ec) << reply.ec.message();
        EXPECT_EQ(reply.response.body(), CoreAnswer(third));
        ++answered[c];
      }
    });
  }
  for (auto& client : clients) {
    client.join();
  }
  EXPECT_EQ(answered, std::vector<int>(4, 9));
}

TEST(ServerHttpsTest, ExpectContinueGetsContinueBeforeTheBody) {
  TestServer server;
  auto client = server.Connect();
  const std::string body = Fixture(kDenied);
  ASSERT_FALSE(client->WriteRaw(
      RawHead("Content-Length: " + std::to_string(body.size()) + "\r\nExpect: 100-continue\r\n")));
  Reply interim = client->ReadResponse();
  ASSERT_FALSE(interim.ec) << interim.ec.message();
  EXPECT_EQ(interim.response.result(), http::status::continue_);
  ASSERT_FALSE(client->WriteRaw(body));
  Reply reply = client->ReadResponse();
  ASSERT_FALSE(reply.ec) << reply.ec.message();
  EXPECT_EQ(reply.response.body(), CoreAnswer(body));
}

TEST(ServerHttpsTest, HealthReadinessAndMetrics) {
  TestServer server;
  auto client = server.Connect();
  Reply health = client->Get("/healthz");
  EXPECT_EQ(health.response.result(), http::status::ok);
  EXPECT_EQ(health.response.body(), "ok\n");
  Reply ready = client->Get("/readyz?verbose");
  EXPECT_EQ(ready.response.result(), http::status::ok);
  EXPECT_TRUE(server.server().Ready());

  ASSERT_FALSE(client->Send(ValidateRequest(Fixture(kDenied))).ec);
  ASSERT_FALSE(client->Send(ValidateRequest(Fixture(kWarnedPod))).ec);
  ASSERT_FALSE(client->Send(ValidateRequest(Fixture(kDelete))).ec);
  Reply metrics = client->Get("/metrics");
  ASSERT_EQ(metrics.response.result(), http::status::ok);
  EXPECT_TRUE(metrics.response[http::field::content_type].starts_with("text/plain; version=0.0.4"));
  const std::string& text = metrics.response.body();
  EXPECT_EQ(
      MetricValue(
          text,
          R"(netadmit_admission_requests_total{decision="denied",kind="NetworkPolicy",operation="CREATE"})"),
      1);
  EXPECT_EQ(
      MetricValue(
          text,
          R"(netadmit_admission_requests_total{decision="allowed",kind="Pod",operation="CREATE"})"),
      1);
  EXPECT_EQ(
      MetricValue(
          text,
          R"(netadmit_admission_requests_total{decision="allowed",kind="NetworkPolicy",operation="DELETE"})"),
      1);
  EXPECT_EQ(
      MetricValue(text, R"(netadmit_rule_violations_total{action="deny",rule="no-open-ingress"})"),
      1);
  EXPECT_EQ(MetricValue(
                text, R"(netadmit_rule_violations_total{action="warn",rule="require-pod-labels"})"),
            1);
  EXPECT_EQ(MetricValue(text, "netadmit_admission_duration_seconds_count"), 3);
  EXPECT_GE(MetricValue(text, R"(netadmit_admission_duration_seconds_bucket{le="5e-05"})"), 0);
  EXPECT_EQ(MetricValue(text, R"(netadmit_admission_duration_seconds_bucket{le="2.5"})"), 3);
  EXPECT_EQ(MetricValue(text, "netadmit_rules_in_force"), 2);
  EXPECT_EQ(MetricValue(text, "netadmit_ruleset_load_errors_total"), 0);
  EXPECT_EQ(MetricValue(text, "netadmit_connections_refused_total"), 0);
  EXPECT_EQ(MetricValue(text, "netadmit_connections_open"), 1);
}

TEST(ServerHttpsTest, ListensOnAllAddressesOfBothFamilies) {
  TestServer::Config config;
  config.adjust = [](server::ServerOptions& options) { options.listen = "[::]:0"; };
  std::unique_ptr<TestServer> server;
  try {
    server = std::make_unique<TestServer>(config);
  } catch (const std::exception& e) {
    GTEST_SKIP() << "no IPv6 here: " << e.what();
  }
  // An IPv4 client reaches the IPv6 wildcard socket.
  ExpectServing(*server);
}

TEST(ServerHttpsTest, PlainHttpOnTheTlsPortIsDropped) {
  TestServer server;
  const PlainExchange exchange =
      SendPlain(server.port(), "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 3s);
  EXPECT_TRUE(exchange.closed);
  EXPECT_EQ(exchange.received.find("HTTP/1.1"), std::string::npos);
  EXPECT_TRUE(server.WaitForLine(LogStream::kEvent, "tls_handshake_failed"));
  EXPECT_EQ(MetricValue(Metrics(server), "netadmit_tls_handshake_errors_total"), 1);
  ExpectServing(server);
}

struct TlsCase {
  std::string name;
  int min_version;
  int max_version;
  std::string ciphers;
  std::vector<std::string> alpn;
  bool accepted;
  std::string version;  // negotiated, when accepted
};

TEST(ServerHttpsTest, OffersTls12And13OnlyWithStrongCiphersAndHttp11) {
  TestServer server;
  const std::vector<TlsCase> cases = {
      {"TLS 1.3", 0, 0, "", {"http/1.1"}, true, "TLSv1.3"},
      {"TLS 1.2", 0, TLS1_2_VERSION, "", {"http/1.1"}, true, "TLSv1.2"},
      {"TLS 1.2 ECDHE-ECDSA-CHACHA20",
       0,
       TLS1_2_VERSION,
       "ECDHE-ECDSA-CHACHA20-POLY1305",
       {"http/1.1"},
       true,
       "TLSv1.2"},
      {"no ALPN", 0, 0, "", {}, true, "TLSv1.3"},
      {"TLS 1.1", TLS1_1_VERSION, TLS1_1_VERSION, "DEFAULT:@SECLEVEL=0", {"http/1.1"}, false, ""},
      {"TLS 1.0", TLS1_VERSION, TLS1_VERSION, "DEFAULT:@SECLEVEL=0", {"http/1.1"}, false, ""},
      {"TLS 1.2 CBC without forward secrecy",
       0,
       TLS1_2_VERSION,
       "AES128-SHA:@SECLEVEL=0",
       {"http/1.1"},
       false,
       ""},
      {"TLS 1.2 ECDHE with CBC",
       0,
       TLS1_2_VERSION,
       "ECDHE-ECDSA-AES128-SHA256",
       {"http/1.1"},
       false,
       ""},
      {"ALPN h2 only", 0, 0, "", {"h2"}, false, ""},
  };
  int refused = 0;
  for (const auto& tls : cases) {
    SCOPED_TRACE(tls.name);
    ClientOptions options = server.Client();
    options.min_version = tls.min_version;
    options.max_version = tls.max_version;
    options.cipher_list = tls.ciphers;
    options.alpn = tls.alpn;
    HttpsClient client(server.port(), options);
    const auto ec = client.Connect();
    EXPECT_EQ(!ec, tls.accepted) << ec.message();
    if (ec) {
      ++refused;
      // The server refused (and counted it), not the client.
      EXPECT_TRUE(Eventually([&] {
        return MetricValue(Metrics(server), "netadmit_tls_handshake_errors_total") == refused;
      })) << "refused by the client itself?";
      continue;
    }
    EXPECT_EQ(client.Version(), tls.version);
    Reply reply = client.Get("/healthz");
    EXPECT_EQ(reply.response.result(), http::status::ok);
  }
  ExpectServing(server);
}

TEST(ServerHttpsTest, ConnectionsPastTheCapAreClosedAndCounted) {
  TestServer::Config config;
  config.adjust = [](server::ServerOptions& options) { options.max_connections = 2; };
  TestServer server(config);
  auto first = server.Connect();
  auto second = server.Connect();
  ASSERT_EQ(first->Get("/healthz").response.result(), http::status::ok);
  ASSERT_EQ(second->Get("/healthz").response.result(), http::status::ok);

  HttpsClient third(server.port(), server.Client());
  EXPECT_TRUE(third.Connect()) << "a third connection must be refused";

  first.reset();  // frees a place
  std::string metrics;
  EXPECT_TRUE(Eventually([&] {
    HttpsClient client(server.port(), server.Client());
    if (client.Connect()) {
      return false;
    }
    metrics = client.Get("/metrics").response.body();
    return !metrics.empty();
  }));
  EXPECT_GE(MetricValue(metrics, "netadmit_connections_refused_total"), 1);
}

TEST(ServerHttpsTest, RequestsPastTheInFlightCapGet503) {
  TestServer::Config config;
  config.adjust = [](server::ServerOptions& options) { options.session.max_in_flight = 1; };
  TestServer server(config);
  const std::string body = Fixture(kDenied);

  // A request whose body is half sent holds the one place.
  auto slow = server.Connect();
  ASSERT_FALSE(slow->WriteRaw(RawHead("Content-Length: " + std::to_string(body.size()) + "\r\n") +
                              body.substr(0, body.size() / 2)));
  auto observer = server.Connect();
  ASSERT_TRUE(Eventually([&] {
    return MetricValue(observer->Get("/metrics").response.body(), "netadmit_requests_in_flight") ==
           1;
  }));

  auto refused = server.Connect();
  Reply busy = refused->Send(ValidateRequest(body));
  ASSERT_FALSE(busy.ec) << busy.ec.message();
  EXPECT_EQ(busy.response.result(), http::status::service_unavailable);
  EXPECT_EQ(busy.response[http::field::retry_after], "1");
  EXPECT_FALSE(busy.response.keep_alive());
  // Probes are not held back by the cap.
  EXPECT_EQ(observer->Get("/healthz").response.result(), http::status::ok);

  ASSERT_FALSE(slow->WriteRaw(body.substr(body.size() / 2)));
  Reply done = slow->ReadResponse();
  ASSERT_FALSE(done.ec) << done.ec.message();
  EXPECT_EQ(done.response.body(), CoreAnswer(body));
  ExpectServing(server);
}

TEST(ServerHttpsTest, ShutdownFinishesRequestsUnderWayAndClosesIdleConnections) {
  TestServer server;
  const std::string body = Fixture(kDenied);
  auto idle = server.Connect();
  ASSERT_FALSE(idle->Send(ValidateRequest(body)).ec);
  auto busy = server.Connect();
  ASSERT_FALSE(busy->WriteRaw(RawHead("Content-Length: " + std::to_string(body.size()) + "\r\n") +
                              body.substr(0, 100)));
  ASSERT_TRUE(server.WaitForLine(LogStream::kEvent, "\"listening\""));
  // Let the server see the head of the busy request before the shutdown begins.
  ASSERT_TRUE(Eventually([&] {
    auto client = server.Connect();
    return MetricValue(client->Get("/metrics").response.body(), "netadmit_requests_in_flight") == 1;
  }));

  server.server().Shutdown();
  ASSERT_TRUE(server.WaitForLine(LogStream::kEvent, "\"shutting_down\""));
  EXPECT_FALSE(server.server().Ready());
  EXPECT_TRUE(idle->WaitForClose(3s)) << "idle keep-alive connections are closed";
  idle.reset();
  HttpsClient late(server.port(), server.Client());
  EXPECT_TRUE(late.Connect()) << "no new connections after the shutdown began";

  ASSERT_FALSE(busy->WriteRaw(body.substr(100)));
  Reply reply = busy->ReadResponse();
  ASSERT_FALSE(reply.ec) << reply.ec.message();
  EXPECT_EQ(reply.response.body(), CoreAnswer(body));
  EXPECT_FALSE(reply.response.keep_alive()) << "the last response says Connection: close";
  busy.reset();

  const auto started = std::chrono::steady_clock::now();
  server.server().Wait();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  EXPECT_TRUE(server.WaitForLine(LogStream::kEvent, "\"stopped\""));
}

}  // namespace
}  // namespace netadmit::testing
