// The Flows rule kind at admission on a cluster of 1,000 namespaces, 10,000 pods and about
// 2,000 NetworkPolicies held in the cluster cache, with the two entries every cluster wants:
// "every pod reaches kube-dns on 53/UDP" and "nothing in env=dev reaches env=prod" (all ports).
// Judges, one after another, 200 changes of each kind, or as many as the first argument says
// (Pod CREATE of a new workload, NetworkPolicy CREATE, UPDATE, DELETE, and a CREATE that opens
// dev to prod), with 20 watch events applied to the cache before each (pods relabelled,
// readdressed, added and deleted: the churn of a busy cluster), and prints per kind the
// judgement latencies (p50, p99, max) and findings, the first judgement (which builds what the
// kind keeps) and resident memory.
//
// A plain program on the rule-set API only, so that the same source builds against older
// commits for side-by-side figures (docs/PERFORMANCE.md):
//   cmake --preset release && cmake --build build/release -j2 --target flows_bench
//   build/release/bench/flows_bench [CHANGES_PER_KIND]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "netadmit/cluster/cluster.h"
#include "netadmit/rules/engine.h"
#include "netadmit/rules/rule_set.h"

namespace netadmit {
namespace {

constexpr int kNamespaces = 999;  // and kube-system
constexpr int kApps = 5;          // per namespace, two replicas each
int samples = 200;                // per kind of change; the first argument changes it
constexpr int kEventsPerJudgement = 20;

const char* EnvOf(int ns) { return ns % 3 == 0 ? "dev" : ns % 3 == 1 ? "prod" : "staging"; }

std::string Team(int ns) {
  char name[16];
  std::snprintf(name, sizeof name, "team-%04d", ns);
  return name;
}

LabelSelector Select(Labels labels) {
  LabelSelector selector;
  selector.match_labels = std::move(labels);
  return selector;
}

NetworkPolicyPort Port(int32_t number, Protocol protocol = Protocol::kTCP) {
  NetworkPolicyPort port;
  port.port = number;
  port.protocol = protocol;
  return port;
}

NetworkPolicyPort Named(const std::string& name) {
  NetworkPolicyPort port;
  port.named_port = name;
  return port;
}

CachedPod Pod(int ns, int app, int replica) {
  CachedPod pod;
  pod.namespace_name = Team(ns);
  pod.name = "app-" + std::to_string(app) + "-" + std::to_string(replica);
  pod.labels = {{"app", "app-" + std::to_string(app)}, {"version", "v1"}};
  pod.named_ports = {{"http", 8080, Protocol::kTCP}, {"metrics", 9090, Protocol::kTCP}};
  pod.ips = {"10." + std::to_string(ns / 250) + '.' + std::to_string(ns % 250) + '.' +
             std::to_string(app * 2 + replica + 1)};
  return pod;
}

// Ingress closed but from the namespace's own pods on its named port and 9090.
std::vector<CachedPolicy> TeamPolicies(int ns) {
  CachedPolicy deny{Team(ns), "default-deny-ingress", {}, {}};
  deny.spec.policy_types = std::vector<PolicyType>{PolicyType::kIngress};
  CachedPolicy same{Team(ns), "allow-same-namespace", {}, {}};
  NetworkPolicyPeer own;
  own.pod_selector = LabelSelector{};
  same.spec.ingress.push_back(NetworkPolicyRule{{Named("http"), Port(9090)}, {own}});
  return {deny, same};
}

std::unique_ptr<ClusterCache> FilledCache() {
  std::vector<ClusterObject> namespaces;
  std::vector<ClusterObject> pods;
  std::vector<ClusterObject> policies;
  namespaces.push_back(ClusterObject{
      ClusterKind::kNamespace, "1",
      CachedNamespace{"kube-system", {{"kubernetes.io/metadata.name", "kube-system"}}}});
  for (int i = 0; i < 2; ++i) {
    CachedPod dns{"kube-system",
                  "coredns-" + std::to_string(i),
                  {{"k8s-app", "kube-dns"}},
                  {{"dns", 53, Protocol::kUDP}},
                  {"10.96.0." + std::to_string(10 + i)}};
    pods.push_back(ClusterObject{ClusterKind::kPod, "1", dns});
  }
  CachedPolicy dns{"kube-system", "dns-from-everyone", {}, {}};
  dns.spec.pod_selector = Select({{"k8s-app", "kube-dns"}});
  NetworkPolicyPeer everyone;
  everyone.namespace_selector = LabelSelector{};
  dns.spec.ingress.push_back(NetworkPolicyRule{{Port(53, Protocol::kUDP)}, {everyone}});
  policies.push_back(ClusterObject{ClusterKind::kNetworkPolicy, "1", dns});
  for (int ns = 0; ns < kNamespaces; ++ns) {
    namespaces.push_back(ClusterObject{
        ClusterKind::kNamespace, "1",
        CachedNamespace{Team(ns),
                        {{"env", EnvOf(ns)}, {"kubernetes.io/metadata.name", Team(ns)}}}});
    for (int app = 0; app < kApps; ++app) {
      for (int replica = 0; replica < 2; ++replica) {
        pods.push_back(ClusterObject{ClusterKind::kPod, "1", Pod(ns, app, replica)});
      }
    }
    for (CachedPolicy& policy : TeamPolicies(ns)) {
      policies.push_back(ClusterObject{ClusterKind::kNetworkPolicy, "1", std::move(policy)});
    }
  }
  auto cache = std::make_unique<ClusterCache>();
  cache->Replace(ClusterKind::kNamespace, std::move(namespaces));
  cache->Replace(ClusterKind::kPod, std::move(pods));
  cache->Replace(ClusterKind::kNetworkPolicy, std::move(policies));
  cache->Replace(ClusterKind::kConfigMap, {});
  return cache;
}

constexpr char kRules[] = R"(apiVersion: netadmit.io/v1alpha1
kind: RuleSet
metadata: {name: bench}
spec:
  rules:
    - id: flows
      kind: Flows
      action: deny
      params:
        forbid:
          - from: {namespaceSelector: {matchLabels: {env: dev}}}
            to: {namespaceSelector: {matchLabels: {env: prod}}}
            ports: [all]
        require:
          - from: {}
            to: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}},
                 podSelector: {matchLabels: {k8s-app: kube-dns}}}
            ports: [53/UDP]
)";

