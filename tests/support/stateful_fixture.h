#pragma once

// What the tests of the stateful rules through a running webhook share: objects as the test API
// server stores them and as AdmissionReviews carry them, AdmissionReview requests and the parts
// of their answers the tests look at, and a fixture connecting a TestServer to a FakeApiServer.

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "kube/watcher.h"
#include "server/server.h"
#include "tests/support/fake_apiserver.h"
#include "tests/support/https_client.h"
#include "tests/support/test_certs.h"
#include "tests/support/test_server.h"

namespace netadmit::testing {

inline constexpr std::string_view kOwnNamespace = "netadmit-system";

inline constexpr std::string_view kStatefulRules = R"(apiVersion: netadmit.io/v1alpha1
kind: RuleSet
metadata: {name: stateful}
spec:
  rules:
    - id: default-deny
      kind: RequireDefaultDeny
      action: deny
    - id: platform-policies
      kind: ProtectedPolicies
      action: deny
      params: {names: ["platform-*"], users: [alice], groups: [platform-team]}
)";

inline constexpr std::string_view kDenyAllSpec =
    R"({"podSelector":{},"policyTypes":["Ingress","Egress"]})";
// Selects every pod for egress but allows DNS: not a default-deny.
inline constexpr std::string_view kAllowDnsSpec =
    R"({"podSelector":{},"policyTypes":["Egress"],"egress":[{"ports":[{"protocol":"UDP","port":53}]}]})";

// Objects as the API server stores them (LIST items carry no kind or apiVersion).
inline std::string NamespaceItem(const std::string& name) {
  return R"({"metadata":{"name":")" + name + R"("}})";
}
inline std::string TerminatingNamespaceItem(const std::string& name) {
  return R"({"metadata":{"name":")" + name +
         R"(","deletionTimestamp":"2026-11-26T09:00:00Z"},"status":{"phase":"Terminating"}})";
}
inline std::string PolicyItem(const std::string& namespace_name, const std::string& name,
                              std::string_view spec) {
  return R"({"metadata":{"name":")" + name + R"(","namespace":")" + namespace_name +
         R"("},"spec":)" + std::string(spec) + "}";
}
inline std::string ConfigMapItem(const std::string& name, const std::string& key,
                                 const std::string& text, bool rule_set = true) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& alloc = doc.GetAllocator();
  rapidjson::Value metadata(rapidjson::kObjectType);
  metadata.AddMember("name", rapidjson::Value(name.c_str(), alloc), alloc);
  metadata.AddMember(
      "namespace",
      rapidjson::Value(kOwnNamespace.data(), static_cast<rapidjson::SizeType>(kOwnNamespace.size()),
                       alloc),
      alloc);
  if (rule_set) {
    rapidjson::Value labels(rapidjson::kObjectType);
    labels.AddMember("netadmit.io/rule-set", "true", alloc);
    metadata.AddMember("labels", labels, alloc);
  }
  rapidjson::Value data(rapidjson::kObjectType);
  data.AddMember(rapidjson::Value(key.c_str(), alloc), rapidjson::Value(text.c_str(), alloc),
                 alloc);
  doc.AddMember("metadata", metadata, alloc);
  doc.AddMember("data", data, alloc);
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  doc.Accept(writer);
  return buffer.GetString();
}

// The same object as an AdmissionReview carries it, with apiVersion and kind.
inline std::string Typed(std::string_view api_version, std::string_view kind,
                         const std::string& item) {
  return R"({"apiVersion":")" + std::string(api_version) + R"(","kind":")" + std::string(kind) +
         "\"," + item.substr(1);
}

inline std::string PodObject(const std::string& namespace_name, const std::string& name,
                             bool host_network = false) {
  return Typed("v1", "Pod",
               R"({"metadata":{"name":")" + name + R"(","namespace":")" + namespace_name +
                   R"(","labels":{"app":"web"}},"spec":{)" +
                   (host_network ? R"("hostNetwork":true,)" : "") +
                   R"("containers":[{"name":"web","image":"nginx:1.25"}]}})");
}

// `more_metadata`: further metadata fields, each preceded by a comma.
inline std::string DeploymentObject(const std::string& namespace_name, const std::string& name,
                                    std::string_view more_metadata = {}) {
  return Typed("apps/v1", "Deployment",
               R"({"metadata":{"name":")" + name + R"(","namespace":")" + namespace_name + "\"" +
                   std::string(more_metadata) +
                   R"(},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},)"
                   R"("template":{"metadata":{"labels":{"app":"web"}},)"
                   R"("spec":{"containers":[{"name":"web","image":"nginx:1.25"}]}}}})");
}

inline std::string PolicyObject(const std::string& namespace_name, const std::string& name,
                                std::string_view spec) {
  return Typed("networking.k8s.io/v1", "NetworkPolicy", PolicyItem(namespace_name, name, spec));
}

