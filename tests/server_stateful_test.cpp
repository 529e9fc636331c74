// The stateful rules through a running webhook: AdmissionReviews over HTTPS to a server whose
// cluster cache is fed by the test API server. RequireDefaultDeny with the fresh read that
// confirms its denials (and the apply-ordering race it exists for), ProtectedPolicies judged on
// userInfo, rule sets taken from ConfigMaps, and rule-set ConfigMaps checked at admission.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/fake_apiserver.h"
#include "tests/support/stateful_fixture.h"
#include "tests/support/test_certs.h"
#include "tests/support/test_server.h"

namespace netadmit::testing {
namespace {

using namespace std::chrono_literals;

// A 500 Status, a 403 Status (RBAC without list in the namespace) and a connection closed
// without an answer: the denial cannot be confirmed.
struct FreshReadFailure {
  const char* name;
  int status;
  std::string body;
  bool drop;
  const char* reason;  // how the message names the failure
};

std::vector<FreshReadFailure> FreshReadFailures() {
  return {
      {"500", 500,
       R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"etcdserver: request timed out","reason":"InternalError","code":500})",
       false, "HTTP 500: etcdserver: request timed out"},
      {"403", 403,
       R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"networkpolicies.networking.k8s.io is forbidden: User \"system:serviceaccount:netadmit-system:netadmit\" cannot list resource \"networkpolicies\" in API group \"networking.k8s.io\" in the namespace \"bare\"","reason":"Forbidden","details":{"group":"networking.k8s.io","kind":"networkpolicies"},"code":403})",
       false,
       "HTTP 403: networkpolicies.networking.k8s.io is forbidden: User "
       "\"system:serviceaccount:netadmit-system:netadmit\" cannot list resource "
       "\"networkpolicies\" in API group \"networking.k8s.io\" in the namespace \"bare\""},
      {"dropped", 0, "", true, nullptr},
  };
}

// A scripted answer to the next LIST of `path` (watches go on undisturbed).
FakeApiServer::Fault ListFault(std::string path) {
  FakeApiServer::Fault fault;
  fault.path = std::move(path);
  fault.list_only = true;
  return fault;
}

FakeApiServer::Fault FailFreshRead(const FreshReadFailure& failure,
                                   const std::string& namespace_name = "bare") {
  FakeApiServer::Fault fault = ListFault(FreshReadPath(namespace_name));
  fault.status = failure.status;
  fault.body = failure.body;
  fault.drop = failure.drop;
  return fault;
}

class ServerStatefulTest : public StatefulServerTest {
 protected:
  // A server that admits the denials it cannot confirm, with namespace "bare" (no default-deny)
  // listed; null when it does not become ready.
  std::unique_ptr<TestServer> StartAllowingUnconfirmed() {
    AddNamespace("bare");
    auto server = std::make_unique<TestServer>(
        WithCluster(std::string(kStatefulRules),
                    [](server::ServerOptions& options) { options.allow_unconfirmed = true; }));
    if (!Eventually([&] { return ReadyStatus(*server) == 200; })) {
      return nullptr;
    }
    return server;
  }

  // The answer to a Deployment CREATE in namespace "bare", which has no default-deny, when the
  // fresh read fails as `failure` says.
  Answer CreateWhileFreshReadFails(const TestServer& server, const FreshReadFailure& failure) {
    api_.AddFault(FailFreshRead(failure));
    return Validate(server, DeploymentCreate("bare", "web"));
  }
};

TEST_F(ServerStatefulTest, PodIsAdmittedOnlyWhereADefaultDenyExists) {
  AddNamespace("covered");
  AddNamespace("bare");
  AddDefaultDeny("covered");
  TestServer server(WithCluster());
  ASSERT_TRUE(Eventually([&] { return ReadyStatus(server) == 200; }));

  const Answer covered = Validate(server, PodCreate("covered", "web-1"));
  EXPECT_TRUE(covered.allowed) << covered.message;
  EXPECT_TRUE(covered.warnings.empty());

  const Answer bare = Validate(server, PodCreate("bare", "web-1"));
  EXPECT_FALSE(bare.allowed);
  EXPECT_EQ(bare.code, 403);
  EXPECT_EQ(bare.message, MissingDefaultDeny("bare"));

  // Refusing a pod UPDATE would block the removal of its finalizers, and so its deletion.
  ReviewRequest update = PodCreate("bare", "web-1");
  update.operation = "UPDATE";
  update.old_object = update.object;
  EXPECT_TRUE(Validate(server, update).allowed);
}