Object PolicyObject(const std::string& ns, const std::string& name, NetworkPolicySpec spec) {
  Object object;
  object.api_version = "networking.k8s.io/v1";
  object.kind = "NetworkPolicy";
  object.metadata.namespace_name = ns;
  object.metadata.name = name;
  object.content = std::move(spec);
  return object;
}

// Resident and peak resident memory of this process, in MiB.
std::pair<double, double> Memory() {
  std::ifstream status("/proc/self/status");
  std::string line;
  double rss = 0;
  double peak = 0;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      rss = std::stod(line.substr(6)) / 1024;
    } else if (line.rfind("VmHWM:", 0) == 0) {
      peak = std::stod(line.substr(6)) / 1024;
    }
  }
  return {rss, peak};
}

class Bench {
 public:
  Bench() : cache_(FilledCache()) {
    const RuleSource source{"rules.yaml", kRules};
    auto rules = LoadRuleSet(std::span(&source, 1));
    if (!rules) {
      std::fprintf(stderr, "%s\n", rules.error().ToString().c_str());
      std::exit(2);
    }
    rules_ = std::move(*rules);
  }

  // Milliseconds the judgement took; `findings` gets its count.
  double Judge(const Object& object, Operation operation, const Object* old_object,
               std::size_t& findings) {
    CheckContext context;
    context.operation = operation;
    context.old_object = old_object;
    context.cluster = cache_.get();
    const auto start = std::chrono::steady_clock::now();
    findings = Evaluate(*rules_, object, context).findings.size();
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
  }

  // Watch events of a busy cluster: a pod relabelled, one readdressed, one deleted and made again.
  void Churn() {
    for (int i = 0; i < kEventsPerJudgement; ++i) {
      const int ns = Below(kNamespaces);
      CachedPod pod = Pod(ns, Below(kApps), Below(2));
      switch (i % 4) {
        case 0:
          pod.labels["version"] = "v" + std::to_string(2 + Below(2));
          break;
        case 1:
          pod.ips = {"10.200." + std::to_string(Below(250)) + '.' + std::to_string(Below(250))};
          break;
        case 2:
          cache_->Apply(EventType::kDeleted, ClusterObject{ClusterKind::kPod, "2", pod});
          continue;
        default:
          break;  // back as it was made
      }
      cache_->Apply(EventType::kModified, ClusterObject{ClusterKind::kPod, "2", std::move(pod)});
    }
  }

  int Below(int n) { return std::uniform_int_distribution<int>(0, n - 1)(random_); }

  void Report(const char* what, std::vector<double> millis, std::size_t with_findings) {
    std::sort(millis.begin(), millis.end());
    const auto at = [&](double q) {
      return millis[std::min(millis.size() - 1, static_cast<std::size_t>(q * millis.size()))];
    };
    std::printf("%-44s p50 %8.2f  p99 %8.2f  max %8.2f ms  (%zu of %zu with findings)\n", what,
                at(0.5), at(0.99), millis.back(), with_findings, millis.size());
  }

