// The cluster view's cache: decoding of real v1.28 LIST items, events, relists, and what readers
// see while a relist is swapped in.

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "netadmit/cluster/cluster.h"

namespace netadmit {
namespace {

std::string ReadFixture(const std::string& name) {
  std::ifstream in(std::string(NETADMIT_FIXTURES_DIR) + "/apiserver-v1.28-watch/" + name,
                   std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<ClusterObject> DecodeList(ClusterKind kind, const std::string& fixture) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(ReadFixture(fixture).c_str());
  EXPECT_FALSE(doc.HasParseError()) << fixture;
  std::vector<ClusterObject> out;
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("items")) {
    ADD_FAILURE() << fixture << " has no items";
    return out;
  }
  for (const auto& item : doc["items"].GetArray()) {
    auto decoded = DecodeClusterObject(kind, item);
    EXPECT_TRUE(decoded.ok()) << (decoded.ok() ? "" : decoded.error().ToString());
    if (decoded.ok()) {
      out.push_back(std::move(*decoded));
    }
  }
  return out;
}

ClusterObject Pod(const std::string& namespace_name, const std::string& name, Labels labels,
                  const std::string& rv = "1") {
  return ClusterObject{ClusterKind::kPod, rv,
                       CachedPod{namespace_name, name, std::move(labels), {}, {}}};
}

std::vector<std::string> Names(const auto& objects) {
  std::vector<std::string> names;
  for (const auto& object : objects) {
    names.push_back(object->name);
  }
  return names;
}

TEST(ClusterCacheTest, PodsFromTheFixtureListKeepLabelsAndNamedPorts) {
  ClusterCache state;
  state.Replace(ClusterKind::kPod, DecodeList(ClusterKind::kPod, "02-pods-list-all.body"));
  EXPECT_EQ(state.Count(ClusterKind::kPod), 4u);
  EXPECT_EQ(Names(state.Pods("shop", {})), (std::vector<std::string>{"api-1", "frontend-1"}));
  auto ledger = state.Pods("payments", {});
  ASSERT_EQ(ledger.size(), 1u);
  EXPECT_EQ(ledger[0]->namespace_name, "payments");
  EXPECT_EQ(ledger[0]->labels, (Labels{{"app", "ledger"}}));
  ASSERT_EQ(ledger[0]->named_ports.size(), 3u);
  EXPECT_EQ(ledger[0]->named_ports[0].name, "grpc");
  EXPECT_EQ(ledger[0]->named_ports[0].port, 50051);
  EXPECT_EQ(ledger[0]->named_ports[2].name, "dns-udp");
  EXPECT_EQ(ledger[0]->named_ports[2].port, 5353);
  EXPECT_EQ(ledger[0]->named_ports[2].protocol, Protocol::kUDP);
  EXPECT_TRUE(ledger[0]->ips.empty());  // Pending

  LabelSelector backend;
  backend.match_labels = {{"tier", "backend"}};
  EXPECT_EQ(Names(state.Pods("shop", backend)), (std::vector<std::string>{"api-1"}));
  EXPECT_TRUE(state.Pods("nowhere", {}).empty());
}

TEST(ClusterCacheTest, NamespacesFromTheFixtureListKeepTheirLabels) {
  ClusterCache state;
  state.Replace(ClusterKind::kNamespace,
                DecodeList(ClusterKind::kNamespace, "02-namespaces-list.body"));
  EXPECT_EQ(state.Count(ClusterKind::kNamespace), 8u);
  auto monitoring = state.Namespace("monitoring");
  ASSERT_NE(monitoring, nullptr);
  EXPECT_EQ(monitoring->labels, (Labels{{"kubernetes.io/metadata.name", "monitoring"},
                                        {"netadmit.io/monitoring", "true"},
                                        {"team", "monitoring"}}));
  EXPECT_EQ(state.Namespace("absent"), nullptr);
}

TEST(ClusterCacheTest, PoliciesFromTheFixtureListAreDecodedSpecs) {
  ClusterCache state;
  state.Replace(ClusterKind::kNetworkPolicy,
                DecodeList(ClusterKind::kNetworkPolicy, "01-netpol-list-all.body"));
  EXPECT_EQ(state.Count(ClusterKind::kNetworkPolicy), 5u);
  auto shop = state.Policies("shop");
  ASSERT_EQ(Names(shop), (std::vector<std::string>{"allow-frontend-to-api", "default-deny"}));
  const CachedPolicy& deny = *shop[1];
  EXPECT_TRUE(deny.spec.pod_selector.Empty());
  EXPECT_TRUE(deny.spec.ingress.empty());
  EXPECT_TRUE(deny.spec.egress.empty());
  EXPECT_TRUE(deny.spec.AffectsIngress());
  EXPECT_TRUE(deny.spec.AffectsEgress());
  EXPECT_EQ(shop[0]->labels, (Labels{{"netadmit.io/managed", "true"}}));
  EXPECT_FALSE(shop[0]->spec.ingress.empty());
  auto payments = state.Policies("payments");
  ASSERT_EQ(payments.size(), 2u);
  EXPECT_FALSE(payments[0]->spec.AffectsEgress());  // default-deny-ingress
}

TEST(ClusterCacheTest, ConfigMapsFromTheFixtureListKeepTheirData) {
  ClusterCache state;
  state.Replace(ClusterKind::kConfigMap,
                DecodeList(ClusterKind::kConfigMap, "03-configmaps-list-labelselector.body"));
  auto maps = state.ConfigMaps("netadmit-system");
  ASSERT_EQ(Names(maps), (std::vector<std::string>{"rules-base", "rules-extra"}));
  ASSERT_EQ(maps[0]->data.count("rules.yaml"), 1u);
  EXPECT_EQ(maps[0]->data.at("rules.yaml"),
            "- id: np-no-allow-all\n  kind: no-allow-all-ingress\n  action: deny\n");
}

TEST(ClusterCacheTest, EventsAddModifyAndDelete) {
  ClusterCache state;
  state.Apply(EventType::kAdded, Pod("a", "p1", {{"app", "x"}}));
  state.Apply(EventType::kAdded, Pod("a", "p2", {{"app", "y"}}));
  state.Apply(EventType::kAdded, Pod("b", "p1", {}));
  EXPECT_EQ(state.Count(ClusterKind::kPod), 3u);
  const uint64_t generation = state.Generation(ClusterKind::kPod);

  auto before = state.Pods("a", {});
  state.Apply(EventType::kModified, Pod("a", "p1", {{"app", "z"}}));
  EXPECT_EQ(state.Count(ClusterKind::kPod), 3u);
  EXPECT_EQ(state.Pods("a", {})[0]->labels.at("app"), "z");
  EXPECT_EQ(before[0]->labels.at("app"), "x");  // what a reader holds stays as it was
  EXPECT_GT(state.Generation(ClusterKind::kPod), generation);

  state.Apply(EventType::kDeleted, Pod("a", "p1", {}));
  state.Apply(EventType::kDeleted, Pod("a", "never-seen", {}));
  EXPECT_EQ(Names(state.Pods("a", {})), (std::vector<std::string>{"p2"}));
  EXPECT_EQ(state.Count(ClusterKind::kPod), 2u);
  state.Apply(EventType::kDeleted, Pod("a", "p2", {}));
  EXPECT_TRUE(state.Pods("a", {}).empty());
  EXPECT_EQ(state.Count(ClusterKind::kPod), 1u);
}

// Selectors read through the label index; it follows every event, and the answer is the same
// as a scan of the namespace: sorted by name, every requirement of the selector honoured.
TEST(ClusterCacheTest, SelectorsFollowLabelChangesThroughTheIndex) {
  ClusterCache state;
  LabelSelector web;
  web.match_labels = {{"app", "web"}};
  LabelSelector web_v2 = web;
  web_v2.match_labels.emplace("version", "v2");
  LabelSelector web_not_canary = web;
  web_not_canary.match_expressions.push_back({"track", SelectorOperator::kNotIn, {"canary"}});
  state.Apply(EventType::kAdded, Pod("a", "w3", {{"app", "web"}, {"version", "v2"}}));
  state.Apply(EventType::kAdded, Pod("a", "w1", {{"app", "web"}, {"version", "v1"}}));
  state.Apply(EventType::kAdded,
              Pod("a", "w2", {{"app", "web"}, {"version", "v2"}, {"track", "canary"}}));
  state.Apply(EventType::kAdded, Pod("a", "db", {{"app", "db"}, {"version", "v2"}}));
  state.Apply(EventType::kAdded, Pod("b", "w9", {{"app", "web"}}));
  EXPECT_EQ(Names(state.Pods("a", web)), (std::vector<std::string>{"w1", "w2", "w3"}));
  EXPECT_EQ(Names(state.Pods("a", web_v2)), (std::vector<std::string>{"w2", "w3"}));
  EXPECT_EQ(Names(state.Pods("a", web_not_canary)), (std::vector<std::string>{"w1", "w3"}));

  // w1 moves to v2, w3 stops being web, w2 goes away.
  state.Apply(EventType::kModified, Pod("a", "w1", {{"app", "web"}, {"version", "v2"}}));
  state.Apply(EventType::kModified, Pod("a", "w3", {{"app", "api"}, {"version", "v2"}}));
  state.Apply(EventType::kDeleted, Pod("a", "w2", {}));
  EXPECT_EQ(Names(state.Pods("a", web)), (std::vector<std::string>{"w1"}));
  EXPECT_EQ(Names(state.Pods("a", web_v2)), (std::vector<std::string>{"w1"}));
  LabelSelector nothing;
  nothing.match_labels = {{"app", "none"}};
  EXPECT_TRUE(state.Pods("a", nothing).empty());

  // A relist rebuilds the index with the table.
  std::vector<ClusterObject> list;
  list.push_back(Pod("a", "n1", {{"app", "web"}, {"version", "v2"}}));
  state.Replace(ClusterKind::kPod, std::move(list));
  EXPECT_EQ(Names(state.Pods("a", web_v2)), (std::vector<std::string>{"n1"}));
  EXPECT_TRUE(state.Pods("b", web).empty());
}

TEST(ClusterCacheTest, ReplaceDropsWhatTheNewListLacks) {
  ClusterCache state;
  state.Apply(EventType::kAdded, Pod("a", "old", {}));
  std::vector<ClusterObject> list;
  list.push_back(Pod("a", "new", {}));
  list.push_back(ClusterObject{ClusterKind::kNamespace, "1", CachedNamespace{"ignored", {}}});
  state.Replace(ClusterKind::kPod, std::move(list));
  EXPECT_EQ(Names(state.Pods("a", {})), (std::vector<std::string>{"new"}));
  EXPECT_EQ(state.Count(ClusterKind::kNamespace), 0u);
}

TEST(ClusterCacheTest, SyncedOnceEveryWatchedKindWasListed) {
  ClusterCache state({ClusterKind::kNamespace, ClusterKind::kPod});
  EXPECT_FALSE(state.Synced());
  state.Apply(EventType::kAdded, Pod("a", "p", {}));
  EXPECT_FALSE(state.Listed(ClusterKind::kPod));
  state.Replace(ClusterKind::kPod, {});
  EXPECT_FALSE(state.Synced());
  state.Replace(ClusterKind::kNamespace, {});
  EXPECT_TRUE(state.Synced());
  EXPECT_FALSE(state.Listed(ClusterKind::kConfigMap));
}

TEST(ClusterCacheTest, ReadersNeverSeeAHalfAppliedRelist) {
  constexpr int kOld = 500;
  constexpr int kNew = 1500;
  auto list_of = [](int count, const std::string& prefix) {
    std::vector<ClusterObject> list;
    for (int i = 0; i < count; ++i) {
      list.push_back(Pod("ns", prefix + std::to_string(i), {}));
    }
    return list;
  };
  ClusterCache state;
  state.Replace(ClusterKind::kPod, list_of(kOld, "old-"));
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0};
  std::atomic<int> reads{0};
  std::thread reader([&] {
    while (!stop) {
      const auto size = state.Pods("ns", {}).size();
      if (size != kOld && size != kNew) {
        ++torn;
      }
      ++reads;
    }
  });
  for (int round = 0; round < 20; ++round) {
    state.Replace(ClusterKind::kPod, list_of(round % 2 == 0 ? kNew : kOld, "r-"));
  }
  while (reads < 10) {
    std::this_thread::yield();
  }
  stop = true;
  reader.join();
  EXPECT_EQ(torn, 0);
}

TEST(ClusterCacheTest, MalformedObjectsAreErrorsNotCrashes) {
  struct Case {
    ClusterKind kind;
    const char* json;
    const char* path;
  };
  const Case cases[] = {
      {ClusterKind::kPod, R"([])", ""},
      {ClusterKind::kPod, R"({})", "metadata"},
      {ClusterKind::kPod, R"({"metadata":[]})", "metadata"},
      {ClusterKind::kPod, R"({"metadata":{"name":1,"namespace":"a"}})", "metadata.name"},
      {ClusterKind::kPod, R"({"metadata":{"name":"p"}})", "metadata.namespace"},
      {ClusterKind::kPod, R"({"metadata":{"name":"p","namespace":"a","labels":{"x":1}}})",
       "metadata.labels.x"},
      {ClusterKind::kPod, R"({"metadata":{"name":"p","namespace":"a"},"spec":{"containers":{}}})",
       "spec.containers"},
      {ClusterKind::kPod,
       R"({"metadata":{"name":"p","namespace":"a"},"spec":{"containers":[{"ports":[{"name":"x","containerPort":"80"}]}]}})",
       "spec.containers[0].ports[0].containerPort"},
      {ClusterKind::kPod,
       R"({"metadata":{"name":"p","namespace":"a"},"status":{"podIPs":[{"ip":7}]}})",
       "status.podIPs[0].ip"},
      {ClusterKind::kNetworkPolicy,
       R"({"metadata":{"name":"n","namespace":"a"},"spec":{"podSelector":[]}})",
       "spec.podSelector"},
      {ClusterKind::kConfigMap, R"({"metadata":{"name":"c","namespace":"a"},"data":{"k":[]}})",
       "data.k"},
      // The cluster policies, through the object decoder.
      {ClusterKind::kAdminNetworkPolicy, R"({"metadata":{}})", "metadata.name"},
      {ClusterKind::kAdminNetworkPolicy, R"({"metadata":{"name":"a"}})", "spec"},
      {ClusterKind::kAdminNetworkPolicy,
       R"({"metadata":{"name":"a"},"spec":{"subject":{"namespaces":{}}}})", "spec.priority"},
      {ClusterKind::kAdminNetworkPolicy,
       R"({"metadata":{"name":"a"},"spec":{"priority":1,"subject":{"namespaces":{}},
           "egress":[{"action":"Deny","to":[{"networks":["10.0.0.0/40"]}]}]}})",
       "spec.egress[0].to[0].networks[0]"},
      {ClusterKind::kBaselineAdminNetworkPolicy,
       R"({"metadata":{"name":"default"},"spec":{"subject":{"namespaces":{}},
           "ingress":[{"action":"Pass","from":[{"namespaces":{}}]}]}})",
       "spec.ingress[0].action"},
      {ClusterKind::kClusterNetworkPolicy,
       R"({"metadata":{"name":"c"},"spec":{"tier":"Top","priority":1,
           "subject":{"namespaces":{}}}})",
       "spec.tier"},
      {ClusterKind::kClusterNetworkPolicy,
       R"({"metadata":{"name":"c"},"spec":{"tier":"Admin","priority":1,"subject":{"namespaces":{}},
           "ingress":[{"action":"Accept","from":[{"namespaces":{}}],
                       "protocols":[{"tcp":{"destinationPort":{"number":70000}}}]}]}})",
       "spec.ingress[0].protocols[0].tcp.destinationPort.number"},
  };
  for (const auto& c : cases) {
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseIterativeFlag>(c.json);
    ASSERT_FALSE(doc.HasParseError()) << c.json;
    auto decoded = DecodeClusterObject(c.kind, doc);
    ASSERT_FALSE(decoded.ok()) << c.json;
    EXPECT_EQ(decoded.error().path, c.path) << c.json << ": " << decoded.error().ToString();
  }
}