TEST_F(ServerStatefulTest, FreshReadAdmitsWhatTheWatchHasNotDeliveredYet) {
  AddNamespace("race");
  TestServer server(WithCluster());
  ASSERT_TRUE(Eventually([&] { return ReadyStatus(server) == 200; }));
  ASSERT_TRUE(Eventually([&] { return api_.OpenWatches() == 4; }));

  // `kubectl apply -f dir/`: the default-deny is stored, the Deployment follows before the
  // watch has carried the policy to the cache.
  api_.HoldEvents(FakeApiServer::NetworkPolicies());
  AddDefaultDeny("race");
  ASSERT_TRUE(server.server().cluster().view()->Policies("race").empty());

  const Answer answer = Validate(server, DeploymentCreate("race", "web"));
  EXPECT_TRUE(answer.allowed) << answer.message;
  EXPECT_EQ(FreshReads("race"), 1);
  std::string metrics = Metrics(server);
  EXPECT_EQ(Count(metrics, R"(netadmit_fresh_reads_total{result="overturned"})"), 1);
  EXPECT_EQ(Count(metrics, R"(netadmit_fresh_reads_total{result="confirmed"})"), 0);
  EXPECT_EQ(Count(metrics, R"(netadmit_fresh_reads_total{result="failed"})"), 0);
  EXPECT_TRUE(server.WaitForLine(server::LogStream::kEvent, "fresh_read_overturned"));

  // Once the watch delivers, the cache alone admits: no further read.
  api_.ReleaseEvents(FakeApiServer::NetworkPolicies());
  ASSERT_TRUE(
      Eventually([&] { return server.server().cluster().view()->Policies("race").size() == 1; }));
  EXPECT_TRUE(Validate(server, DeploymentCreate("race", "api")).allowed);
  EXPECT_EQ(FreshReads("race"), 1);
  metrics = Metrics(server);
  EXPECT_EQ(Count(metrics, R"(netadmit_fresh_reads_total{result="overturned"})"), 1);
}

TEST_F(ServerStatefulTest, FreshReadConfirmsADenialWhenStorageLacksThePolicyToo) {
  AddNamespace("bare");
  AddNamespace("covered");
  AddDefaultDeny("covered");  // another namespace's default-deny covers nothing here
  TestServer server(WithCluster());
  ASSERT_TRUE(Eventually([&] { return ReadyStatus(server) == 200; }));

  const Answer answer = Validate(server, DeploymentCreate("bare", "web"));
  EXPECT_FALSE(answer.allowed);
  EXPECT_EQ(answer.code, 403);
  EXPECT_EQ(answer.message, MissingDefaultDeny("bare"));
  EXPECT_EQ(FreshReads("bare"), 1);
  const std::string metrics = Metrics(server);
  EXPECT_EQ(Count(metrics, R"(netadmit_fresh_reads_total{result="confirmed"})"), 1);
  EXPECT_EQ(Count(metrics, R"(netadmit_fresh_reads_total{result="overturned"})"), 0);
}

TEST_F(ServerStatefulTest, UnconfirmedDenialStandsAndSaysSo) {
  AddNamespace("bare");
  TestServer server(WithCluster());
  ASSERT_TRUE(Eventually([&] { return ReadyStatus(server) == 200; }));
  int failed = 0;
  for (const auto& failure : FreshReadFailures()) {
    SCOPED_TRACE(failure.name);
    const Answer answer = CreateWhileFreshReadFails(server, failure);
    EXPECT_FALSE(answer.allowed);
    EXPECT_EQ(answer.code, 403);
    const std::string note =
        "\n(netadmit could not confirm with the API server (list of "
        "networkpolicies in namespace bare: ";
    EXPECT_TRUE(answer.message.starts_with(MissingDefaultDeny("bare") + note)) << answer.message;
    if (failure.reason != nullptr) {
      EXPECT_EQ(answer.message, MissingDefaultDeny("bare") + note + failure.reason + "))");
    }
    EXPECT_EQ(Count(Metrics(server), R"(netadmit_fresh_reads_total{result="failed"})"), ++failed);
  }
  EXPECT_TRUE(server.WaitForLine(server::LogStream::kEvent, "fresh_read_failed"));
}

TEST_F(ServerStatefulTest, UnconfirmedDenialIsAdmittedWithAWarningWhenAllowed) {
  auto started = StartAllowingUnconfirmed();
  ASSERT_TRUE(started);
  const TestServer& server = *started;
  for (const auto& failure : FreshReadFailures()) {
    SCOPED_TRACE(failure.name);
    const Answer answer = CreateWhileFreshReadFails(server, failure);
    EXPECT_TRUE(answer.allowed) << answer.message;
    EXPECT_EQ(answer.code, 0);
    ASSERT_EQ(answer.warnings.size(), 1u);
    EXPECT_TRUE(answer.warnings[0].starts_with(
        "netadmit could not confirm with the API server (list of networkpolicies in namespace "
        "bare: "))
        << answer.warnings[0];
    EXPECT_LE(answer.warnings[0].size(), 256u);
  }
  // Without a failure the denial is confirmed and stands, whatever allow_unconfirmed says.
  EXPECT_FALSE(Validate(server, DeploymentCreate("bare", "web")).allowed);
  const std::string metrics = Metrics(server);
  EXPECT_EQ(Count(metrics, R"(netadmit_fresh_reads_total{result="failed"})"), 3);
  EXPECT_EQ(Count(metrics, R"(netadmit_fresh_reads_total{result="confirmed"})"), 1);
}

