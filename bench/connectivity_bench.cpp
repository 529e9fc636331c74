// The full connectivity matrix of a synthetic cluster: 10,000 pods in 100 namespaces and 2,000
// NetworkPolicies (20 per namespace: a default deny both ways, DNS egress, per-app ingress and
// egress between neighbouring apps over named ports, traffic from the next team's namespace and
// from a gateway namespace, monitoring from prod namespaces, ipBlocks with except).
// The same with 50 cluster-scoped policies on top (AdminNetworkPolicies, ClusterNetworkPolicies of
// both tiers and the BaselineAdminNetworkPolicy; Allow, Deny and Pass; namespace and pod
// subjects; namespace, pod and `networks` peers; numbered, ranged and named ports).
// Also one watch event applied to an engine kept current (BM_UpdateInPlace), and the Flows rule
// kind at admission: one NetworkPolicy CREATE judged against that cluster, held in the cluster
// cache as the webhook holds it.
//   build/release/bench/connectivity_bench --benchmark_min_time=2

#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "netadmit/cluster/cluster.h"
#include "netadmit/connectivity/connectivity.h"
#include "netadmit/rules/engine.h"
#include "netadmit/rules/rule_set.h"

namespace netadmit {
namespace {

constexpr int kNamespaces = 100;
constexpr int kPodsPerNamespace = 100;
constexpr int kApps = 8;  // per namespace; each app in two versions

LabelSelector Select(Labels labels) {
  LabelSelector selector;
  selector.match_labels = std::move(labels);
  return selector;
}

NetworkPolicyPort Port(int32_t port, Protocol protocol = Protocol::kTCP) {
  NetworkPolicyPort out;
  out.port = port;
  out.protocol = protocol;
  return out;
}

NetworkPolicyPort NamedPort(const std::string& name) {
  NetworkPolicyPort out;
  out.named_port = name;
  return out;
}

NetworkPolicyPeer PodPeer(Labels labels) {
  return NetworkPolicyPeer{Select(std::move(labels)), std::nullopt, std::nullopt};
}

NetworkPolicyPeer NamespacePeer(Labels namespace_labels, std::optional<Labels> pod_labels = {}) {
  NetworkPolicyPeer peer;
  peer.namespace_selector = Select(std::move(namespace_labels));
  if (pod_labels) {
    peer.pod_selector = Select(std::move(*pod_labels));
  }
  return peer;
}

std::string App(int app) { return "app-" + std::to_string(app); }

// `distinct`: every pod gets a label of its own, so that no two pods share a class (the worst
// case for the class grouping).
ClusterState SyntheticCluster(bool distinct = false) {
  ClusterState state;
  for (int n = 0; n < kNamespaces; ++n) {
    const std::string ns = "team-" + std::to_string(n);
    const char* env = n % 3 == 0 ? "prod" : (n % 3 == 1 ? "staging" : "dev");
    state.namespaces.push_back(NamespaceInfo{ns, {{"team", ns}, {"env", env}}});
    for (int p = 0; p < kPodsPerNamespace; ++p) {
      PodInfo pod;
      pod.namespace_name = ns;
      pod.name = App(p % kApps) + "-" + std::to_string(p);
      pod.labels = {{"app", App(p % kApps)},
                    {"version", (p / kApps) % 2 == 0 ? "v1" : "v2"},
                    {"pod-template-hash", "5d4f8c" + std::to_string(p % kApps)}};
      if (distinct) {
        pod.labels["instance"] = std::to_string(p);
      }
      pod.ports = {{"http", 8080, Protocol::kTCP}, {"metrics", 9090, Protocol::kTCP}};
      pod.ips = {"10." + std::to_string(n) + '.' + std::to_string(p / 250) + '.' +
                 std::to_string(p % 250 + 1)};
      state.pods.push_back(std::move(pod));
    }
    auto policy = [&](const std::string& name) -> NetworkPolicySpec& {
      state.policies.push_back(PolicyInfo{ns, name, {}});
      return state.policies.back().spec;
    };
    NetworkPolicySpec& deny = policy("default-deny");
    deny.policy_types = std::vector<PolicyType>{PolicyType::kIngress, PolicyType::kEgress};
    NetworkPolicySpec& dns = policy("allow-dns");
    dns.policy_types = std::vector<PolicyType>{PolicyType::kEgress};
    dns.egress.push_back({{Port(53, Protocol::kUDP), Port(53)},
                          {NamespacePeer({{"kubernetes.io/metadata.name", "kube-system"}},
                                         Labels{{"k8s-app", "kube-dns"}})}});
    for (int a = 0; a < kApps; ++a) {
      NetworkPolicySpec& in = policy(App(a) + "-ingress");
      in.pod_selector = Select({{"app", App(a)}});
      in.ingress.push_back(
          {{NamedPort("http")}, {PodPeer({{"app", App((a + kApps - 1) % kApps)}})}});
      in.ingress.push_back(
          {{Port(8080)},
           {NamespacePeer({{"team", "team-" + std::to_string((n + 1) % kNamespaces)}},
                          Labels{{"app", App(a)}})}});
      NetworkPolicySpec& out = policy(App(a) + "-egress");
      out.pod_selector = Select({{"app", App(a)}});
      out.policy_types = std::vector<PolicyType>{PolicyType::kEgress};
      out.egress.push_back({{NamedPort("http")}, {PodPeer({{"app", App((a + 1) % kApps)}})}});
      out.egress.push_back({{Port(9090)}, {NamespacePeer({{"env", "prod"}})}});
      NetworkPolicyPeer internet;
      internet.ip_block = IPBlock{"0.0.0.0/0", {"10.0.0.0/8", "192.168.0.0/16"}};
      out.egress.push_back({{Port(443)}, {internet}});
    }
    NetworkPolicySpec& cidr = policy("from-office");
    cidr.pod_selector = Select({{"app", App(1)}, {"version", "v2"}});
    NetworkPolicyPeer office;
    office.ip_block = IPBlock{"10.0.0.0/8", {"10." + std::to_string(n) + ".0.0/16"}};
    cidr.ingress.push_back({{Port(8080, Protocol::kTCP)}, {office}});
    NetworkPolicySpec& monitoring = policy("monitoring");
    monitoring.pod_selector = LabelSelector{};
    monitoring.ingress.push_back({{NamedPort("metrics")}, {NamespacePeer({{"env", "prod"}})}});
  }
  return state;
}

ClusterPolicyPeer ClusterNamespaces(Labels labels) {
  ClusterPolicyPeer peer;
  peer.kind = ClusterPeerKind::kNamespaces;
  peer.namespace_selector = Select(std::move(labels));
  return peer;
}

// 50 cluster policies over the synthetic cluster: 20 AdminNetworkPolicies and 10 Admin-tier
// ClusterNetworkPolicies (priorities 0..29), 19 Baseline-tier ClusterNetworkPolicies and the
// BaselineAdminNetworkPolicy. Even ones select namespaces by env, odd ones an app of one team;
// each has two ingress rules (from another env's namespaces on 8080, or every port for one in
// four; from one team's app on the named port `metrics`) and two egress rules (to a team's pod
// network on 8000-8100, which `networks` matches by pod address; DNS to kube-system), with the
// actions turning through Allow, Deny and Pass (Baseline rules Allow and Deny).
std::vector<ClusterPolicyInfo> SyntheticClusterPolicies() {
  const char* envs[] = {"prod", "staging", "dev"};
  std::vector<ClusterPolicyInfo> policies;
  for (int i = 0; i < 50; ++i) {
    ClusterPolicyInfo policy;
    ClusterPolicySpec& spec = policy.spec;
    if (i < 20) {
      spec.kind = ClusterPolicyKind::kAdminNetworkPolicy;
    } else if (i < 49) {
      spec.kind = ClusterPolicyKind::kClusterNetworkPolicy;
    } else {
      spec.kind = ClusterPolicyKind::kBaselineAdminNetworkPolicy;
    }
    spec.tier = i < 30 ? ClusterPolicyTier::kAdmin : ClusterPolicyTier::kBaseline;
    spec.priority = i < 49 ? i % 30 : 0;
    policy.name = i == 49 ? "default" : "cluster-" + std::to_string(i);
    const std::string team = "team-" + std::to_string(i * 7 % kNamespaces);
    if (i % 2 == 0) {
      spec.subject.namespaces = Select({{"env", envs[i % 3]}});
    } else {
      spec.subject.pods =
          NamespacedPodSelector{Select({{"team", team}}), Select({{"app", App(i % kApps)}})};
    }
    const int turns = spec.tier == ClusterPolicyTier::kAdmin ? 3 : 2;
    auto action = [&](int k) { return static_cast<ClusterRuleAction>((i + k) % turns); };
    ClusterPolicyRule from_env{"from-" + std::string(envs[(i + 1) % 3]),
                               action(0),
                               {ClusterNamespaces({{"env", envs[(i + 1) % 3]}})},
                               std::nullopt};
    if (i % 4 != 0) {
      from_env.ports = std::vector<ClusterPolicyPort>{{Protocol::kTCP, 8080, 8080, std::nullopt}};
    }
    ClusterPolicyPeer app;
    app.kind = ClusterPeerKind::kPods;
    app.namespace_selector = Select({{"team", "team-" + std::to_string(i % kNamespaces)}});
    app.pod_selector = Select({{"app", App((i + 3) % kApps)}});
    spec.ingress = {from_env,
                    {"metrics",
                     action(1),
                     {app},
                     std::vector<ClusterPolicyPort>{{Protocol::kTCP, 0, 0, "metrics"}}}};
    ClusterPolicyPeer network;
    network.kind = ClusterPeerKind::kNetworks;
    network.networks = {"10." + std::to_string((i * 3) % kNamespaces) + ".0.0/16",
                        "192.168.0.0/16"};
    spec.egress = {{"to-team-network",
                    action(2),
                    {network},
                    std::vector<ClusterPolicyPort>{{Protocol::kTCP, 8000, 8100, std::nullopt}}},
                   {"dns",
                    ClusterRuleAction::kAllow,
                    {ClusterNamespaces({{"kubernetes.io/metadata.name", "kube-system"}})},
                    std::vector<ClusterPolicyPort>{{Protocol::kUDP, 53, 53, std::nullopt}}}};
    policies.push_back(std::move(policy));
  }
  return policies;
}

long MaxRssKilobytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

void BM_Build(benchmark::State& bench) {
  const ClusterState state = SyntheticCluster();
  std::size_t classes = 0;
  for (auto _ : bench) {
    auto engine = Connectivity::Build(state);
    classes = engine->class_count();
    benchmark::DoNotOptimize(classes);
  }
  bench.counters["pods"] = static_cast<double>(state.pods.size());
  bench.counters["policies"] = static_cast<double>(state.policies.size());
  bench.counters["classes"] = static_cast<double>(classes);
}
BENCHMARK(BM_Build)->Unit(benchmark::kMillisecond);

// Build and the full matrix on `ports` ports, all 10,000 x 10,000 ordered pod pairs.
void BM_FullMatrix(benchmark::State& bench) {
  const ClusterState state = SyntheticCluster();
  const std::vector<PortProtocol> all = {
      {8080, Protocol::kTCP}, {9090, Protocol::kTCP}, {53, Protocol::kUDP}};
  const std::vector<PortProtocol> ports(all.begin(), all.begin() + bench.range(0));
  uint64_t allowed = 0;
  for (auto _ : bench) {
    auto engine = Connectivity::Build(state);
    const ReachMatrix matrix = engine->ComputeMatrix(ports);
    allowed = matrix.AllowedPairs(0);
    benchmark::DoNotOptimize(allowed);
  }
  bench.counters["pod_pairs"] = static_cast<double>(state.pods.size() * state.pods.size());
  bench.counters["allowed_pairs_port0"] = static_cast<double>(allowed);
  bench.counters["max_rss_MiB"] = static_cast<double>(MaxRssKilobytes()) / 1024.0;
}
BENCHMARK(BM_FullMatrix)->Arg(1)->Arg(3)->Unit(benchmark::kMillisecond);

// BM_FullMatrix over the same cluster with the 50 cluster policies (side by side in
// docs/PERFORMANCE.md).
void BM_FullMatrixTiers(benchmark::State& bench) {
  ClusterState state = SyntheticCluster();
  state.cluster_policies = SyntheticClusterPolicies();
  const std::vector<PortProtocol> all = {
      {8080, Protocol::kTCP}, {9090, Protocol::kTCP}, {53, Protocol::kUDP}};
  const std::vector<PortProtocol> ports(all.begin(), all.begin() + bench.range(0));
  uint64_t allowed = 0;
  std::size_t classes = 0;
  for (auto _ : bench) {
    auto engine = Connectivity::Build(state);
    classes = engine->class_count();
    const ReachMatrix matrix = engine->ComputeMatrix(ports);
    allowed = matrix.AllowedPairs(0);
    benchmark::DoNotOptimize(allowed);
  }
  bench.counters["cluster_policies"] = static_cast<double>(state.cluster_policies.size());
  bench.counters["classes"] = static_cast<double>(classes);
  bench.counters["allowed_pairs_port0"] = static_cast<double>(allowed);
  bench.counters["max_rss_MiB"] = static_cast<double>(MaxRssKilobytes()) / 1024.0;
}
BENCHMARK(BM_FullMatrixTiers)->Arg(1)->Arg(3)->Unit(benchmark::kMillisecond);

// The worst case: 10,000 classes, one pod each.
void BM_FullMatrixDistinctPods(benchmark::State& bench) {
  const ClusterState state = SyntheticCluster(/*distinct=*/true);
  const PortProtocol port{8080, Protocol::kTCP};
  std::size_t classes = 0;
  for (auto _ : bench) {
    auto engine = Connectivity::Build(state);
    classes = engine->class_count();
    const ReachMatrix matrix = engine->ComputeMatrix(std::span(&port, 1));
    benchmark::DoNotOptimize(matrix.AllowedPairs(0));
  }
  bench.counters["classes"] = static_cast<double>(classes);
  bench.counters["max_rss_MiB"] = static_cast<double>(MaxRssKilobytes()) / 1024.0;
}
BENCHMARK(BM_FullMatrixDistinctPods)->Unit(benchmark::kMillisecond);

// The worst case with the cluster policies: every subject and peer tested per class.
void BM_FullMatrixDistinctPodsTiers(benchmark::State& bench) {
  ClusterState state = SyntheticCluster(/*distinct=*/true);
  state.cluster_policies = SyntheticClusterPolicies();
  const PortProtocol port{8080, Protocol::kTCP};
  for (auto _ : bench) {
    auto engine = Connectivity::Build(state);
    const ReachMatrix matrix = engine->ComputeMatrix(std::span(&port, 1));
    benchmark::DoNotOptimize(matrix.AllowedPairs(0));
  }
  bench.counters["max_rss_MiB"] = static_cast<double>(MaxRssKilobytes()) / 1024.0;
}
BENCHMARK(BM_FullMatrixDistinctPodsTiers)->Unit(benchmark::kMillisecond);

// One watch event applied to an engine kept current (what the Flows kind does per event):
// `kind` 0 relabels a pod, 1 gives a pod another address, 2 changes a NetworkPolicy's port,
// 3 adds an ipBlock no policy had (the pods in it change class), 4 relabels a namespace. Each
// iteration is one update and the Compact() the kind calls after catching up, so the
// occasional rebuild of the live state is in the figures. Reports the mean and, as counters,
// the p99 and the largest single update in milliseconds.
void BM_UpdateInPlace(benchmark::State& bench, int kind) {
  const ClusterState state = SyntheticCluster();
  auto engine = Connectivity::Build(state);
  if (!engine) {
    bench.SkipWithError(engine.error().ToString().c_str());
    return;
  }
  std::vector<double> millis;
  std::size_t i = 0;
  for (auto _ : bench) {
    ++i;
    const auto start = std::chrono::steady_clock::now();
    switch (kind) {
      case 0: {
        PodInfo pod = state.pods[i % state.pods.size()];
        pod.labels["version"] = "v" + std::to_string(i % 3);
        (void)engine->PutPod(std::move(pod));
        break;
      }
      case 1: {
        PodInfo pod = state.pods[i % state.pods.size()];
        pod.ips = {"10.99." + std::to_string(i / 250 % 250) + '.' + std::to_string(i % 250)};
        (void)engine->PutPod(std::move(pod));
        break;
      }
      case 2: {
        PolicyInfo policy = state.policies[i % state.policies.size()];
        for (NetworkPolicyRule& rule : policy.spec.ingress) {
          rule.ports.push_back(Port(7000 + static_cast<int32_t>(i % 50)));
        }
        (void)engine->PutPolicy(std::move(policy));
        break;
      }
      case 3: {
        PolicyInfo policy = state.policies[i % state.policies.size()];
        NetworkPolicyPeer block;
        block.ip_block = IPBlock{
            "10." + std::to_string(i % 100) + '.' + std::to_string(i / 100 % 256) + ".0/24", {}};
        policy.spec.ingress.push_back(NetworkPolicyRule{{}, {block}});
        (void)engine->PutPolicy(std::move(policy));
        break;
      }
      default: {
        NamespaceInfo ns = state.namespaces[i % state.namespaces.size()];
        ns.labels["touched"] = std::to_string(i % 2);
        engine->PutNamespace(std::move(ns));
        break;
      }
    }
    engine->Compact();
    millis.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
  }
  std::sort(millis.begin(), millis.end());
  bench.counters["p99_ms"] = millis[millis.size() * 99 / 100];
  bench.counters["max_ms"] = millis.back();
}
BENCHMARK_CAPTURE(BM_UpdateInPlace, pod_relabelled, 0)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_UpdateInPlace, pod_readdressed, 1)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_UpdateInPlace, policy_changed, 2)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_UpdateInPlace, policy_with_a_new_ip_block, 3)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_UpdateInPlace, namespace_relabelled, 4)->Unit(benchmark::kMicrosecond);