// One AdmissionReview request, as the API server sends it.
struct ReviewRequest {
  std::string operation = "CREATE";
  std::string group;  // "" for the core group
  std::string kind;
  std::string resource;
  std::string namespace_name;
  std::string name;
  std::string object = "null";
  std::string old_object = "null";
  std::string username = "admin";
  std::vector<std::string> groups = {"system:masters", "system:authenticated"};

  std::string Json(const std::string& uid) const {
    std::string group_list;
    for (const auto& user_group : groups) {
      group_list += (group_list.empty() ? "\"" : ",\"") + user_group + "\"";
    }
    const std::string gvk = R"({"group":")" + group + R"(","version":"v1","kind":")" + kind + "\"}";
    const std::string gvr =
        R"({"group":")" + group + R"(","version":"v1","resource":")" + resource + "\"}";
    return R"({"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":")" +
           uid + R"(","kind":)" + gvk + R"(,"resource":)" + gvr + R"(,"requestKind":)" + gvk +
           R"(,"requestResource":)" + gvr + R"(,"name":")" + name + R"(","namespace":")" +
           namespace_name + R"(","operation":")" + operation + R"(","userInfo":{"username":")" +
           username + R"(","groups":[)" + group_list + R"(]},"object":)" + object +
           R"(,"oldObject":)" + old_object + R"(,"dryRun":false}})";
  }
};

inline ReviewRequest PodCreate(const std::string& namespace_name, const std::string& name,
                               bool host_network = false) {
  ReviewRequest review;
  review.kind = "Pod";
  review.resource = "pods";
  review.namespace_name = namespace_name;
  review.name = name;
  review.object = PodObject(namespace_name, name, host_network);
  return review;
}

inline ReviewRequest DeploymentCreate(const std::string& namespace_name, const std::string& name) {
  ReviewRequest review;
  review.group = "apps";
  review.kind = "Deployment";
  review.resource = "deployments";
  review.namespace_name = namespace_name;
  review.name = name;
  review.object = DeploymentObject(namespace_name, name);
  return review;
}

inline ReviewRequest PolicyChange(const std::string& operation, const std::string& namespace_name,
                                  const std::string& name, std::string_view old_spec,
                                  std::string_view new_spec = {}) {
  ReviewRequest review;
  review.operation = operation;
  review.group = "networking.k8s.io";
  review.kind = "NetworkPolicy";
  review.resource = "networkpolicies";
  review.namespace_name = namespace_name;
  review.name = name;
  review.old_object = PolicyObject(namespace_name, name, old_spec);
  if (!new_spec.empty()) {
    review.object = PolicyObject(namespace_name, name, new_spec);
  }
  return review;
}

inline ReviewRequest ConfigMapCreate(const std::string& item) {
  ReviewRequest review;
  review.kind = "ConfigMap";
  review.resource = "configmaps";
  review.namespace_name = std::string(kOwnNamespace);
  rapidjson::Document doc;
  doc.Parse(item.c_str());
  review.name = doc["metadata"]["name"].GetString();
  review.object = Typed("v1", "ConfigMap", item);
  return review;
}

// The parts of an AdmissionReview response the tests look at.
struct Answer {
  bool allowed = false;
  int code = 0;
  std::string message;
  std::vector<std::string> warnings;
};

// Reads into `answer` the AdmissionReview answering the request `uid`; returns what is wrong with
// the reply instead (a transport error, a status other than 200, a body that is not a review of
// that uid), or an empty string.
inline std::string ReadAnswer(const Reply& reply, const std::string& uid, Answer& answer) {
  if (reply.ec) {
    return "transport: " + reply.ec.message();
  }
  if (reply.response.result_int() != 200) {
    return "HTTP " + std::to_string(reply.response.result_int()) + ": " + reply.response.body();
  }
  rapidjson::Document doc;
  doc.Parse(reply.response.body().c_str());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("response") ||
      !doc["response"].IsObject()) {
    return "not an AdmissionReview: " + reply.response.body();
  }
  const auto& response = doc["response"];
  if (!response.HasMember("uid") || !response["uid"].IsString() ||
      response["uid"].GetString() != uid || !response.HasMember("allowed") ||
      !response["allowed"].IsBool()) {
    return "not the answer to " + uid + ": " + reply.response.body();
  }
  answer.allowed = response["allowed"].GetBool();
  if (response.HasMember("status")) {
    const auto& status = response["status"];
    if (!status.IsObject() || !status.HasMember("code") || !status["code"].IsInt() ||
        (status.HasMember("message") && !status["message"].IsString())) {
      return "a status without a code: " + reply.response.body();
    }
    answer.code = status["code"].GetInt();
    answer.message = status.HasMember("message") ? status["message"].GetString() : "";
  }
  if (response.HasMember("warnings")) {
    if (!response["warnings"].IsArray()) {
      return "warnings that are not a list: " + reply.response.body();
    }
    for (const auto& warning : response["warnings"].GetArray()) {
      if (!warning.IsString()) {
        return "a warning that is not a string: " + reply.response.body();
      }
      answer.warnings.emplace_back(warning.GetString());
    }
  }
  return {};
}