// The API server's webhook call has a deadline of its own (10 s by default): a fresh read that
// hangs must end at fresh_read_timeout, and the denial stand.
TEST_F(ServerStatefulTest, SlowFreshReadEndsAtItsTimeout) {
  AddNamespace("bare");
  TestServer server(WithCluster(std::string(kStatefulRules), [](server::ServerOptions& options) {
    options.fresh_read_timeout = 300ms;
  }));
  ASSERT_TRUE(Eventually([&] { return ReadyStatus(server) == 200; }));
  FakeApiServer::Fault hang = ListFault(FreshReadPath("bare"));
  hang.delay = 3s;
  api_.AddFault(hang);
  const auto started = std::chrono::steady_clock::now();
  const Answer answer = Validate(server, DeploymentCreate("bare", "web"));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  EXPECT_FALSE(answer.allowed);
  EXPECT_EQ(answer.message, MissingDefaultDeny("bare") +
                                "\n(netadmit could not confirm with the API server (list of "
                                "networkpolicies in namespace bare: no answer within 300 ms))");
  EXPECT_EQ(Count(Metrics(server), R"(netadmit_fresh_reads_total{result="failed"})"), 1);
}

// The fresh read runs on the server's worker thread and blocks it until the API server answers
// or fresh_read_timeout passes. With as many such requests as workers, nothing else is served:
// the kubelet's probes time out (1 s by default) and it restarts a healthy netadmit.
TEST_F(ServerStatefulTest, ProbesAreAnsweredWhileFreshReadsWait) {
  AddNamespace("bare");
  TestServer server(WithCluster(std::string(kStatefulRules), [](server::ServerOptions& options) {
    options.threads = 2;
    options.fresh_read_timeout = 1'500ms;
  }));
  ASSERT_TRUE(Eventually([&] { return ReadyStatus(server) == 200; }));
  FakeApiServer::Fault hang = ListFault(FreshReadPath("bare"));
  hang.delay = 3s;
  api_.AddFault(hang);
  api_.AddFault(hang);
  std::vector<std::thread> reviews;
  for (int i = 0; i < 2; ++i) {
    reviews.emplace_back([&] { Validate(server, DeploymentCreate("bare", "web")); });
  }
  ASSERT_TRUE(Eventually([&] { return FreshReads("bare") == 2; }));
  const auto started = std::chrono::steady_clock::now();
  const unsigned health = [&] {
    auto client = server.Connect();
    return client ? client->Get("/healthz").response.result_int() : 0;
  }();
  const auto took = std::chrono::steady_clock::now() - started;
  for (auto& review : reviews) {
    review.join();
  }
  EXPECT_EQ(health, 200u);
  EXPECT_LT(took, 500ms) << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                         << " ms";
}

TEST_F(ServerStatefulTest, LastDefaultDenyOfANamespaceCannotBeDeleted) {
  AddNamespace("one");
  AddNamespace("two");
  api_.Add(FakeApiServer::Namespaces(), TerminatingNamespaceItem("leaving"));
  AddDefaultDeny("one");
  AddDefaultDeny("two");
  AddDefaultDeny("two", "default-deny-copy");
  AddDefaultDeny("leaving");
  TestServer server(WithCluster());
  ASSERT_TRUE(Eventually([&] { return ReadyStatus(server) == 200; }));

  const Answer last = Validate(server, PolicyChange("DELETE", "one", "default-deny", kDenyAllSpec));
  EXPECT_FALSE(last.allowed);
  EXPECT_EQ(last.code, 403);
  EXPECT_EQ(last.message,
            "[default-deny] deleting the last default-deny for Ingress and Egress in namespace one "
            "(NetworkPolicy default-deny is the only policy there that selects every pod and "
            "allows no Ingress and Egress traffic) at metadata.name \u2014 create another "
            "default-deny in the namespace first, or delete the namespace");
  // The API server still has the policy being deleted: the fresh read confirms.
  EXPECT_EQ(FreshReads("one"), 1);
  EXPECT_EQ(Count(Metrics(server), R"(netadmit_fresh_reads_total{result="confirmed"})"), 1);

  const Answer one_of_two =
      Validate(server, PolicyChange("DELETE", "two", "default-deny", kDenyAllSpec));
  EXPECT_TRUE(one_of_two.allowed) << one_of_two.message;

  // Weakening it is taking it away too.
  const Answer weakened =
      Validate(server, PolicyChange("UPDATE", "one", "default-deny", kDenyAllSpec, kAllowDnsSpec));
  EXPECT_FALSE(weakened.allowed);
  EXPECT_TRUE(weakened.message.starts_with(
      "[default-deny] this change removes the last default-deny for Ingress and Egress in "
      "namespace one "))
      << weakened.message;

  // The namespace controller empties a terminating namespace; so may anyone in one.
  ReviewRequest by_controller = PolicyChange("DELETE", "one", "default-deny", kDenyAllSpec);
  by_controller.username = "system:serviceaccount:kube-system:namespace-controller";
  by_controller.groups = {"system:serviceaccounts", "system:serviceaccounts:kube-system",
                          "system:authenticated"};
  const Answer controller = Validate(server, by_controller);
  EXPECT_TRUE(controller.allowed) << controller.message;
  const Answer terminating =
      Validate(server, PolicyChange("DELETE", "leaving", "default-deny", kDenyAllSpec));
  EXPECT_TRUE(terminating.allowed) << terminating.message;
}

