// Hot reload while serving: a new certificate reaches new connections while open ones keep the
// old one; a broken certificate or rule set is refused, logged and counted, and the previous
// one stays in force.

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/https_client.h"
#include "tests/support/test_server.h"

namespace netadmit::testing {
namespace {

using namespace std::chrono_literals;
using server::LogStream;

constexpr const char* kOpenIngress = "001-NetworkPolicy-CREATE-bad-allow-everything.body.json";

std::string NewConnectionSerial(const TestServer& server) {
  HttpsClient client(server.port(), server.Client());
  return client.Connect() ? "" : client.PeerSerial();
}

std::string Metrics(const TestServer& server) {
  auto client = server.Connect();
  return client->Get("/metrics").response.body();
}

// The decision on the open-ingress policy: "denied", "allowed", or "warned" (allowed with a
// warning).
std::string OpenIngressDecision(const TestServer& server) {
  auto client = server.Connect();
  Reply reply = client->Send(ValidateRequest(Fixture(kOpenIngress)));
  if (reply.ec || reply.response.result() != http::status::ok) {
    return "error";
  }
  rapidjson::Document json;
  json.Parse(reply.response.body().c_str());
  const auto& response = json["response"];
  if (!response["allowed"].GetBool()) {
    return "denied";
  }
  return response.HasMember("warnings") ? "warned" : "allowed";
}

std::string RuleSet(std::string_view name, std::string_view rules) {
  return "apiVersion: netadmit.io/v1alpha1\nkind: RuleSet\nmetadata: {name: " + std::string(name) +
         "}\nspec:\n  rules:\n" + std::string(rules);
}

constexpr std::string_view kIngressDeny =
    "    - {id: no-open-ingress, kind: NoOpenIngress, action: deny}\n";
constexpr std::string_view kIngressWarn =
    "    - {id: no-open-ingress, kind: NoOpenIngress, action: warn}\n";
constexpr std::string_view kPodLabels =
    "    - {id: pod-labels, kind: RequirePodLabels, action: warn, params: {keys: [app]}}\n";

TEST(ServerReloadTest, NewCertificateForNewConnectionsWhileOpenOnesKeepTheirs) {
  TestServer server;
  auto open = server.Connect();
  const std::string old_serial = server.serial();
  EXPECT_EQ(open->PeerSerial(), old_serial);
  ASSERT_EQ(open->Get("/healthz").response.result(), http::status::ok);

  const std::string new_serial = server.Reissue(200);
  ASSERT_NE(new_serial, old_serial);
  EXPECT_TRUE(Eventually([&] { return NewConnectionSerial(server) == new_serial; }));
  EXPECT_TRUE(server.WaitForLine(LogStream::kEvent, "\"serial\":\"" + new_serial + "\""));

  // The connection made before the reload still works, on its old session.
  Reply reply = open->Send(ValidateRequest(Fixture(kOpenIngress)));
  ASSERT_FALSE(reply.ec) << reply.ec.message();
  EXPECT_EQ(reply.response.result(), http::status::ok);
  EXPECT_EQ(open->PeerSerial(), old_serial);
  EXPECT_GE(MetricValue(Metrics(server), "netadmit_certificate_loads_total"), 2);
}

TEST(ServerReloadTest, BrokenCertificateIsRefusedAndTheOldOneStays) {
  TestServer server;
  const std::string serial = server.serial();

  server.dir().Write("tls.crt", "-----BEGIN CERTIFICATE-----\nnot a certificate\n");
  ASSERT_TRUE(server.WaitForLine(LogStream::kEvent, "certificate_reload_failed"));
  EXPECT_EQ(NewConnectionSerial(server), serial);

  // A valid certificate whose key is not the one on disk.
  const IssuedCertificate mismatched = server.ca().Issue(300);
  server.dir().Write("tls.crt", mismatched.cert_pem);
  ASSERT_TRUE(Eventually(
      [&] { return MetricValue(Metrics(server), "netadmit_certificate_load_errors_total") >= 2; }));
  EXPECT_TRUE(server.WaitForLine(LogStream::kEvent, "does not match"));
  EXPECT_EQ(NewConnectionSerial(server), serial);
  EXPECT_EQ(server.server().Ready(), true);

  // Repaired: the new pair goes in.
  const std::string repaired = server.Reissue(400);
  EXPECT_TRUE(Eventually([&] { return NewConnectionSerial(server) == repaired; }));
}

TEST(ServerReloadTest, ValidRuleChangeIsAppliedAndInvalidOneKeptOut) {
  TestServer::Config config;
  config.rules_yaml = RuleSet("reload", kIngressDeny);
  TestServer server(config);
  EXPECT_EQ(OpenIngressDecision(server), "denied");

  server.dir().Write("rules.yaml",
                     RuleSet("reload", std::string(kIngressWarn) + std::string(kPodLabels)));
  EXPECT_TRUE(Eventually([&] { return OpenIngressDecision(server) == "warned"; }));
  EXPECT_TRUE(
      Eventually([&] { return MetricValue(Metrics(server), "netadmit_rules_in_force") == 2; }));

  // An unknown kind on line 7: refused, logged with file:line:column, counted; warn stays.
  server.dir().Write("rules.yaml",
                     RuleSet("reload", std::string(kIngressDeny) +
                                           "    - {id: typo, kind: NoSuchKind, action: deny}\n"));
  ASSERT_TRUE(server.WaitForLine(LogStream::kEvent, "rules_reload_failed"));
  EXPECT_TRUE(server.WaitForLine(LogStream::kEvent, server.dir().File("rules.yaml") + ":7:"));
  EXPECT_EQ(OpenIngressDecision(server), "warned");
  std::string metrics = Metrics(server);
  EXPECT_EQ(MetricValue(metrics, "netadmit_ruleset_load_errors_total"), 1);
  EXPECT_EQ(MetricValue(metrics, "netadmit_rules_in_force"), 2);

  // Not YAML at all: the same.
  server.dir().Write("rules.yaml", "spec: [unclosed\n");
  ASSERT_TRUE(Eventually(
      [&] { return MetricValue(Metrics(server), "netadmit_ruleset_load_errors_total") == 2; }));
  EXPECT_EQ(OpenIngressDecision(server), "warned");
  EXPECT_TRUE(server.server().Ready());

  // Fixed: applied.
  server.dir().Write("rules.yaml", RuleSet("reload", kIngressDeny));
  EXPECT_TRUE(Eventually([&] { return OpenIngressDecision(server) == "denied"; }));
}

TEST(ServerReloadTest, MountedConfigMapDirectorySwapIsNoticed) {
  // The kubelet's layout: rules.yaml -> ..data/rules.yaml, ..data -> ..v1; an update writes ..v2
  // and swaps the ..data link in one rename.
  namespace fs = std::filesystem;
  TestServer::Config config;
  config.rules_yaml = "";
  std::string mount;
  config.adjust = [&mount](server::ServerOptions& options) {
    mount = fs::path(options.tls_cert).parent_path() / "mount";
    UpdateMountedVolume(mount, "..v1", {{"rules.yaml", RuleSet("configmap", kIngressDeny)}});
    options.rules = mount;
  };
  TestServer server(config);
  EXPECT_EQ(OpenIngressDecision(server), "denied");

  UpdateMountedVolume(mount, "..v2", {{"rules.yaml", RuleSet("configmap", kIngressWarn)}});
  EXPECT_TRUE(Eventually([&] { return OpenIngressDecision(server) == "warned"; }));
}

TEST(ServerReloadTest, FileAddedToARulesDirectoryIsMergedIn) {
  namespace fs = std::filesystem;
  TestServer::Config config;
  config.rules_yaml = "";
  std::string rules_dir;
  config.adjust = [&rules_dir](server::ServerOptions& options) {
    rules_dir = fs::path(options.tls_cert).parent_path() / "rules.d";
    fs::create_directories(rules_dir);
    std::ofstream(rules_dir + "/a.yaml") << RuleSet("a", kIngressDeny);
    options.rules = rules_dir;
  };
  TestServer server(config);
  EXPECT_EQ(MetricValue(Metrics(server), "netadmit_rules_in_force"), 1);
  std::ofstream(rules_dir + "/b.yaml") << RuleSet("b", kPodLabels);
  EXPECT_TRUE(
      Eventually([&] { return MetricValue(Metrics(server), "netadmit_rules_in_force") == 2; }));
  EXPECT_TRUE(server.WaitForLine(LogStream::kEvent, "\"rule_sets\":\"a,b\""));
}

}  // namespace
}  // namespace netadmit::testing