TEST(ClusterCacheTest, PodIpsComeFromPodIPsOrPodIP) {
  rapidjson::Document doc;
  doc.Parse(
      R"({"metadata":{"name":"p","namespace":"a"},"status":{"podIP":"10.0.0.1","podIPs":[{"ip":"10.0.0.1"},{"ip":"fd00::1"}]}})");
  auto both = DecodeClusterObject(ClusterKind::kPod, doc);
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(std::get<CachedPod>(both->value).ips,
            (std::vector<std::string>{"10.0.0.1", "fd00::1"}));
  doc.Parse(R"({"metadata":{"name":"p","namespace":"a"},"status":{"podIP":"10.0.0.2"}})");
  auto one = DecodeClusterObject(ClusterKind::kPod, doc);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(std::get<CachedPod>(one->value).ips, (std::vector<std::string>{"10.0.0.2"}));
}

// --- The cluster-scoped policies ---

ClusterObject ClusterPolicy(ClusterKind kind, const std::string& name, int32_t priority = 0,
                            const std::string& rv = "1") {
  ClusterPolicySpec spec;
  spec.kind = kind == ClusterKind::kAdminNetworkPolicy ? ClusterPolicyKind::kAdminNetworkPolicy
              : kind == ClusterKind::kBaselineAdminNetworkPolicy
                  ? ClusterPolicyKind::kBaselineAdminNetworkPolicy
                  : ClusterPolicyKind::kClusterNetworkPolicy;
  spec.priority = priority;
  return ClusterObject{kind, rv, CachedClusterPolicy{name, {}, std::move(spec)}};
}

