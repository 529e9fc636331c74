// The `netadmit` executable itself: SIGTERM drains and exits 0; startup failures exit 1 with a
// JSON error line; `check` and `version` exit codes and output; and scripts/dev-certs.sh makes
// certificates the server serves with and clients verify.

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <rapidjson/document.h>
#include <signal.h>

#include <cstdio>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "tests/support/child_process.h"
#include "tests/support/https_client.h"
#include "tests/support/test_certs.h"
#include "tests/support/test_server.h"

namespace netadmit::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kBinary = NETADMIT_BINARY;
constexpr const char* kDenied = "001-NetworkPolicy-CREATE-bad-allow-everything.body.json";

rapidjson::Document ParseJson(const std::string& text) {
  rapidjson::Document document;
  document.Parse(text.c_str(), text.size());
  EXPECT_FALSE(document.HasParseError()) << text;
  return document;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t end = text.find('\n'); end != std::string::npos;
       start = end + 1, end = text.find('\n', start)) {
    lines.push_back(text.substr(start, end - start));
  }
  return lines;
}

struct ServingFiles {
  TempDir dir;
  TestCa ca;
  ServingFiles() {
    const IssuedCertificate issued = ca.Issue(7);
    dir.Write("ca.crt", ca.cert_pem());
    dir.Write("tls.crt", issued.cert_pem);
    dir.Write("tls.key", issued.key_pem);
    dir.Write("rules.yaml", std::string(kTestRules));
  }
  std::vector<std::string> ServeArgs() const {
    return {kBinary,      "serve",
            "--listen",   "127.0.0.1:0",
            "--tls-cert", dir.File("tls.crt"),
            "--tls-key",  dir.File("tls.key"),
            "--rules",    dir.File("rules.yaml"),
            "--threads",  "2"};
  }
};

uint16_t ListeningPort(ChildProcess& child) {
  const auto line = child.WaitForStderr("\"event\":\"listening\"", 10s);
  if (!line) {
    ADD_FAILURE() << "no listening line; stderr: " << child.err();
    return 0;
  }
  return static_cast<uint16_t>(ParseJson(*line)["port"].GetInt());
}

std::string RawPostHead(std::size_t length) {
  return "POST /validate?timeout=10s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
         "application/json\r\nContent-Length: " +
         std::to_string(length) + "\r\n\r\n";
}

TEST(ServerProcessTest, SigtermDrainsAndExitsZero) {
  ServingFiles files;
  ChildProcess child(files.ServeArgs());
  const uint16_t port = ListeningPort(child);
  ASSERT_NE(port, 0);
  ClientOptions options;
  options.ca_file = files.dir.File("ca.crt");
  const std::string body = Fixture(kDenied);

  auto idle = std::make_unique<HttpsClient>(port, options);
  ASSERT_FALSE(idle->Connect());
  Reply first = idle->Send(ValidateRequest(body));
  ASSERT_FALSE(first.ec) << first.ec.message();
  EXPECT_EQ(first.response.result(), http::status::ok);

  // A request under way when the signal comes: its head and half its body.
  auto busy = std::make_unique<HttpsClient>(port, options);
  ASSERT_FALSE(busy->Connect());
  ASSERT_FALSE(busy->WriteRaw(RawPostHead(body.size()) + body.substr(0, body.size() / 2)));
  ASSERT_TRUE(Eventually([&] {
    HttpsClient probe(port, options);
    return !probe.Connect() &&
           MetricValue(probe.Get("/metrics").response.body(), "netadmit_requests_in_flight") == 1;
  }));

  child.Signal(SIGTERM);
  ASSERT_TRUE(child.WaitForStderr("\"event\":\"shutting_down\"", 5s)) << child.err();
  EXPECT_TRUE(idle->WaitForClose(3s)) << "the idle keep-alive connection is closed";
  idle.reset();

  ASSERT_FALSE(busy->WriteRaw(body.substr(body.size() / 2)));
  Reply last = busy->ReadResponse();
  ASSERT_FALSE(last.ec) << last.ec.message();
  EXPECT_EQ(last.response.result(), http::status::ok);
  EXPECT_FALSE(last.response.keep_alive());
  EXPECT_EQ(ParseJson(last.response.body())["response"]["allowed"].GetBool(), false);
  busy.reset();

  const auto started = std::chrono::steady_clock::now();
  const auto code = child.Wait(5s);
  ASSERT_TRUE(code.has_value()) << "still running 5 s after SIGTERM";
  EXPECT_EQ(*code, 0) << child.err();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 4s);

  // One decision line per reviewed request on stdout, JSON each.
  const auto decisions = Lines(child.out());
  ASSERT_EQ(decisions.size(), 2u) << child.out();
  for (const auto& line : decisions) {
    EXPECT_STREQ(ParseJson(line)["decision"].GetString(), "denied");
  }
  // Lifecycle events on stderr, JSON each.
  for (const auto& line : Lines(child.err())) {
    EXPECT_TRUE(ParseJson(line).IsObject()) << line;
  }
  EXPECT_NE(child.err().find("\"event\":\"stopped\""), std::string::npos);
}