// The cluster cache filled with the synthetic cluster, as the watch would fill it.
std::unique_ptr<ClusterCache> CacheOf(const ClusterState& state) {
  auto cache = std::make_unique<ClusterCache>();
  std::vector<ClusterObject> namespaces;
  for (const auto& ns : state.namespaces) {
    namespaces.push_back(
        ClusterObject{ClusterKind::kNamespace, "1", CachedNamespace{ns.name, ns.labels}});
  }
  std::vector<ClusterObject> pods;
  for (const auto& pod : state.pods) {
    CachedPod cached{pod.namespace_name, pod.name, pod.labels, {}, pod.ips};
    for (const auto& port : pod.ports) {
      cached.named_ports.push_back(netadmit::NamedPort{port.name, port.port, port.protocol});
    }
    pods.push_back(ClusterObject{ClusterKind::kPod, "1", std::move(cached)});
  }
  std::vector<ClusterObject> policies;
  for (const auto& policy : state.policies) {
    policies.push_back(
        ClusterObject{ClusterKind::kNetworkPolicy, "1",
                      CachedPolicy{policy.namespace_name, policy.name, {}, policy.spec}});
  }
  cache->Replace(ClusterKind::kNamespace, std::move(namespaces));
  cache->Replace(ClusterKind::kPod, std::move(pods));
  cache->Replace(ClusterKind::kNetworkPolicy, std::move(policies));
  cache->Replace(ClusterKind::kConfigMap, {});
  return cache;
}