// "adminnetworkpolicies/b", in the order ClusterPolicies() gives them.
std::vector<std::string> PolicyKeys(const ClusterView& view) {
  std::vector<std::string> keys;
  for (const auto& policy : view.ClusterPolicies()) {
    keys.push_back(std::string(ClusterPolicyKindName(policy->spec.kind)) + "/" + policy->name);
  }
  return keys;
}

Result<ClusterObject> DecodeJson(ClusterKind kind, const char* json) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(json);
  EXPECT_FALSE(doc.HasParseError()) << json;
  return DecodeClusterObject(kind, doc);
}

TEST(ClusterCacheTest, ClusterPolicyKindsAreNamedAsTheirResources) {
  EXPECT_STREQ(ClusterKindName(ClusterKind::kAdminNetworkPolicy), "adminnetworkpolicies");
  EXPECT_STREQ(ClusterKindName(ClusterKind::kBaselineAdminNetworkPolicy),
               "baselineadminnetworkpolicies");
  EXPECT_STREQ(ClusterKindName(ClusterKind::kClusterNetworkPolicy), "clusternetworkpolicies");
  // The policy kinds are not among those every cluster serves.
  for (const ClusterKind kind : kClusterPolicyKinds) {
    EXPECT_EQ(std::find(kClusterKinds.begin(), kClusterKinds.end(), kind), kClusterKinds.end());
  }
}