TEST(ServerProcessTest, IdleServerStopsAtOnceOnSigint) {
  ServingFiles files;
  ChildProcess child(files.ServeArgs());
  ASSERT_NE(ListeningPort(child), 0);
  child.Signal(SIGINT);
  const auto code = child.Wait(3s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << child.err();
}

TEST(ServerProcessTest, StartupFailuresExitOneNamingTheCause) {
  ServingFiles files;
  files.dir.Write("broken.crt", "not a certificate\n");
  files.dir.Write("bad-rules.yaml",
                  "apiVersion: netadmit.io/v1alpha1\nkind: RuleSet\n"
                  "metadata: {name: x}\nspec:\n  rules: [oops\n");
  struct Case {
    std::string name;
    std::vector<std::string> replace;  // flag, value
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"unreadable certificate", {"--tls-cert", files.dir.File("broken.crt")}, "broken.crt"},
      {"missing key", {"--tls-key", files.dir.File("missing.key")}, "missing.key"},
      {"bad rules", {"--rules", files.dir.File("bad-rules.yaml")}, "bad-rules.yaml:"},
      {"bad listen address", {"--listen", "nowhere:8443"}, "invalid listen address"},
  };
  for (const auto& test : cases) {
    SCOPED_TRACE(test.name);
    std::vector<std::string> args = files.ServeArgs();
    for (std::size_t i = 0; i + 1 < args.size(); ++i) {
      if (args[i] == test.replace[0]) {
        args[i + 1] = test.replace[1];
      }
    }
    const RunResult result = RunProcess(args);
    EXPECT_EQ(result.exit_code, 1);
    const auto lines = Lines(result.err);
    ASSERT_FALSE(lines.empty());
    const auto json = ParseJson(lines.back());
    EXPECT_STREQ(json["event"].GetString(), "startup_failed");
    EXPECT_NE(std::string(json["error"].GetString()).find(test.expected), std::string::npos)
        << lines.back();
  }
}

