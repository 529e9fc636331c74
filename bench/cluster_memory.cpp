// Memory and event cost of the cluster cache: 100,000 Pods in 1,000 namespaces and 10,000
// NetworkPolicies, as a relist would load them, then watch events applied one by one. A small
// program rather than a Google Benchmark: resident memory is a process figure, read from
// /proc/self/status before and after. Figures are recorded in docs/PERFORMANCE.md.
//
//   cluster_memory [pods] [policies]

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "netadmit/cluster/cluster.h"

namespace {

using netadmit::CachedPod;
using netadmit::CachedPolicy;
using netadmit::ClusterCache;
using netadmit::ClusterKind;
using netadmit::ClusterObject;

constexpr int kNamespaces = 1000;

// Resident memory in KiB.
long RssKib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::strtol(line.c_str() + 6, nullptr, 10);
    }
  }
  return -1;
}

// A pod as a Deployment makes it: four labels, two named ports, one IP.
ClusterObject MakePod(int i, const std::string& version) {
  const std::string ns = "team-" + std::to_string(i % kNamespaces);
  CachedPod pod;
  pod.namespace_name = ns;
  pod.name = "web-" + std::to_string(i) + "-7c9f8d6b5-x2k4p";
  pod.labels = {{"app.kubernetes.io/name", "web-" + std::to_string(i % 50)},
                {"app.kubernetes.io/part-of", ns},
                {"pod-template-hash", "7c9f8d6b5"},
                {"version", version}};
  pod.named_ports = {{"http", 8080, netadmit::Protocol::kTCP},
                     {"metrics", 9090, netadmit::Protocol::kTCP}};
  pod.ips = {"10." + std::to_string((i >> 16) & 255) + "." + std::to_string((i >> 8) & 255) + "." +
             std::to_string(i & 255)};
  return ClusterObject{ClusterKind::kPod, std::to_string(1000 + i), std::move(pod)};
}

// A policy selecting one app and allowing one peer app on one port.
ClusterObject MakePolicy(int i) {
  CachedPolicy policy;
  policy.namespace_name = "team-" + std::to_string(i % kNamespaces);
  policy.name = "allow-web-" + std::to_string(i);
  policy.spec.pod_selector.match_labels = {
      {"app.kubernetes.io/name", "web-" + std::to_string(i % 50)}};
  netadmit::NetworkPolicyRule rule;
  netadmit::NetworkPolicyPeer peer;
  peer.pod_selector = netadmit::LabelSelector{};
  peer.pod_selector->match_labels = {{"app.kubernetes.io/name", "frontend"}};
  rule.peers.push_back(std::move(peer));
  netadmit::NetworkPolicyPort port;
  port.named_port = "http";
  rule.ports.push_back(port);
  policy.spec.ingress.push_back(std::move(rule));
  policy.spec.policy_types = std::vector<netadmit::PolicyType>{netadmit::PolicyType::kIngress};
  return ClusterObject{ClusterKind::kNetworkPolicy, std::to_string(i), std::move(policy)};
}

}  // namespace

int main(int argc, char** argv) {
  const int pods = argc > 1 ? std::atoi(argv[1]) : 100'000;
  const int policies = argc > 2 ? std::atoi(argv[2]) : 10'000;
  const long rss_start = RssKib();
  ClusterCache cache;
  {
    std::vector<ClusterObject> list;
    list.reserve(static_cast<std::size_t>(pods));
    for (int i = 0; i < pods; ++i) {
      list.push_back(MakePod(i, "v1"));
    }
    const auto start = std::chrono::steady_clock::now();
    cache.Replace(ClusterKind::kPod, std::move(list));
    const auto took = std::chrono::steady_clock::now() - start;
    std::printf("relist of %d pods: %.1f ms\n", pods,
                std::chrono::duration<double, std::milli>(took).count());
  }
  {
    std::vector<ClusterObject> list;
    for (int i = 0; i < policies; ++i) {
      list.push_back(MakePolicy(i));
    }
    cache.Replace(ClusterKind::kNetworkPolicy, std::move(list));
  }
  const long rss_loaded = RssKib();
  std::printf("cached: %zu pods, %zu policies\n", cache.Count(ClusterKind::kPod),
              cache.Count(ClusterKind::kNetworkPolicy));
  std::printf("resident memory: %.1f MiB at start, %.1f MiB loaded (%.1f MiB for the cache)\n",
              static_cast<double>(rss_start) / 1024, static_cast<double>(rss_loaded) / 1024,
              static_cast<double>(rss_loaded - rss_start) / 1024);

  // MODIFIED events for every pod (a label change), built beforehand: the figure is the cost of
  // applying a decoded event, as the watcher does after parsing it.
  std::vector<ClusterObject> events;
  events.reserve(static_cast<std::size_t>(pods));
  for (int i = 0; i < pods; ++i) {
    events.push_back(MakePod(i, "v2"));
  }
  auto start = std::chrono::steady_clock::now();
  for (auto& event : events) {
    cache.Apply(netadmit::EventType::kModified, std::move(event));
  }
  auto took = std::chrono::steady_clock::now() - start;
  std::printf("MODIFIED: %.2f us per event\n",
              std::chrono::duration<double, std::micro>(took).count() / pods);

  events.clear();
  for (int i = 0; i < pods; i += 10) {
    events.push_back(MakePod(i, "v2"));
  }
  start = std::chrono::steady_clock::now();
  for (auto& event : events) {
    cache.Apply(netadmit::EventType::kDeleted, std::move(event));
  }
  took = std::chrono::steady_clock::now() - start;
  std::printf(
      "DELETED: %.2f us per event\n",
      std::chrono::duration<double, std::micro>(took).count() / static_cast<double>(events.size()));

  netadmit::LabelSelector selector;
  selector.match_labels = {{"app.kubernetes.io/name", "web-7"}};
  start = std::chrono::steady_clock::now();
  std::size_t found = 0;
  constexpr int kQueries = 10'000;
  for (int i = 0; i < kQueries; ++i) {
    found += cache.Pods("team-" + std::to_string(i % kNamespaces), selector).size();
    found += cache.Policies("team-" + std::to_string(i % kNamespaces)).size();
  }
  took = std::chrono::steady_clock::now() - start;
  std::printf("read of one namespace's selected pods and its policies: %.2f us (%zu found)\n",
              std::chrono::duration<double, std::micro>(took).count() / kQueries, found);
  return 0;
}