// LIST items carry no kind or apiVersion: the kind says which schema to read.
TEST(ClusterCacheTest, ClusterPoliciesDecodeFromListItems) {
  auto admin = DecodeJson(ClusterKind::kAdminNetworkPolicy, R"({
      "metadata": {"name": "guard", "resourceVersion": "42", "labels": {"team": "sec"}},
      "spec": {"priority": 7, "subject": {"namespaces": {}},
               "egress": [{"name": "no-metadata", "action": "Deny",
                           "to": [{"networks": ["169.254.169.254/32"]}]}]}})");
  ASSERT_TRUE(admin.ok()) << admin.error().ToString();
  EXPECT_EQ(admin->kind, ClusterKind::kAdminNetworkPolicy);
  EXPECT_EQ(admin->resource_version, "42");
  EXPECT_EQ(admin->name(), "guard");
  EXPECT_EQ(admin->namespace_name(), "");
  const auto& policy = std::get<CachedClusterPolicy>(admin->value);
  EXPECT_EQ(policy.labels, (Labels{{"team", "sec"}}));
  EXPECT_EQ(policy.spec.kind, ClusterPolicyKind::kAdminNetworkPolicy);
  EXPECT_EQ(policy.spec.tier, ClusterPolicyTier::kAdmin);
  EXPECT_EQ(policy.spec.priority, 7);
  ASSERT_EQ(policy.spec.egress.size(), 1u);
  EXPECT_EQ(policy.spec.egress[0].name, "no-metadata");
  EXPECT_EQ(policy.spec.egress[0].peers[0].networks,
            (std::vector<std::string>{"169.254.169.254/32"}));

  auto baseline = DecodeJson(ClusterKind::kBaselineAdminNetworkPolicy, R"({
      "metadata": {"name": "default"},
      "spec": {"subject": {"namespaces": {}},
               "ingress": [{"action": "Deny", "from": [{"namespaces": {}}]}]}})");
  ASSERT_TRUE(baseline.ok()) << baseline.error().ToString();
  EXPECT_EQ(std::get<CachedClusterPolicy>(baseline->value).spec.tier, ClusterPolicyTier::kBaseline);

  // A namespace on a cluster-scoped object means nothing.
  auto cluster = DecodeJson(ClusterKind::kClusterNetworkPolicy, R"({
      "metadata": {"name": "dns", "namespace": "kube-system"},
      "spec": {"tier": "Baseline", "priority": 3, "subject": {"pods": {"podSelector": {}}},
               "egress": [{"action": "Accept", "to": [{"namespaces": {}}],
                           "protocols": [{"udp": {"destinationPort": {"number": 53}}}]}]}})");
  ASSERT_TRUE(cluster.ok()) << cluster.error().ToString();
  EXPECT_EQ(cluster->namespace_name(), "");
  const auto& cnp = std::get<CachedClusterPolicy>(cluster->value).spec;
  EXPECT_EQ(cnp.kind, ClusterPolicyKind::kClusterNetworkPolicy);
  EXPECT_EQ(cnp.tier, ClusterPolicyTier::kBaseline);
  EXPECT_EQ(cnp.egress[0].action, ClusterRuleAction::kAllow);
  EXPECT_EQ((*cnp.egress[0].ports)[0].protocol, Protocol::kUDP);
}

TEST(ClusterCacheTest, ClusterPoliciesAreSortedByKindThenName) {
  ClusterCache state;
  EXPECT_TRUE(state.ClusterPolicies().empty());
  state.Apply(EventType::kAdded, ClusterPolicy(ClusterKind::kClusterNetworkPolicy, "a"));
  state.Apply(EventType::kAdded, ClusterPolicy(ClusterKind::kAdminNetworkPolicy, "z"));
  state.Apply(EventType::kAdded,
              ClusterPolicy(ClusterKind::kBaselineAdminNetworkPolicy, "default"));
  state.Apply(EventType::kAdded, ClusterPolicy(ClusterKind::kAdminNetworkPolicy, "b"));
  // One name in two kinds: two objects.
  state.Apply(EventType::kAdded, ClusterPolicy(ClusterKind::kClusterNetworkPolicy, "b"));
  EXPECT_EQ(PolicyKeys(state),
            (std::vector<std::string>{"AdminNetworkPolicy/b", "AdminNetworkPolicy/z",
                                      "BaselineAdminNetworkPolicy/default",
                                      "ClusterNetworkPolicy/a", "ClusterNetworkPolicy/b"}));
  EXPECT_EQ(state.Count(ClusterKind::kAdminNetworkPolicy), 2u);
  EXPECT_EQ(state.Count(ClusterKind::kBaselineAdminNetworkPolicy), 1u);
  EXPECT_EQ(state.Count(ClusterKind::kClusterNetworkPolicy), 2u);
  // The namespaced kinds are untouched.
  EXPECT_EQ(state.Count(ClusterKind::kNetworkPolicy), 0u);
  EXPECT_TRUE(state.Policies("").empty());
}