TEST(ServerProcessTest, UsageErrorsExitTwo) {
  EXPECT_EQ(RunProcess({kBinary}).exit_code, 2);
  EXPECT_EQ(RunProcess({kBinary, "serve"}).exit_code, 2) << "--tls-cert and --tls-key are required";
  EXPECT_EQ(
      RunProcess({kBinary, "serve", "--tls-cert", "a", "--tls-key", "b", "--on-error", "maybe"})
          .exit_code,
      2);
  EXPECT_EQ(RunProcess({kBinary, "serve", "--tls-cert", "a", "--tls-key", "b", "--request-timeout",
                        "soon"})
                .exit_code,
            2);
  EXPECT_EQ(RunProcess({kBinary, "check"}).exit_code, 2) << "-f is required";
  EXPECT_EQ(RunProcess({kBinary, "frobnicate"}).exit_code, 2);
  const RunResult help = RunProcess({kBinary, "serve", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--on-error"), std::string::npos);
  EXPECT_NE(help.out.find("fail closed, the default"), std::string::npos);
}

// The build type as `netadmit version` names it: the CMake configuration, "None" without one.
std::string BuildType() {
  const std::string type = NETADMIT_BUILD_TYPE;
  return type.empty() ? "None" : type;
}

TEST(ServerProcessTest, VersionPrintsVersionCommitAndBuildType) {
  const RunResult text = RunProcess({kBinary, "version"});
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_EQ(text.out, std::string("netadmit ") + NETADMIT_PROJECT_VERSION + "\ncommit: " +
                          NETADMIT_GIT_COMMIT + "\nbuild type: " + BuildType() + "\n");

  const RunResult json = RunProcess({kBinary, "version", "-o", "json"});
  EXPECT_EQ(json.exit_code, 0);
  const rapidjson::Document document = ParseJson(json.out);
  ASSERT_TRUE(document.IsObject()) << json.out;
  EXPECT_STREQ(document["version"].GetString(), NETADMIT_PROJECT_VERSION);
  EXPECT_STREQ(document["gitCommit"].GetString(), NETADMIT_GIT_COMMIT);
  EXPECT_EQ(document["buildType"].GetString(), BuildType());
  EXPECT_EQ(document.MemberCount(), 3u);

  const RunResult flag = RunProcess({kBinary, "--version"});
  EXPECT_EQ(flag.exit_code, 0);
  EXPECT_EQ(flag.out, std::string(NETADMIT_PROJECT_VERSION) + "\n");
  EXPECT_EQ(RunProcess({kBinary, "version", "-o", "yaml"}).exit_code, 2);
}

constexpr const char* kOpenIngressManifest = R"(apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: open, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress:
    - from: [{ipBlock: {cidr: 0.0.0.0/0}}]
      ports: [{port: 80}]
)";

constexpr const char* kDenyAllManifest = R"(apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
)";

// True when `text` holds `prefix` followed by "line:column:" or "column:".
bool NamesFileLineColumn(const std::string& text, const std::string& prefix) {
  const std::string pattern =
      std::regex_replace(prefix, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)");
  return std::regex_search(text, std::regex(pattern + R"(:?\d+:(\d+:)?)"));
}

TEST(ServerProcessTest, CheckExitCodesFollowTheFindings) {
  TempDir dir;
  dir.Write("rules.yaml", std::string(kTestRules));
  dir.Write("open.yaml", kOpenIngressManifest);
  dir.Write("deny-all.yaml", kDenyAllManifest);
  dir.Write("broken.yaml", "kind: NetworkPolicy\nmetadata: {name: [unclosed\n");
  dir.Write("bad-rules.yaml",
            "apiVersion: netadmit.io/v1alpha1\nkind: RuleSet\n"
            "metadata: {name: x}\nspec:\n  rules:\n"
            "    - {id: a, kind: NoSuchKind, action: deny}\n");
  const std::string rules = dir.File("rules.yaml");

  const RunResult denied =
      RunProcess({kBinary, "check", "-f", dir.File("open.yaml"), "--rules", rules});
  EXPECT_EQ(denied.exit_code, 1) << denied.err;
  EXPECT_NE(denied.out.find("[no-open-ingress]"), std::string::npos) << denied.out;

  const RunResult clean =
      RunProcess({kBinary, "check", "-f", dir.File("deny-all.yaml"), "--rules", rules});
  EXPECT_EQ(clean.exit_code, 0) << clean.err;

  const RunResult both = RunProcess({kBinary, "check", "-f", dir.File("deny-all.yaml"), "-f",
                                     dir.File("open.yaml"), "--rules", rules, "-o", "json"});
  EXPECT_EQ(both.exit_code, 1);
  const auto json = ParseJson(both.out);
  ASSERT_TRUE(json.IsObject());
  ASSERT_TRUE(json.HasMember("objects"));
  EXPECT_EQ(json["objects"].Size(), 2u);

  const RunResult from_stdin =
      RunProcess({kBinary, "check", "-f", "-", "--rules", rules}, kOpenIngressManifest);
  EXPECT_EQ(from_stdin.exit_code, 1) << from_stdin.err;

  const RunResult broken =
      RunProcess({kBinary, "check", "-f", dir.File("broken.yaml"), "--rules", rules});
  EXPECT_EQ(broken.exit_code, 2);
  EXPECT_TRUE(NamesFileLineColumn(broken.err, dir.File("broken.yaml"))) << broken.err;

  const RunResult bad_rules = RunProcess(
      {kBinary, "check", "-f", dir.File("open.yaml"), "--rules", dir.File("bad-rules.yaml")});
  EXPECT_EQ(bad_rules.exit_code, 2);
  EXPECT_TRUE(NamesFileLineColumn(bad_rules.err, dir.File("bad-rules.yaml") + ":6:"))
      << bad_rules.err;
}