// The answer to `review`, sent on a connection of its own; a test failure when there is none.
inline Answer Validate(const TestServer& server, const ReviewRequest& review) {
  static std::atomic<int> counter{0};
  char uid[40];
  std::snprintf(uid, sizeof(uid), "5e1f0000-0000-4000-8000-%012d", ++counter);
  auto client = server.Connect();
  Answer answer;
  if (!client) {
    return answer;
  }
  const std::string problem =
      ReadAnswer(client->Send(ValidateRequest(review.Json(uid))), uid, answer);
  EXPECT_EQ(problem, "");
  return answer;
}

inline std::string Metrics(const TestServer& server) {
  auto client = server.Connect();
  return client ? client->Get("/metrics").response.body() : std::string();
}

// A counter's value; 0 while it has never been incremented (prometheus-cpp shows a labelled
// series only once it exists).
inline double Count(const std::string& metrics, std::string_view series) {
  return std::max(0.0, MetricValue(metrics, series));
}

inline unsigned ReadyStatus(const TestServer& server) {
  auto client = server.Connect();
  return client ? client->Get("/readyz").response.result_int() : 0;
}

// The denial RequireDefaultDeny gives for a workload in a namespace without a default-deny.
inline std::string MissingDefaultDeny(const std::string& namespace_name) {
  return "[default-deny] namespace " + namespace_name +
         " has no default-deny NetworkPolicy for Ingress and Egress (no policy there selects every "
         "pod (podSelector: {}) with no Ingress and Egress rules) at metadata.namespace \u2014 "
         "create it first: kubectl apply -f - <<< '{apiVersion: networking.k8s.io/v1, kind: "
         "NetworkPolicy, metadata: {name: default-deny, namespace: " +
         namespace_name + "}, spec: {podSelector: {}, policyTypes: [Ingress, Egress]}}'";
}

// The fresh read of one namespace's NetworkPolicies, as kube::NamespacedListTarget writes it.
inline std::string FreshReadPath(const std::string& namespace_name) {
  return "/apis/networking.k8s.io/v1/namespaces/" + namespace_name + "/networkpolicies";
}

// A test API server serving the kinds netadmit watches, and the configuration of a server
// connected to it. Short backoff and reload intervals keep the tests quick.
class StatefulServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    api_.Serve(FakeApiServer::Namespaces());
    api_.Serve(FakeApiServer::NetworkPolicies());
    api_.Serve(FakeApiServer::Pods());
    api_.Serve(FakeApiServer::ConfigMaps(std::string(kOwnNamespace)));
    api_.SetToken("secret");
  }

  void AddNamespace(const std::string& name) {
    api_.Add(FakeApiServer::Namespaces(), NamespaceItem(name));
  }

  void AddDefaultDeny(const std::string& namespace_name, const std::string& name = "default-deny") {
    api_.Add(FakeApiServer::NetworkPolicies(), PolicyItem(namespace_name, name, kDenyAllSpec));
  }

  // The server with the stateful rules (or, with empty `rules_yaml`, rules from ConfigMaps only),
  // connected to the test API server through a kubeconfig whose namespace is netadmit-system.
  TestServer::Config WithCluster(std::string rules_yaml = std::string(kStatefulRules),
                                 std::function<void(server::ServerOptions&)> more = {}) {
    TestServer::Config config;
    config.rules_yaml = std::move(rules_yaml);
    config.adjust = [kubeconfig = api_.WriteKubeconfig(dir_, "secret"),
                     more = std::move(more)](server::ServerOptions& options) {
      using namespace std::chrono_literals;
      options.cluster.kubeconfig = kubeconfig;
      options.cluster.adjust = [](kube::WatchOptions& watch) {
        watch.backoff_initial = 10ms;
        watch.backoff_max = 50ms;
      };
      options.reload_interval = 20ms;
      options.fresh_read_timeout = 1'000ms;
      if (more) {
        more(options);
      }
    };
    return config;
  }

  // Requests for the fresh read of one namespace.
  int FreshReads(const std::string& namespace_name) const {
    const auto requests = api_.Requests();
    return static_cast<int>(std::count_if(
        requests.begin(), requests.end(),
        [&](const auto& request) { return request.target == FreshReadPath(namespace_name); }));
  }

  FakeApiServer api_;
  TempDir dir_;
};

}  // namespace netadmit::testing