TEST(ClusterCacheTest, ClusterPolicyEventsAndRelists) {
  ClusterCache state;
  const uint64_t start = state.Generation(ClusterKind::kAdminNetworkPolicy);
  state.Apply(EventType::kAdded, ClusterPolicy(ClusterKind::kAdminNetworkPolicy, "a", 10));
  EXPECT_GT(state.Generation(ClusterKind::kAdminNetworkPolicy), start);
  EXPECT_EQ(state.Generation(ClusterKind::kClusterNetworkPolicy), 0u);
  EXPECT_FALSE(state.Listed(ClusterKind::kAdminNetworkPolicy));  // an event is not a list

  auto before = state.ClusterPolicies();
  state.Apply(EventType::kModified, ClusterPolicy(ClusterKind::kAdminNetworkPolicy, "a", 20));
  ASSERT_EQ(state.ClusterPolicies().size(), 1u);
  EXPECT_EQ(state.ClusterPolicies()[0]->spec.priority, 20);
  EXPECT_EQ(before[0]->spec.priority, 10);  // what a reader holds stays as it was

  // A delete of another kind's object of the same name removes nothing.
  state.Apply(EventType::kDeleted, ClusterPolicy(ClusterKind::kClusterNetworkPolicy, "a"));
  EXPECT_EQ(state.Count(ClusterKind::kAdminNetworkPolicy), 1u);
  state.Apply(EventType::kDeleted, ClusterPolicy(ClusterKind::kAdminNetworkPolicy, "a"));
  EXPECT_EQ(state.Count(ClusterKind::kAdminNetworkPolicy), 0u);
  EXPECT_TRUE(state.ClusterPolicies().empty());

  std::vector<ClusterObject> list;
  list.push_back(ClusterPolicy(ClusterKind::kClusterNetworkPolicy, "y"));
  list.push_back(ClusterPolicy(ClusterKind::kClusterNetworkPolicy, "x"));
  list.push_back(ClusterPolicy(ClusterKind::kAdminNetworkPolicy, "other-kind"));  // ignored
  state.Replace(ClusterKind::kClusterNetworkPolicy, std::move(list));
  EXPECT_TRUE(state.Listed(ClusterKind::kClusterNetworkPolicy));
  EXPECT_FALSE(state.Listed(ClusterKind::kAdminNetworkPolicy));
  EXPECT_EQ(PolicyKeys(state),
            (std::vector<std::string>{"ClusterNetworkPolicy/x", "ClusterNetworkPolicy/y"}));
}

// The policy CRDs may not be installed: by default nothing waits for them.
TEST(ClusterCacheTest, SyncedWithoutThePolicyKindsUnlessWatched) {
  ClusterCache state;
  for (const ClusterKind kind : kClusterKinds) {
    state.Replace(kind, {});
  }
  EXPECT_TRUE(state.Synced());

  ClusterCache strict({ClusterKind::kNamespace, ClusterKind::kBaselineAdminNetworkPolicy});
  strict.Replace(ClusterKind::kNamespace, {});
  EXPECT_FALSE(strict.Synced());
  strict.Replace(ClusterKind::kBaselineAdminNetworkPolicy, {});
  EXPECT_TRUE(strict.Synced());
}

TEST(ClusterCacheTest, ForgetDropsAKindWholesale) {
  ClusterCache state({ClusterKind::kAdminNetworkPolicy});
  std::vector<ClusterObject> list;
  list.push_back(ClusterPolicy(ClusterKind::kAdminNetworkPolicy, "a"));
  list.push_back(ClusterPolicy(ClusterKind::kAdminNetworkPolicy, "b"));
  state.Replace(ClusterKind::kAdminNetworkPolicy, std::move(list));
  state.Apply(EventType::kAdded, ClusterPolicy(ClusterKind::kClusterNetworkPolicy, "c"));
  ASSERT_TRUE(state.Synced());
  const auto held = state.ClusterPolicies();
  const uint64_t generation = state.Generation(ClusterKind::kAdminNetworkPolicy);
  const uint64_t other = state.Generation(ClusterKind::kClusterNetworkPolicy);

  state.Forget(ClusterKind::kAdminNetworkPolicy);
  EXPECT_EQ(state.Count(ClusterKind::kAdminNetworkPolicy), 0u);
  EXPECT_FALSE(state.Listed(ClusterKind::kAdminNetworkPolicy));
  EXPECT_FALSE(state.Synced());
  EXPECT_GT(state.Generation(ClusterKind::kAdminNetworkPolicy), generation);
  EXPECT_EQ(state.Generation(ClusterKind::kClusterNetworkPolicy), other);
  EXPECT_EQ(PolicyKeys(state), (std::vector<std::string>{"ClusterNetworkPolicy/c"}));
  EXPECT_EQ(held.size(), 3u);  // a reader keeps what it was handed
  EXPECT_EQ(held[0]->name, "a");

  // Listed again once the CRD is back.
  state.Replace(ClusterKind::kAdminNetworkPolicy, {});
  EXPECT_TRUE(state.Listed(ClusterKind::kAdminNetworkPolicy));
  EXPECT_TRUE(state.Synced());

  // Any kind can be forgotten.
  state.Apply(EventType::kAdded, Pod("a", "p", {}));
  state.Forget(ClusterKind::kPod);
  EXPECT_TRUE(state.Pods("a", {}).empty());
  EXPECT_FALSE(state.Listed(ClusterKind::kPod));
}

// --- The journal ---

ClusterObject Namespace(const std::string& name, Labels labels = {}) {
  return ClusterObject{ClusterKind::kNamespace, "1", CachedNamespace{name, std::move(labels)}};
}

ClusterObject Policy(const std::string& namespace_name, const std::string& name) {
  return ClusterObject{ClusterKind::kNetworkPolicy, "1",
                       CachedPolicy{namespace_name, name, {}, {}}};
}

ClusterObject ConfigMap(const std::string& namespace_name, const std::string& name) {
  return ClusterObject{ClusterKind::kConfigMap, "1", CachedConfigMap{namespace_name, name, {}, {}}};
}

// "pods a/p1 +": an object added or replaced; "-": deleted; "pods *": the whole kind.
std::vector<std::string> Describe(const std::vector<ClusterChange>& changes) {
  std::vector<std::string> out;
  for (const auto& change : changes) {
    std::string line = ClusterKindName(change.kind);
    if (change.whole_kind) {
      out.push_back(line + " *");
      continue;
    }
    line += " " + (change.namespace_name.empty() ? "" : change.namespace_name + "/") + change.name;
    out.push_back(line + (std::holds_alternative<std::monostate>(change.object) ? " -" : " +"));
  }
  return out;
}