// Replacing a default-deny: the new one is created, then the old one deleted before the watch
// has delivered the new one. The fresh read sees both and lets the DELETE through.
TEST_F(ServerStatefulTest, FreshReadAdmitsReplacingADefaultDeny) {
  AddNamespace("shop");
  AddDefaultDeny("shop", "deny-all");
  TestServer server(WithCluster());
  ASSERT_TRUE(Eventually([&] { return ReadyStatus(server) == 200; }));
  ASSERT_TRUE(Eventually([&] { return api_.OpenWatches() == 4; }));
  api_.HoldEvents(FakeApiServer::NetworkPolicies());
  AddDefaultDeny("shop", "default-deny");

  const Answer answer = Validate(server, PolicyChange("DELETE", "shop", "deny-all", kDenyAllSpec));
  EXPECT_TRUE(answer.allowed) << answer.message;
  EXPECT_EQ(FreshReads("shop"), 1);
  EXPECT_EQ(Count(Metrics(server), R"(netadmit_fresh_reads_total{result="overturned"})"), 1);
}

TEST_F(ServerStatefulTest, ProtectedPoliciesChangeOnlyByTheirOwners) {
  AddNamespace("shop");
  AddDefaultDeny("shop");
  api_.Add(FakeApiServer::NetworkPolicies(), PolicyItem("shop", "platform-dns", kAllowDnsSpec));
  TestServer server(WithCluster());
  ASSERT_TRUE(Eventually([&] { return ReadyStatus(server) == 200; }));
  const std::string_view wider =
      R"({"podSelector":{},"policyTypes":["Egress"],"egress":[{"ports":[{"protocol":"UDP","port":53},{"protocol":"TCP","port":53}]}]})";

  ReviewRequest by_bob = PolicyChange("UPDATE", "shop", "platform-dns", kAllowDnsSpec, wider);
  by_bob.username = "bob";
  by_bob.groups = {"developers", "system:authenticated"};
  const Answer bob = Validate(server, by_bob);
  EXPECT_FALSE(bob.allowed);
  EXPECT_EQ(bob.code, 403);
  EXPECT_EQ(bob.message,
            "[platform-policies] changing protected NetworkPolicy shop/platform-dns is reserved "
            "(user bob is not among users alice and groups platform-team) at metadata.name "
            "\u2014 ask one of them to make the change");
  // Denials by ProtectedPolicies rest on the request alone: nothing to read afresh.
  EXPECT_EQ(FreshReads("shop"), 0);

  ReviewRequest by_platform = by_bob;
  by_platform.username = "carol";
  by_platform.groups = {"platform-team", "system:authenticated"};
  const Answer platform = Validate(server, by_platform);
  EXPECT_TRUE(platform.allowed) << platform.message;

  ReviewRequest by_alice = by_bob;
  by_alice.username = "alice";
  by_alice.groups = {"system:authenticated"};
  EXPECT_TRUE(Validate(server, by_alice).allowed);

  ReviewRequest delete_by_bob = PolicyChange("DELETE", "shop", "platform-dns", kAllowDnsSpec);
  delete_by_bob.username = "bob";
  delete_by_bob.groups = by_bob.groups;
  const Answer deleted = Validate(server, delete_by_bob);
  EXPECT_FALSE(deleted.allowed);
  EXPECT_TRUE(deleted.message.starts_with(
      "[platform-policies] deleting protected NetworkPolicy shop/platform-dns is reserved "))
      << deleted.message;

  // Policies outside the protected names are anyone's.
  ReviewRequest own_policy = PolicyChange("UPDATE", "shop", "team-dns", kAllowDnsSpec, wider);
  own_policy.username = "bob";
  own_policy.groups = by_bob.groups;
  EXPECT_TRUE(Validate(server, own_policy).allowed);
}

