// A Kubernetes API server holding a realistic cluster, for the load benchmark with the cluster
// cache full (bench/run.sh): namespaces (env dev, staging, prod in turn), NetworkPolicies (a
// default-deny in every namespace plus app policies selecting pods by label), Pods (labels,
// named ports, pod IPs) and the cluster DNS in kube-system, served over TLS
// with the recorded list/watch protocol by the tests' FakeApiServer. netadmit lists it once and
// then holds idle watches, so the server costs nothing during the measurement.
//
//   bench_apiserver DIR [--namespaces 1000] [--policies 10000] [--pods 100000]
//                       [--deployments 0]
//
// Writes DIR/kubeconfig (and DIR/api-ca.crt beside it), prints `ready <kubeconfig path>` once
// serving, and runs until SIGTERM or SIGINT.

#include <pthread.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/fake_apiserver.h"
#include "tests/support/test_certs.h"

namespace {

using netadmit::testing::FakeApiServer;
using netadmit::testing::TempDir;

// netadmit's own namespace, as the kubeconfig names it: netadmit watches the rule-set ConfigMaps
// there and waits for their LIST before it is ready.
constexpr std::string_view kOwnNamespace = "netadmit-system";
// Namespaces that must exist: netadmit's own, and those the recorded requests
// (tests/fixtures/apiserver-v1.28, bench/requests) use, with their default-deny and app policies,
// for the answers to be the real ones. Generated namespaces follow.
const std::vector<std::string> kFixedNamespaces = {std::string(kOwnNamespace), "default", "t1"};

// A small microservice per namespace: each app receives from the one before it. "web" is the
// label of the recorded Pod and Deployment, so that their namespace's policies select them.
const std::vector<std::string> kApps = {"web", "api", "worker", "cache", "db"};
const std::vector<int> kAppPorts = {8080, 8443, 9000, 6379, 5432};
// Policies select by either label key in use: the recorded Pod carries `app`, the recorded
// Deployment's template `app.kubernetes.io/name`; generated pods carry both.
const std::vector<std::string> kSelectorKeys = {"app", "app.kubernetes.io/name"};

constexpr std::string_view kListResourceVersion = "1000";

// `total` spread over `parts`, the first ones taking the remainder: part `index`'s share.
int ShareOf(int total, int parts, int index) {
  return total / parts + (index < total % parts ? 1 : 0);
}

std::vector<std::string> NamespaceNames(int count) {
  std::vector<std::string> names;
  for (const auto& fixed : kFixedNamespaces) {
    if (static_cast<int>(names.size()) < count) {
      names.push_back(fixed);
    }
  }
  char name[32];
  for (int index = 0; static_cast<int>(names.size()) < count; ++index) {
    std::snprintf(name, sizeof(name), "team-%04d", index);
    names.emplace_back(name);
  }
  return names;
}

// A LIST body as the API server sends it, from items already serialized (without kind and
// apiVersion, as LIST items are).
std::string ListBody(std::string_view list_kind, std::string_view api_version,
                     const std::string& items) {
  std::string body;
  body.reserve(items.size() + 128);
  body.append(R"({"kind":")").append(list_kind);
  body.append(R"(","apiVersion":")").append(api_version);
  body.append(R"(","metadata":{"resourceVersion":")").append(kListResourceVersion);
  body.append(R"("},"items":[)").append(items).append("]}");
  return body;
}

void AppendItem(std::string& items, const std::string& item) {
  if (!items.empty()) {
    items += ',';
  }
  items += item;
}

// Every namespace, and kube-system with the cluster DNS (no policies: every pod may ask it).
// Generated namespaces take turns as env dev, staging and prod; the fixed ones are env infra.
std::string NamespacesList(const std::vector<std::string>& names) {
  std::string items;
  const auto add = [&](const std::string& name, std::size_t team, std::string_view env) {
    AppendItem(items,
               R"({"metadata":{"name":")" + name +
                   R"(","labels":{"kubernetes.io/metadata.name":")" + name + R"(","team":"team-)" +
                   std::to_string(team % 50) + R"(","env":")" + std::string(env) +
                   R"("}},"spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}})");
  };
  static constexpr std::string_view kEnvs[] = {"dev", "staging", "prod"};
  for (std::size_t index = 0; index < names.size(); ++index) {
    const std::size_t generated = index - std::min(index, kFixedNamespaces.size());
    add(names[index], index, index < kFixedNamespaces.size() ? "infra" : kEnvs[generated % 3]);
  }
  add("kube-system", 0, "infra");
  return ListBody("NamespaceList", "v1", items);
}