std::vector<ClusterChange> ChangesAfter(const ClusterView& view, uint64_t after) {
  auto changes = view.ChangesSince(after);
  EXPECT_TRUE(changes.has_value()) << "after " << after;
  return changes ? changes->changes : std::vector<ClusterChange>{};
}

TEST(ClusterCacheTest, JournalRecordsEachChangeInOrderWithTheStoredObject) {
  ClusterCache state;
  EXPECT_EQ(state.Sequence(), 0u);
  uint64_t expected = 0;
  // Applies `object` and checks that the sequence rose by `recorded`.
  auto apply = [&](EventType type, ClusterObject object, uint64_t recorded) {
    const std::string what = object.name();
    state.Apply(type, std::move(object));
    expected += recorded;
    EXPECT_EQ(state.Sequence(), expected) << what;
  };
  apply(EventType::kAdded, Namespace("a"), 1);
  apply(EventType::kAdded, Policy("a", "deny"), 1);
  apply(EventType::kAdded, Pod("a", "p1", {{"app", "x"}}), 1);
  const auto added = state.Pods("a", {})[0];
  apply(EventType::kModified, Pod("a", "p1", {{"app", "y"}}), 1);
  const auto modified = state.Pods("a", {})[0];
  apply(EventType::kAdded, ClusterPolicy(ClusterKind::kAdminNetworkPolicy, "guard"), 1);
  apply(EventType::kAdded, ClusterPolicy(ClusterKind::kBaselineAdminNetworkPolicy, "default"), 1);
  apply(EventType::kAdded, ClusterPolicy(ClusterKind::kClusterNetworkPolicy, "dns"), 1);
  apply(EventType::kAdded, ConfigMap("a", "rules"), 0);
  apply(EventType::kModified, ConfigMap("a", "rules"), 0);
  apply(EventType::kDeleted, ConfigMap("a", "rules"), 0);
  apply(EventType::kDeleted, Pod("a", "never-seen", {}), 0);
  apply(EventType::kDeleted, ClusterPolicy(ClusterKind::kClusterNetworkPolicy, "guard"), 0);
  apply(EventType::kDeleted, Pod("a", "p1", {}), 1);
  apply(EventType::kDeleted, ClusterPolicy(ClusterKind::kAdminNetworkPolicy, "guard"), 1);
  apply(EventType::kDeleted, Namespace("a"), 1);

  const auto changes = ChangesAfter(state, 0);
  EXPECT_EQ(Describe(changes), (std::vector<std::string>{
                                   "namespaces a +",
                                   "networkpolicies a/deny +",
                                   "pods a/p1 +",
                                   "pods a/p1 +",
                                   "adminnetworkpolicies guard +",
                                   "baselineadminnetworkpolicies default +",
                                   "clusternetworkpolicies dns +",
                                   "pods a/p1 -",
                                   "adminnetworkpolicies guard -",
                                   "namespaces a -",
                               }));
  ASSERT_EQ(changes.size(), 10u);
  // The objects are the ones the view handed out, not copies.
  EXPECT_EQ(std::get<std::shared_ptr<const CachedPod>>(changes[2].object), added);
  EXPECT_EQ(std::get<std::shared_ptr<const CachedPod>>(changes[3].object), modified);
  EXPECT_EQ(modified->labels.at("app"), "y");
  EXPECT_EQ(std::get<std::shared_ptr<const CachedPolicy>>(changes[1].object)->name, "deny");
  EXPECT_EQ(std::get<std::shared_ptr<const CachedClusterPolicy>>(changes[6].object),
            state.ClusterPolicies()[1]);
  EXPECT_EQ(std::get<std::shared_ptr<const CachedNamespace>>(changes[0].object)->name, "a");
  EXPECT_FALSE(changes[0].whole_kind);

  // Later changes only, and where they end.
  auto tail = state.ChangesSince(8);
  ASSERT_TRUE(tail.has_value());
  EXPECT_EQ(tail->sequence, 10u);
  EXPECT_EQ(Describe(tail->changes),
            (std::vector<std::string>{"adminnetworkpolicies guard -", "namespaces a -"}));
}

TEST(ClusterCacheTest, JournalRecordsARelistOrForgetAsOneWholeKindChange) {
  ClusterCache state;
  state.Apply(EventType::kAdded, Pod("a", "old", {}));
  const uint64_t before = state.Sequence();
  std::vector<ClusterObject> list;
  list.push_back(Pod("a", "p1", {}));
  list.push_back(Pod("a", "p2", {}));
  list.push_back(Pod("b", "p3", {}));
  state.Replace(ClusterKind::kPod, std::move(list));
  state.Forget(ClusterKind::kAdminNetworkPolicy);
  state.Replace(ClusterKind::kConfigMap, {});
  state.Forget(ClusterKind::kConfigMap);
  state.Replace(ClusterKind::kNamespace, {});
  EXPECT_EQ(state.Sequence(), before + 3);

  const auto changes = ChangesAfter(state, before);
  EXPECT_EQ(Describe(changes),
            (std::vector<std::string>{"pods *", "adminnetworkpolicies *", "namespaces *"}));
  for (const auto& change : changes) {
    EXPECT_TRUE(change.whole_kind);
    EXPECT_TRUE(change.name.empty());
    EXPECT_TRUE(change.namespace_name.empty());
    EXPECT_TRUE(std::holds_alternative<std::monostate>(change.object));
  }
}