// The namespace controller deletes every policy of a terminating namespace (as DELETEs from
// system:serviceaccount:kube-system:namespace-controller); refusing one leaves the namespace
// stuck in Terminating for good, as RequireDefaultDeny knows.
TEST_F(ServerStatefulTest, ProtectedPoliciesLetTheNamespaceControllerEmptyATerminatingNamespace) {
  api_.Add(FakeApiServer::Namespaces(), TerminatingNamespaceItem("leaving"));
  api_.Add(FakeApiServer::NetworkPolicies(), PolicyItem("leaving", "platform-dns", kAllowDnsSpec));
  TestServer server(WithCluster());
  ASSERT_TRUE(Eventually([&] { return ReadyStatus(server) == 200; }));

  ReviewRequest by_controller = PolicyChange("DELETE", "leaving", "platform-dns", kAllowDnsSpec);
  by_controller.username = "system:serviceaccount:kube-system:namespace-controller";
  by_controller.groups = {"system:serviceaccounts", "system:serviceaccounts:kube-system",
                          "system:authenticated"};
  const Answer controller = Validate(server, by_controller);
  EXPECT_TRUE(controller.allowed) << controller.message;
}

// Deleting a Deployment with --cascade=foreground (as Argo CD prunes) sets deletionTimestamp
// and the foregroundDeletion finalizer; the garbage collector removes the finalizer by an UPDATE
// once the ReplicaSets are gone. Refusing that UPDATE in a namespace without a default-deny
// leaves the Deployment undeletable, for the reason pod UPDATEs are left alone.
TEST_F(ServerStatefulTest, FinalizerRemovalOfADeploymentBeingDeletedIsNotRefused) {
  AddNamespace("bare");
  TestServer server(WithCluster());
  ASSERT_TRUE(Eventually([&] { return ReadyStatus(server) == 200; }));
  constexpr std::string_view kDeleting = R"(,"deletionTimestamp":"2026-11-26T09:00:00Z")";
  ReviewRequest finalizer_removal = DeploymentCreate("bare", "web");
  finalizer_removal.operation = "UPDATE";
  finalizer_removal.object =
      DeploymentObject("bare", "web", std::string(kDeleting) + R"(,"finalizers":[])");
  finalizer_removal.old_object = DeploymentObject(
      "bare", "web", std::string(kDeleting) + R"(,"finalizers":["foregroundDeletion"])");
  finalizer_removal.username = "system:serviceaccount:kube-system:generic-garbage-collector";
  finalizer_removal.groups = {"system:serviceaccounts", "system:serviceaccounts:kube-system",
                              "system:authenticated"};
  const Answer answer = Validate(server, finalizer_removal);
  EXPECT_TRUE(answer.allowed) << answer.message;
}

// With an unconfirmed denial admitted, the warning is what tells the person which rule was let
// through; the API server's own error text must not crowd it out of the 256 bytes a warning has.
TEST_F(ServerStatefulTest, UnconfirmedAdmissionWarningNamesTheRuleItOverrides) {
  auto started = StartAllowingUnconfirmed();
  ASSERT_TRUE(started);
  const TestServer& server = *started;
  for (const auto& failure : FreshReadFailures()) {
    SCOPED_TRACE(failure.name);
    const Answer answer = CreateWhileFreshReadFails(server, failure);
    EXPECT_TRUE(answer.allowed);
    const bool named =
        std::any_of(answer.warnings.begin(), answer.warnings.end(), [](const std::string& warning) {
          return warning.find("[default-deny]") != std::string::npos;
        });
    EXPECT_TRUE(named) << ::testing::PrintToString(answer.warnings);
  }
}

// A rule set in a ConfigMap: host networking denied, or only warned about.
std::string HostNetworkRules(std::string_view action) {
  return "apiVersion: netadmit.io/v1alpha1\nkind: RuleSet\nmetadata: {name: base}\nspec:\n"
         "  rules:\n    - id: no-host-network\n      kind: NoHostNetwork\n      action: " +
         std::string(action) + "\n";
}

constexpr std::string_view kUnknownKindRules = R"(apiVersion: netadmit.io/v1alpha1
kind: RuleSet
metadata: {name: broken}
spec:
  rules:
    - id: typo
      kind: NoHostNetwrok
      action: deny
)";