// Policy `index` of a namespace (from 1; 0 is the default-deny): it admits traffic to one app,
// selected by one of the two label keys, from the app before it on the app's port, and lets the
// app reach the app after it and the cluster DNS.
std::string AppPolicy(const std::string& namespace_name, int index) {
  const std::size_t slot = static_cast<std::size_t>(index - 1);
  const std::size_t app = (slot / kSelectorKeys.size()) % kApps.size();
  const std::string& key = kSelectorKeys[slot % kSelectorKeys.size()];
  const std::string& from = kApps[(app + kApps.size() - 1) % kApps.size()];
  const std::size_t next = (app + 1) % kApps.size();
  return R"({"metadata":{"name":"allow-)" + kApps[app] + "-" + std::to_string(index) +
         R"(","namespace":")" + namespace_name + R"("},"spec":{"podSelector":{"matchLabels":{")" +
         key + R"(":")" + kApps[app] +
         R"("}},"policyTypes":["Ingress","Egress"],"ingress":[{"from":[{"podSelector":)"
         R"({"matchLabels":{"app":")" +
         from + R"("}}}],"ports":[{"protocol":"TCP","port":)" + std::to_string(kAppPorts[app]) +
         R"(}]}],"egress":[{"to":[{"podSelector":{"matchLabels":{"app":")" + kApps[next] +
         R"("}}}],"ports":[{"protocol":"TCP","port":)" + std::to_string(kAppPorts[next]) +
         R"(}]},{"to":[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":)"
         R"("kube-system"}},"podSelector":{"matchLabels":{"k8s-app":"kube-dns"}}}],)"
         R"("ports":[{"protocol":"UDP","port":53},{"protocol":"TCP","port":53}]}]}})";
}

std::string PoliciesList(const std::vector<std::string>& namespaces, int total) {
  std::string items;
  items.reserve(static_cast<std::size_t>(total) * 700);
  const int parts = static_cast<int>(namespaces.size());
  for (int ns = 0; ns < parts; ++ns) {
    const std::string& name = namespaces[static_cast<std::size_t>(ns)];
    const int count = ShareOf(total, parts, ns);
    if (count > 0) {
      AppendItem(items, R"({"metadata":{"name":"default-deny","namespace":")" + name +
                            R"("},"spec":{"podSelector":{},"policyTypes":["Ingress","Egress"]}})");
    }
    for (int index = 1; index < count; ++index) {
      AppendItem(items, AppPolicy(name, index));
    }
  }
  return ListBody("NetworkPolicyList", "networking.k8s.io/v1", items);
}

std::string PodIp(int pod) {
  // One address a pod from 10.64.0.0/10 (4 million addresses), past the network's own.
  const unsigned address = (10U << 24) | (64U << 16) | static_cast<unsigned>(pod + 1);
  return std::to_string(address >> 24) + "." + std::to_string((address >> 16) & 0xFF) + "." +
         std::to_string((address >> 8) & 0xFF) + "." + std::to_string(address & 0xFF);
}

std::string PodsList(const std::vector<std::string>& namespaces, int total) {
  std::string items;
  items.reserve(static_cast<std::size_t>(total) * 800);
  const int parts = static_cast<int>(namespaces.size());
  int pod = 0;
  for (int ns = 0; ns < parts; ++ns) {
    const std::string& namespace_name = namespaces[static_cast<std::size_t>(ns)];
    const int count = ShareOf(total, parts, ns);
    for (int index = 0; index < count; ++index, ++pod) {
      const std::size_t app = static_cast<std::size_t>(index) % kApps.size();
      const std::string& app_name = kApps[app];
      const std::string ip = PodIp(pod);
      AppendItem(
          items,
          R"({"metadata":{"name":")" + app_name + "-7d4b9c-" + std::to_string(index) +
              R"(","namespace":")" + namespace_name + R"(","labels":{"app":")" + app_name +
              R"(","app.kubernetes.io/name":")" + app_name +
              R"(","pod-template-hash":"7d4b9c"}},"spec":{"nodeName":"node-)" +
              std::to_string(pod % 100) + R"(","containers":[{"name":")" + app_name +
              R"(","image":"registry.example/)" + app_name +
              R"(:1.4.2","ports":[{"name":"serve","containerPort":)" +
              std::to_string(kAppPorts[app]) +
              R"(,"protocol":"TCP"},{"name":"metrics","containerPort":9090,"protocol":"TCP"}]}]},)"
              R"("status":{"phase":"Running","podIP":")" +
              ip + R"(","podIPs":[{"ip":")" + ip + R"("}]}})");
    }
  }
  for (int replica = 0; replica < 2; ++replica) {
    const std::string ip = "10.96.0." + std::to_string(10 + replica);
    AppendItem(items,
               R"({"metadata":{"name":"coredns-5d78c9869d-)" + std::to_string(replica) +
                   R"(","namespace":"kube-system","labels":{"k8s-app":"kube-dns",)"
                   R"("pod-template-hash":"5d78c9869d"}},"spec":{"containers":[{"name":"coredns",)"
                   R"("ports":[{"name":"dns","containerPort":53,"protocol":"UDP"},)"
                   R"({"name":"dns-tcp","containerPort":53,"protocol":"TCP"}]}]},)"
                   R"("status":{"phase":"Running","podIP":")" +
                   ip + R"(","podIPs":[{"ip":")" + ip + R"("}]}})");
  }
  return ListBody("PodList", "v1", items);
}