// The journal keeps the last kJournalLength changes, and with them the objects they hold.
TEST(ClusterCacheTest, ChangesSinceAnsweredOnlyForWhatTheJournalKeeps) {
  ClusterCache state;
  auto empty = state.ChangesSince(0);
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->changes.empty());
  EXPECT_EQ(empty->sequence, 0u);
  EXPECT_FALSE(state.ChangesSince(1).has_value());

  state.Apply(EventType::kAdded, Pod("a", "gone", {}));
  std::weak_ptr<const CachedPod> gone = state.Pods("a", {})[0];
  state.Apply(EventType::kDeleted, Pod("a", "gone", {}));
  EXPECT_FALSE(gone.expired());  // its ADDED still holds it

  constexpr uint64_t kMore = ClusterCache::kJournalLength + 64;
  for (uint64_t i = 0; i < kMore; ++i) {
    state.Apply(EventType::kModified, Pod("a", "p", {}));
  }
  const uint64_t sequence = state.Sequence();
  ASSERT_EQ(sequence, 2 + kMore);
  EXPECT_TRUE(gone.expired());  // fell out with its changes

  auto now = state.ChangesSince(sequence);
  ASSERT_TRUE(now.has_value());
  EXPECT_TRUE(now->changes.empty());
  EXPECT_EQ(now->sequence, sequence);
  EXPECT_FALSE(state.ChangesSince(sequence + 1).has_value());
  EXPECT_EQ(ChangesAfter(state, sequence - 1).size(), 1u);
  // The oldest change kept is sequence - kJournalLength + 1.
  const uint64_t oldest = sequence - ClusterCache::kJournalLength;
  auto all = state.ChangesSince(oldest);
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->changes.size(), ClusterCache::kJournalLength);
  EXPECT_FALSE(state.ChangesSince(oldest - 1).has_value());
  EXPECT_FALSE(state.ChangesSince(0).has_value());
}

TEST(ClusterCacheTest, JournalIdsTellCachesApart) {
  ClusterCache one;
  ClusterCache two;
  EXPECT_NE(one.JournalId(), 0u);
  EXPECT_NE(two.JournalId(), 0u);
  EXPECT_NE(one.JournalId(), two.JournalId());

  // A view over a cache keeps no journal of its own.
  one.Apply(EventType::kAdded, Pod("a", "p", {}));
  FreshPolicies fresh(one, {});
  EXPECT_EQ(fresh.JournalId(), 0u);
  EXPECT_EQ(fresh.Sequence(), 0u);
  EXPECT_FALSE(fresh.ChangesSince(0).has_value());
}

ClusterKind KindOf(const CachedClusterPolicy& policy) {
  switch (policy.spec.kind) {
    case ClusterPolicyKind::kAdminNetworkPolicy:
      return ClusterKind::kAdminNetworkPolicy;
    case ClusterPolicyKind::kBaselineAdminNetworkPolicy:
      return ClusterKind::kBaselineAdminNetworkPolicy;
    case ClusterPolicyKind::kClusterNetworkPolicy:
      break;
  }
  return ClusterKind::kClusterNetworkPolicy;
}

// What a consumer keeps of a view: every object by key ("ns/name"; "kind/name" for the cluster
// policies), the view's own shared_ptr.
struct Mirrored {
  std::map<std::string, std::shared_ptr<const CachedNamespace>> namespaces;
  std::map<std::string, std::shared_ptr<const CachedPolicy>> policies;
  std::map<std::string, std::shared_ptr<const CachedPod>> pods;
  std::map<std::string, std::shared_ptr<const CachedClusterPolicy>> cluster_policies;
  bool operator==(const Mirrored&) const = default;
};

// A consumer of the journal, as the header describes one: Start, Read each kind, then Apply
// what changed since; the test makes changes between any two of these steps.
class Mirror {
 public:
  explicit Mirror(const ClusterView& view) : view_(view) {}

  void Start() { sequence_ = view_.Sequence(); }

  void Read(ClusterKind kind) {
    switch (kind) {
      case ClusterKind::kNamespace:
        objects.namespaces.clear();
        for (auto& item : view_.Namespaces()) {
          objects.namespaces[item->name] = item;
        }
        return;
      case ClusterKind::kNetworkPolicy:
        ReadNamespaced(objects.policies, [&](const std::string& namespace_name) {
          return view_.Policies(namespace_name);
        });
        return;
      case ClusterKind::kPod:
        ReadNamespaced(objects.pods, [&](const std::string& namespace_name) {
          return view_.Pods(namespace_name, {});
        });
        return;
      case ClusterKind::kConfigMap:
        ADD_FAILURE() << "ConfigMaps are not mirrored";
        return;
      case ClusterKind::kAdminNetworkPolicy:
      case ClusterKind::kBaselineAdminNetworkPolicy:
      case ClusterKind::kClusterNetworkPolicy:
        break;
    }
    std::erase_if(objects.cluster_policies,
                  [&](const auto& entry) { return KindOf(*entry.second) == kind; });
    for (auto& item : view_.ClusterPolicies()) {
      if (KindOf(*item) == kind) {
        objects.cluster_policies[ClusterPolicyKey(kind, item->name)] = item;
      }
    }
  }

  void ReadAll() {
    for (const ClusterKind kind :
         {ClusterKind::kNamespace, ClusterKind::kNetworkPolicy, ClusterKind::kPod,
          ClusterKind::kAdminNetworkPolicy, ClusterKind::kBaselineAdminNetworkPolicy,
          ClusterKind::kClusterNetworkPolicy}) {
      Read(kind);
    }
  }

  // Applies what changed since the last sequence, in order; returns the kinds to read again.
  std::vector<ClusterKind> Apply() {
    std::vector<ClusterKind> reread;
    auto changes = view_.ChangesSince(sequence_);
    if (!changes) {
      ADD_FAILURE() << "the journal lost changes after " << sequence_;
      return reread;
    }
    for (const auto& change : changes->changes) {
      if (change.whole_kind) {
        reread.push_back(change.kind);
        continue;
      }
      const std::string key =
          (change.namespace_name.empty() ? "" : change.namespace_name + "/") + change.name;
      switch (change.kind) {
        case ClusterKind::kNamespace:
          Set(objects.namespaces, key, change.object);
          break;
        case ClusterKind::kNetworkPolicy:
          Set(objects.policies, key, change.object);
          break;
        case ClusterKind::kPod:
          Set(objects.pods, key, change.object);
          break;
        case ClusterKind::kConfigMap:
          ADD_FAILURE() << "a ConfigMap in the journal";
          break;
        case ClusterKind::kAdminNetworkPolicy:
        case ClusterKind::kBaselineAdminNetworkPolicy:
        case ClusterKind::kClusterNetworkPolicy:
          Set(objects.cluster_policies, ClusterPolicyKey(change.kind, change.name), change.object);
          break;
      }
    }
    sequence_ = changes->sequence;
    return reread;
  }