// A Flows rule judging one change against the cluster held in the cache, as the webhook judges
// it. Unless `everyone` is set, the rule forbids dev namespaces to reach prod's app-0 on 8080:
// its scope is every pod of the 33 dev namespaces and the app-0 pods of the 34 prod ones. With
// `everyone`, the rule names every pod (`from: {}`), so the whole cluster is in scope.
// `ns`, `app` and `pod` place the change: a NetworkPolicy CREATE for app-`app` (ingress from
// app-4) in namespace team-`ns`, or, with `pod`, a Pod CREATE of another app-`app` there: a
// replica of the v1 pods (their labels and named ports), or with `new_version` a v3 that no pod
// there resembles yet. None of
// the changes breaks the flow, so where the change is in scope the engine is built once, over the
// pods in scope and their policies with the change applied.
void BM_FlowsAdmission(benchmark::State& bench, int ns, int app, bool pod, bool new_version,
                       bool everyone) {
  const auto cache = CacheOf(SyntheticCluster());
  const std::string from = everyone ? "{}" : "{namespaceSelector: {matchLabels: {env: dev}}}";
  const RuleSource source{
      "rules.yaml",
      "apiVersion: netadmit.io/v1alpha1\nkind: RuleSet\nmetadata: {name: bench}\nspec:\n"
      "  rules:\n    - id: flows\n      kind: Flows\n      action: deny\n      params:\n"
      "        forbid: [{from: " +
          from +
          ",\n                  to: {namespaceSelector: {matchLabels: {env: prod}}, podSelector: "
          "{matchLabels: {app: app-0}}}, ports: [8080/TCP]}]\n"};
  auto rules = LoadRuleSet(std::span(&source, 1));
  if (!rules) {
    bench.SkipWithError(rules.error().ToString().c_str());
    return;
  }
  Object object;
  object.metadata.namespace_name = "team-" + std::to_string(ns);
  if (pod) {
    object.api_version = "v1";
    object.kind = "Pod";
    object.metadata.name = App(app) + "-extra";
    PodTemplate pod_template;
    pod_template.labels = {{"app", App(app)},
                           {"version", new_version ? "v3" : "v1"},
                           {"pod-template-hash", "5d4f8c" + std::to_string(app)}};
    pod_template.containers.push_back(Container{
        "app", {{"http", 8080, 0, Protocol::kTCP}, {"metrics", 9090, 0, Protocol::kTCP}}});
    object.content = std::move(pod_template);
  } else {
    object.api_version = "networking.k8s.io/v1";
    object.kind = "NetworkPolicy";
    object.metadata.name = App(app) + "-extra";
    NetworkPolicySpec spec;
    spec.pod_selector = Select({{"app", App(app)}});
    spec.ingress.push_back({{Port(8080)}, {PodPeer({{"app", App(4)}})}});
    object.content = std::move(spec);
  }
  CheckContext context;
  context.operation = Operation::kCreate;
  context.cluster = cache.get();
  std::size_t findings = 0;
  for (auto _ : bench) {
    findings = Evaluate(**rules, object, context).findings.size();
    benchmark::DoNotOptimize(findings);
  }
  bench.counters["findings"] = static_cast<double>(findings);
}
// team-1 is a staging namespace, team-0 a prod one, team-2 a dev one.
BENCHMARK_CAPTURE(BM_FlowsAdmission, policy_out_of_scope, 1, 3, false, false, false)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_FlowsAdmission, policy_for_other_pods, 0, 3, false, false, false)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_FlowsAdmission, policy_at_destination, 0, 0, false, false, false)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_FlowsAdmission, policy_at_source, 2, 3, false, false, false)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_FlowsAdmission, replica_at_source, 2, 3, true, false, false)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_FlowsAdmission, new_version_at_source, 2, 3, true, true, false)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_FlowsAdmission, policy_whole_cluster_in_scope, 1, 3, false, false, true)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace netadmit

BENCHMARK_MAIN();