bool CertificateNames(const std::string& pem_file, const std::vector<std::string>& hosts,
                      const std::vector<std::string>& ips) {
  std::unique_ptr<FILE, decltype(&fclose)> file(fopen(pem_file.c_str(), "r"), fclose);
  if (!file) {
    return false;
  }
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_X509(file.get(), nullptr, nullptr, nullptr), X509_free);
  if (!cert) {
    return false;
  }
  for (const auto& host : hosts) {
    if (X509_check_host(cert.get(), host.c_str(), host.size(), X509_CHECK_FLAG_NO_WILDCARDS,
                        nullptr) != 1) {
      ADD_FAILURE() << "no SAN for " << host;
      return false;
    }
  }
  for (const auto& ip : ips) {
    if (X509_check_ip_asc(cert.get(), ip.c_str(), 0) != 1) {
      ADD_FAILURE() << "no SAN for " << ip;
      return false;
    }
  }
  return true;
}

TEST(ServerProcessTest, DevCertsScriptMakesAServableIdempotentPair) {
  TempDir dir;
  const std::string script = NETADMIT_SOURCE_DIR "/scripts/dev-certs.sh";
  const std::string certs = dir.File("certs");
  const RunResult first = RunProcess({"/bin/bash", script, certs});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const std::string ca = ReadFile(certs + "/ca.crt");
  const std::string cert = ReadFile(certs + "/tls.crt");
  const std::string key = ReadFile(certs + "/tls.key");
  EXPECT_TRUE(CertificateNames(
      certs + "/tls.crt",
      {"localhost", "netadmit.netadmit-system.svc", "netadmit.netadmit-system.svc.cluster.local"},
      {"127.0.0.1", "::1"}));

  const RunResult second = RunProcess({"/bin/bash", script, certs});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(ReadFile(certs + "/ca.crt"), ca) << "a second run keeps the CA";
  EXPECT_EQ(ReadFile(certs + "/tls.crt"), cert) << "and the serving certificate";
  EXPECT_EQ(ReadFile(certs + "/tls.key"), key);

  // A serving certificate that no longer matches the CA is made again.
  std::remove((certs + "/ca.crt").c_str());
  std::remove((certs + "/ca.key").c_str());
  const RunResult third = RunProcess({"/bin/bash", script, certs});
  ASSERT_EQ(third.exit_code, 0) << third.err;
  EXPECT_NE(ReadFile(certs + "/tls.crt"), cert);

  // The server serves with them, and a client that trusts only ca.crt verifies 127.0.0.1.
  ChildProcess child({kBinary, "serve", "--listen", "127.0.0.1:0", "--tls-cert", certs + "/tls.crt",
                      "--tls-key", certs + "/tls.key", "--threads", "1"});
  const uint16_t port = ListeningPort(child);
  ASSERT_NE(port, 0);
  ClientOptions options;
  options.ca_file = certs + "/ca.crt";
  HttpsClient client(port, options);
  ASSERT_FALSE(client.Connect());
  EXPECT_EQ(client.Get("/readyz").response.result(), http::status::ok);
  child.Signal(SIGTERM);
  EXPECT_EQ(child.Wait(5s).value_or(-1), 0);
}

}  // namespace
}  // namespace netadmit::testing