  uint64_t sequence() const { return sequence_; }

  Mirrored objects;

 private:
  static std::string ClusterPolicyKey(ClusterKind kind, const std::string& name) {
    return std::string(ClusterKindName(kind)) + "/" + name;
  }

  // Reads a namespaced kind in the namespaces the consumer knows.
  template <typename T, typename Fn>
  void ReadNamespaced(std::map<std::string, std::shared_ptr<const T>>& map, Fn read) {
    map.clear();
    for (const auto& [namespace_name, unused] : objects.namespaces) {
      for (auto& item : read(namespace_name)) {
        map[namespace_name + "/" + item->name] = item;
      }
    }
  }

  template <typename T>
  static void Set(std::map<std::string, std::shared_ptr<const T>>& map, const std::string& key,
                  const decltype(ClusterChange::object)& object) {
    if (const auto* value = std::get_if<std::shared_ptr<const T>>(&object)) {
      map[key] = *value;
      return;
    }
    EXPECT_TRUE(std::holds_alternative<std::monostate>(object)) << key << ": another kind";
    map.erase(key);
  }

  const ClusterView& view_;
  uint64_t sequence_ = 0;
};

Mirrored ReadView(const ClusterView& view) {
  Mirror fresh(view);
  fresh.ReadAll();
  return fresh.objects;
}

// A consumer that takes the sequence, reads the view while it changes, and applies what changed
// since that sequence ends with the view: a change its read already saw is applied again, in its
// place, and each object ends as its last change left it.
TEST(ClusterCacheTest, ConsumerCatchesUpWithTheViewFromTheJournal) {
  ClusterCache state;
  state.Apply(EventType::kAdded, Namespace("a"));
  state.Apply(EventType::kAdded, Namespace("b"));
  state.Apply(EventType::kAdded, Pod("a", "p1", {{"app", "x"}}));
  state.Apply(EventType::kAdded, Pod("a", "p2", {{"app", "x"}}));
  state.Apply(EventType::kAdded, Pod("b", "q1", {}));
  state.Apply(EventType::kAdded, Policy("a", "deny"));
  state.Apply(EventType::kAdded, ClusterPolicy(ClusterKind::kAdminNetworkPolicy, "guard", 1));

  Mirror mirror(state);
  mirror.Start();
  mirror.Read(ClusterKind::kNamespace);
  // A new namespace and its pod, which the read of pods below will not look for; a relabel the
  // read sees, applied again by the catch-up.
  state.Apply(EventType::kAdded, Namespace("c"));
  state.Apply(EventType::kAdded, Pod("c", "r1", {}));
  state.Apply(EventType::kModified, Pod("a", "p2", {{"app", "y"}}));
  mirror.Read(ClusterKind::kPod);
  // The same pod deleted and added again, relabelled; another pod relabelled twice; one gone.
  state.Apply(EventType::kDeleted, Pod("a", "p1", {}));
  state.Apply(EventType::kAdded, Pod("a", "p1", {{"app", "z"}}));
  state.Apply(EventType::kModified, Pod("a", "p2", {{"app", "z"}}));
  state.Apply(EventType::kModified, Pod("a", "p2", {{"app", "w"}}));
  state.Apply(EventType::kDeleted, Pod("b", "q1", {}));
  mirror.Read(ClusterKind::kNetworkPolicy);
  state.Apply(EventType::kAdded, Policy("c", "allow"));
  state.Apply(EventType::kDeleted, Policy("a", "deny"));
  for (const ClusterKind kind : kClusterPolicyKinds) {
    mirror.Read(kind);
  }
  state.Apply(EventType::kModified, ClusterPolicy(ClusterKind::kAdminNetworkPolicy, "guard", 2));
  state.Apply(EventType::kAdded, ClusterPolicy(ClusterKind::kClusterNetworkPolicy, "dns"));
  state.Apply(EventType::kDeleted, Namespace("b"));
  state.Apply(EventType::kAdded, ConfigMap("a", "rules"));  // not mirrored: changes nothing

  EXPECT_NE(mirror.objects, ReadView(state));  // behind, as the test means it to be
  EXPECT_TRUE(mirror.Apply().empty());
  EXPECT_EQ(mirror.sequence(), state.Sequence());
  EXPECT_EQ(mirror.objects, ReadView(state));
  EXPECT_EQ(mirror.objects.pods.at("a/p1")->labels.at("app"), "z");
  EXPECT_EQ(mirror.objects.pods.at("a/p2")->labels.at("app"), "w");
  EXPECT_EQ(mirror.objects.pods.count("b/q1"), 0u);
  EXPECT_EQ(mirror.objects.pods.count("c/r1"), 1u);

  // A relist: the kind is read again after the batch, by then newer than the batch's sequence,
  // and the next catch-up brings everything to one sequence.
  std::vector<ClusterObject> list;
  list.push_back(Pod("a", "p1", {{"app", "z"}}));
  list.push_back(Pod("a", "p3", {}));
  state.Replace(ClusterKind::kPod, std::move(list));
  state.Apply(EventType::kModified, Pod("a", "p3", {{"app", "v"}}));
  const auto reread = mirror.Apply();
  EXPECT_EQ(reread, (std::vector<ClusterKind>{ClusterKind::kPod}));
  state.Apply(EventType::kModified, Pod("a", "p1", {{"app", "u"}}));
  state.Apply(EventType::kAdded, Namespace("d"));
  for (const ClusterKind kind : reread) {
    mirror.Read(kind);
  }
  state.Apply(EventType::kAdded, Pod("d", "s1", {}));
  EXPECT_NE(mirror.objects, ReadView(state));
  EXPECT_TRUE(mirror.Apply().empty());
  EXPECT_EQ(mirror.objects, ReadView(state));
  EXPECT_EQ(mirror.objects.pods.at("a/p1")->labels.at("app"), "u");
  EXPECT_EQ(mirror.objects.pods.count("a/p2"), 0u);
  EXPECT_EQ(mirror.objects.pods.count("d/s1"), 1u);
}

}  // namespace
}  // namespace netadmit