TEST_F(ServerStatefulTest, RuleSetsFromConfigMapsLoadAndFollowChanges) {
  const auto config_maps = FakeApiServer::ConfigMaps(std::string(kOwnNamespace));
  api_.Add(config_maps, ConfigMapItem("rules-base", "base.yaml", HostNetworkRules("deny")));
  AddNamespace("apps");
  FakeApiServer::Fault slow = ListFault(config_maps.path);
  slow.delay = 1000ms;
  api_.AddFault(slow);
  TestServer server(
      WithCluster("", [](server::ServerOptions& options) { options.rules_configmaps = true; }));
  // Not ready while the ConfigMaps are not listed: the rules in force would be none.
  EXPECT_EQ(ReadyStatus(server), 503u);
  ASSERT_TRUE(Eventually([&] { return ReadyStatus(server) == 200; }, 10s));
  std::string metrics = Metrics(server);
  EXPECT_EQ(MetricValue(metrics, "netadmit_rules_in_force"), 1);
  EXPECT_EQ(MetricValue(metrics, "netadmit_ruleset_load_errors_total"), 0);

  const Answer denied = Validate(server, PodCreate("apps", "node-agent", true));
  EXPECT_FALSE(denied.allowed);
  EXPECT_TRUE(denied.message.starts_with("[no-host-network] ")) << denied.message;

  // The ConfigMap now says warn: in force once the watch delivers it.
  api_.Modify(config_maps, ConfigMapItem("rules-base", "base.yaml", HostNetworkRules("warn")));
  ASSERT_TRUE(Eventually(
      [&] { return Validate(server, PodCreate("apps", "node-agent", true)).allowed; }, 10s));
  const Answer warned = Validate(server, PodCreate("apps", "node-agent", true));
  ASSERT_EQ(warned.warnings.size(), 1u);
  EXPECT_TRUE(warned.warnings[0].starts_with("[no-host-network] ")) << warned.warnings[0];

  // A broken change is counted and logged; the last good rules stay in force.
  api_.Modify(config_maps,
              ConfigMapItem("rules-base", "base.yaml", std::string(kUnknownKindRules)));
  ASSERT_TRUE(Eventually(
      [&] { return MetricValue(Metrics(server), "netadmit_ruleset_load_errors_total") == 1; },
      10s));
  EXPECT_TRUE(server.WaitForLine(server::LogStream::kEvent, "rules_reload_failed"));
  const Answer kept = Validate(server, PodCreate("apps", "node-agent", true));
  EXPECT_TRUE(kept.allowed);
  ASSERT_EQ(kept.warnings.size(), 1u);
  EXPECT_TRUE(kept.warnings[0].starts_with("[no-host-network] ")) << kept.warnings[0];
  metrics = Metrics(server);
  EXPECT_EQ(MetricValue(metrics, "netadmit_rules_in_force"), 1);
  EXPECT_EQ(ReadyStatus(server), 200u);
}

TEST_F(ServerStatefulTest, RuleSetConfigMapsAreCheckedAtAdmission) {
  const auto config_maps = FakeApiServer::ConfigMaps(std::string(kOwnNamespace));
  api_.Add(config_maps, ConfigMapItem("rules-base", "base.yaml", HostNetworkRules("deny")));
  TestServer server(WithCluster());
  ASSERT_TRUE(Eventually([&] { return ReadyStatus(server) == 200; }));
  ASSERT_EQ(server.server().cluster().view()->ConfigMaps(kOwnNamespace).size(), 1u);

  const Answer broken = Validate(
      server, ConfigMapCreate(ConfigMapItem("broken", "x.yaml", std::string(kUnknownKindRules))));
  EXPECT_FALSE(broken.allowed);
  EXPECT_EQ(broken.code, 422);
  EXPECT_TRUE(broken.message.starts_with(
      "netadmit: the rule set does not load, so it would not take effect: broken/x.yaml:7:13: "))
      << broken.message;

  const Answer valid = Validate(
      server, ConfigMapCreate(ConfigMapItem(
                  "labels", "labels.yaml",
                  "apiVersion: netadmit.io/v1alpha1\nkind: RuleSet\nmetadata: {name: labels}\n"
                  "spec:\n  rules:\n    - id: pod-labels\n      kind: RequirePodLabels\n"
                  "      action: warn\n      params: {keys: [app]}\n")));
  EXPECT_TRUE(valid.allowed) << valid.message;

  const Answer reused = Validate(
      server, ConfigMapCreate(ConfigMapItem("copy", "copy.yaml", HostNetworkRules("warn"))));
  EXPECT_FALSE(reused.allowed);
  EXPECT_EQ(reused.code, 422);
  EXPECT_NE(reused.message.find("copy/copy.yaml:"), std::string::npos) << reused.message;
  EXPECT_NE(reused.message.find("no-host-network"), std::string::npos) << reused.message;

  // Not labeled as a rule set: any data is the API server's business.
  const Answer unlabeled =
      Validate(server, ConfigMapCreate(ConfigMapItem("settings", "x.yaml", "{not: [yaml", false)));
  EXPECT_TRUE(unlabeled.allowed) << unlabeled.message;
}