// Deployments, spread like the pods: one app each, its template labeled as its pods are. For the
// audit, which lists the pod controllers too.
std::string DeploymentsList(const std::vector<std::string>& namespaces, int total) {
  std::string items;
  items.reserve(static_cast<std::size_t>(total) * 600);
  const int parts = static_cast<int>(namespaces.size());
  for (int ns = 0; ns < parts; ++ns) {
    const std::string& namespace_name = namespaces[static_cast<std::size_t>(ns)];
    const int count = ShareOf(total, parts, ns);
    for (int index = 0; index < count; ++index) {
      const std::size_t app = static_cast<std::size_t>(index) % kApps.size();
      const std::string& app_name = kApps[app];
      AppendItem(items, R"({"metadata":{"name":")" + app_name + "-" + std::to_string(index) +
                            R"(","namespace":")" + namespace_name +
                            R"("},"spec":{"replicas":3,"selector":{"matchLabels":{"app":")" +
                            app_name + R"("}},"template":{"metadata":{"labels":{"app":")" +
                            app_name + R"(","app.kubernetes.io/name":")" + app_name +
                            R"("}},"spec":{"containers":[{"name":")" + app_name +
                            R"(","image":"registry.example/)" + app_name +
                            R"(:1.4.2","ports":[{"name":"serve","containerPort":)" +
                            std::to_string(kAppPorts[app]) + R"(,"protocol":"TCP"}]}]}}}})");
    }
  }
  return ListBody("DeploymentList", "apps/v1", items);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"A Kubernetes API server holding a generated cluster, for bench/run.sh"};
  std::string dir;
  int namespaces = 1000;
  int policies = 10000;
  int pods = 100000;
  int deployments = 0;
  app.add_option("DIR", dir, "Where the kubeconfig and the API server's CA are written")
      ->required()
      ->check(CLI::ExistingDirectory);
  app.add_option("--namespaces", namespaces,
                 "Namespaces, netadmit-system, default and t1 among them")
      ->check(CLI::PositiveNumber);
  app.add_option("--policies", policies, "NetworkPolicies, a default-deny first in each namespace")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--pods", pods, "Pods, spread evenly over the namespaces")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--deployments", deployments,
                 "Deployments, spread evenly over the namespaces, for the audit (the other pod "
                 "controllers are served empty)")
      ->check(CLI::NonNegativeNumber);
  CLI11_PARSE(app, argc, argv);

  // Blocked before the server's threads start, so that they inherit the mask and only sigwait
  // below receives the signals.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  const auto names = NamespaceNames(namespaces);
  FakeApiServer api;
  api.SetToken("bench");
  api.Load(FakeApiServer::Namespaces(), NamespacesList(names));
  api.Load(FakeApiServer::NetworkPolicies(), PoliciesList(names, policies));
  api.Load(FakeApiServer::Pods(), PodsList(names, pods));
  api.Serve(FakeApiServer::ConfigMaps(std::string(kOwnNamespace)));  // no rule-set ConfigMaps
  // The pod controllers the audit lists: the Deployments generated, the others empty.
  const auto workloads = FakeApiServer::Workloads();
  api.Load(workloads.front(), DeploymentsList(names, deployments));
  for (std::size_t i = 1; i < workloads.size(); ++i) {
    api.Serve(workloads[i]);
  }

  // WriteKubeconfig writes into a TempDir (removed at exit); DIR outlives this process, so the
  // kubeconfig and the CA file it names by a relative path are copied there side by side.
  const TempDir scratch;
  api.WriteKubeconfig(scratch, "bench");
  for (const char* file : {"kubeconfig", "api-ca.crt"}) {
    std::filesystem::copy_file(scratch.File(file), std::filesystem::path(dir) / file,
                               std::filesystem::copy_options::overwrite_existing);
  }
  const std::string kubeconfig = (std::filesystem::path(dir) / "kubeconfig").string();
  std::cout << "ready " << kubeconfig << std::endl;

  int received = 0;
  sigwait(&stop_signals, &received);
  return 0;
}