  std::unique_ptr<ClusterCache> cache_;
  std::shared_ptr<const RuleSet> rules_;
  std::mt19937 random_{20261203};
};

int Run() {
  Bench bench;
  const auto [rss_filled, peak_filled] = Memory();
  std::printf("cache filled: %.0f MiB resident\n", rss_filled);

  std::size_t findings = 0;
  {
    const CachedPod first = Pod(0, 0, 0);
    Object pod;
    pod.api_version = "v1";
    pod.kind = "Pod";
    pod.metadata.namespace_name = first.namespace_name;
    pod.metadata.name = "first";
    PodTemplate spec;
    spec.metadata_path = "metadata";
    spec.labels = {{"app", "first"}};
    pod.content = std::move(spec);
    const double millis = bench.Judge(pod, Operation::kCreate, nullptr, findings);
    const auto [rss, peak] = Memory();
    std::printf("first judgement: %.1f ms; resident %.0f MiB (+%.0f), peak %.0f MiB (+%.0f)\n",
                millis, rss, rss - rss_filled, peak, peak - peak_filled);
  }

  const auto sample = [&](const char* what, auto make) {
    std::vector<double> millis;
    std::size_t with_findings = 0;
    for (int i = 0; i < samples; ++i) {
      bench.Churn();
      millis.push_back(make(i, findings));
      with_findings += findings > 0 ? 1 : 0;
    }
    bench.Report(what, std::move(millis), with_findings);
  };

  sample("Pod CREATE, a new workload", [&](int i, std::size_t& found) {
    Object pod;
    pod.api_version = "v1";
    pod.kind = "Pod";
    pod.metadata.namespace_name = Team(bench.Below(kNamespaces));
    pod.metadata.name = "probe-" + std::to_string(i);
    PodTemplate spec;
    spec.metadata_path = "metadata";
    spec.labels = {{"app", "probe-" + std::to_string(i)}};
    spec.containers.push_back(Container{"c", {{"http", 8080, 0, Protocol::kTCP}}});
    pod.content = std::move(spec);
    return bench.Judge(pod, Operation::kCreate, nullptr, found);
  });
  sample("NetworkPolicy CREATE, from staging", [&](int i, std::size_t& found) {
    NetworkPolicySpec spec;
    spec.pod_selector = Select({{"app", "app-" + std::to_string(i % kApps)}});
    NetworkPolicyPeer staging;
    staging.namespace_selector = Select({{"env", "staging"}});
    spec.ingress.push_back(NetworkPolicyRule{{Port(8080)}, {staging}});
    return bench.Judge(PolicyObject(Team(bench.Below(kNamespaces)), "extra", spec),
                       Operation::kCreate, nullptr, found);
  });
  sample("NetworkPolicy UPDATE, one port more", [&](int, std::size_t& found) {
    const int ns = bench.Below(kNamespaces);
    const CachedPolicy old = TeamPolicies(ns)[1];
    NetworkPolicySpec spec = old.spec;
    spec.ingress[0].ports.push_back(Port(7070));
    const Object before = PolicyObject(Team(ns), old.name, old.spec);
    return bench.Judge(PolicyObject(Team(ns), old.name, spec), Operation::kUpdate, &before, found);
  });
  sample("NetworkPolicy DELETE, the default deny", [&](int, std::size_t& found) {
    const int ns = bench.Below(kNamespaces);
    const CachedPolicy old = TeamPolicies(ns)[0];
    return bench.Judge(PolicyObject(Team(ns), old.name, old.spec), Operation::kDelete, nullptr,
                       found);
  });
  sample("NetworkPolicy CREATE, opens dev to prod", [&](int i, std::size_t& found) {
    NetworkPolicySpec spec;
    spec.pod_selector = Select({{"app", "app-" + std::to_string(i % kApps)}});
    NetworkPolicyPeer dev;
    dev.namespace_selector = Select({{"env", "dev"}});
    spec.ingress.push_back(NetworkPolicyRule{{Port(5432)}, {dev}});
    const int prod = 1 + 3 * bench.Below(kNamespaces / 3);
    return bench.Judge(PolicyObject(Team(prod), "from-dev", spec), Operation::kCreate, nullptr,
                       found);
  });
  const auto [rss, peak] = Memory();
  std::printf("after: resident %.0f MiB, peak %.0f MiB\n", rss, peak);
  return 0;
}

}  // namespace
}  // namespace netadmit

int main(int argc, char** argv) {
  if (argc > 1) {
    netadmit::samples = std::max(1, std::atoi(argv[1]));
  }
  return netadmit::Run();
}