// allow_unconfirmed waives the denials that rest on the cache's NetworkPolicies when they cannot
// be confirmed; a denial that rests on the request alone (who sends it) needs no confirmation
// and must stand. Here bob, not an owner, weakens the namespace's only default-deny, a protected
// one, while the API server fails the fresh read.
TEST_F(ServerStatefulTest, AllowUnconfirmedWaivesOnlyTheDenialsThatNeedConfirming) {
  auto started = StartAllowingUnconfirmed();
  ASSERT_TRUE(started);
  const TestServer& server = *started;
  AddNamespace("locked");
  AddDefaultDeny("locked", "platform-deny");
  ASSERT_TRUE(Eventually(
      [&] { return started->server().cluster().view()->Policies("locked").size() == 1; }));
  api_.AddFault(FailFreshRead(FreshReadFailures()[0], "locked"));
  ReviewRequest by_bob =
      PolicyChange("UPDATE", "locked", "platform-deny", kDenyAllSpec, kAllowDnsSpec);
  by_bob.username = "bob";
  by_bob.groups = {"developers", "system:authenticated"};
  const Answer answer = Validate(server, by_bob);
  EXPECT_FALSE(answer.allowed) << ::testing::PrintToString(answer.warnings);
  EXPECT_NE(answer.message.find("[platform-policies] changing protected NetworkPolicy "
                                "locked/platform-deny is reserved"),
            std::string::npos)
      << answer.message;
}

// With --rules and --rules-configmaps together the rules in force are the files' and the
// ConfigMaps'; a ConfigMap that reuses a rule id of the files does not load at the next reload,
// and so it must be refused at admission like one that clashes with another ConfigMap.
TEST_F(ServerStatefulTest, RuleSetConfigMapClashingWithTheRulesFilesIsRefused) {
  TestServer server(WithCluster(std::string(kStatefulRules), [](server::ServerOptions& options) {
    options.rules_configmaps = true;
  }));
  ASSERT_TRUE(Eventually([&] { return ReadyStatus(server) == 200; }));
  const std::string clashing =
      "apiVersion: netadmit.io/v1alpha1\nkind: RuleSet\nmetadata: {name: team}\nspec:\n"
      "  rules:\n    - id: default-deny\n      kind: RequireDefaultDeny\n      action: warn\n";
  const Answer answer =
      Validate(server, ConfigMapCreate(ConfigMapItem("team", "team.yaml", clashing)));
  EXPECT_FALSE(answer.allowed);
  EXPECT_EQ(answer.code, 422);

  // What admitting it leads to: the ConfigMap is stored, and every reload from then on fails.
  api_.Add(FakeApiServer::ConfigMaps(std::string(kOwnNamespace)),
           ConfigMapItem("team", "team.yaml", clashing));
  EXPECT_TRUE(server.WaitForLine(server::LogStream::kEvent, "rules_reload_failed"));
}

// Threads of this process at nice 10 (field 19 of /proc/self/task/TID/stat): the background
// pool's.
int LowPriorityThreads() {
  int low = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream stat(task.path() / "stat");
    std::string line;
    std::getline(stat, line);
    // The fields after the command name, which is in parentheses and may hold spaces.
    std::istringstream fields(line.substr(line.rfind(')') + 2));
    std::string field;
    for (int number = 3; number <= 19 && fields >> field; ++number) {
      if (number == 19 && field == "10") {
        ++low;
      }
    }
  }
  return low;
}

// A Flows judgement that asks the connectivity engine may take milliseconds: it runs on the
// background pool, whose threads run at low priority (nice 10), and is answered from there; one
// that needs no engine is answered at once.
// Namespaces dev (with pod app) and prod, and a rule set whose Flows rule forbids dev to reach
// prod on 5432/TCP: a new pod in prod that no policy isolates breaks it.
class FlowsServerTest : public ServerStatefulTest {
 protected:
  std::string DevNotProd() {
    api_.Add(FakeApiServer::Namespaces(), R"({"metadata":{"name":"dev","labels":{"env":"dev"}}})");
    api_.Add(FakeApiServer::Namespaces(),
             R"({"metadata":{"name":"prod","labels":{"env":"prod"}}})");
    api_.Add(FakeApiServer::Pods(),
             R"({"metadata":{"name":"app","namespace":"dev","labels":{"app":"app"}},)"
             R"("spec":{"containers":[{"name":"c"}]}})");
    return "apiVersion: netadmit.io/v1alpha1\nkind: RuleSet\nmetadata: {name: flows}\nspec:\n"
           "  rules:\n    - id: dev-not-prod\n      kind: Flows\n      action: deny\n"
           "      params:\n        forbid:\n"
           "          - {from: {namespaceSelector: {matchLabels: {env: dev}}},\n"
           "             to: {namespaceSelector: {matchLabels: {env: prod}}}, ports: [5432/TCP]}\n";
  }
};

TEST_F(FlowsServerTest, FlowsJudgementsThatBuildTheEngineRunOffTheConnectionThreads) {
  const std::string rules = DevNotProd();
  AddNamespace("tools");
  TestServer server(WithCluster(rules));
  ASSERT_TRUE(Eventually([&] { return ReadyStatus(server) == 200; }));
  const std::string offloaded = "netadmit_offloaded_reviews_total";
  EXPECT_EQ(Count(Metrics(server), offloaded), 0);
  EXPECT_EQ(LowPriorityThreads(), 0);

  // A pod in prod that no policy isolates: dev/app reaches it on 5432.
  const Answer opened = Validate(server, PodCreate("prod", "web-1"));
  EXPECT_FALSE(opened.allowed);
  EXPECT_NE(opened.message.find("[dev-not-prod] this change opens a flow forbidden by "
                                "spec.rules[0].params.forbid[0] (dev/app -> prod/web-1 on "
                                "5432/TCP, no NetworkPolicy isolates prod/web-1 for ingress)"),
            std::string::npos)
      << opened.message;
  EXPECT_EQ(Count(Metrics(server), offloaded), 1);
  EXPECT_EQ(LowPriorityThreads(), 1);  // the background thread that judged it

  // Nothing in "tools" is named by the entry: answered on the connection thread.
  EXPECT_TRUE(Validate(server, PodCreate("tools", "web-1")).allowed);
  EXPECT_EQ(Count(Metrics(server), offloaded), 1);
}

// A judged review that cannot be had before the API server stops waiting is answered at once by
// the error policy, saying why, instead of being left to the webhook's failurePolicy: when too
// many wait already, and when its deadline (from ?timeout=) has passed.
TEST_F(FlowsServerTest, JudgementsThatCannotEndInTimeAreAnsweredByTheErrorPolicy) {
  const std::string rules = DevNotProd();
  TestServer server(WithCluster(
      rules, [](server::ServerOptions& options) { options.session.max_background_reviews = 0; }));
  ASSERT_TRUE(Eventually([&] { return ReadyStatus(server) == 200; }));
  const Answer full = Validate(server, PodCreate("prod", "web-1"));
  EXPECT_FALSE(full.allowed);
  EXPECT_EQ(full.message,
            "netadmit could not start judging this request: too many reviews that build the "
            "connectivity engine are waiting");
  EXPECT_EQ(Count(Metrics(server), "netadmit_overdue_reviews_total{reason=\"queue_full\"}"), 1);

  // No time left at all (?timeout=0s): answered at once, saying so.
  auto client = server.Connect();
  ASSERT_TRUE(client);
  const char* uid = "5e1f0000-0000-4000-8000-00000000dead";
  auto request = ValidateRequest(PodCreate("prod", "web-2").Json(uid));
  request.target("/validate?timeout=0s");
  Answer late;
  EXPECT_EQ(ReadAnswer(client->Send(request), uid, late), "");
  EXPECT_FALSE(late.allowed);
  EXPECT_EQ(late.message,
            "netadmit could not finish judging this request within 0.0 s (of the API server's "
            "timeout): the connectivity engine was still busy");
  EXPECT_EQ(Count(Metrics(server), "netadmit_overdue_reviews_total{reason=\"deadline\"}"), 1);
}

TEST(ReviewBudgetTest, FourFifthsOfTheApiServersTimeout) {
  using std::chrono::milliseconds;
  EXPECT_EQ(server::ReviewBudget("/validate?timeout=10s"), milliseconds(8000));
  EXPECT_EQ(server::ReviewBudget("/validate?timeout=30s"), milliseconds(24000));
  EXPECT_EQ(server::ReviewBudget("/validate?x=1&timeout=1m0s"), milliseconds(48000));
  EXPECT_EQ(server::ReviewBudget("/validate?timeout=500ms"), milliseconds(400));
  EXPECT_EQ(server::ReviewBudget("/validate?timeout=0s"), milliseconds(0));
  // Absent or unreadable: the API server's default of 10 s.
  for (const char* target :
       {"/validate", "/validate?timeout=", "/validate?timeout=10", "/validate?timeout=10parsecs",
        "/validate?timeout=-1s", "/validate?timeout=99999h"}) {
    EXPECT_EQ(server::ReviewBudget(target), milliseconds(8000)) << target;
  }
}

}  // namespace
}  // namespace netadmit::testing
