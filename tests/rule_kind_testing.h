#pragma once

// Helpers for the rule-kind tests: compile a kind from params written in YAML, decode test
// objects from YAML manifests with the same decoder the webhook uses, run a check, and render
// violations the way the engine does.

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "netadmit/cluster/cluster.h"
#include "netadmit/codec/decode.h"
#include "netadmit/codec/manifest.h"
#include "netadmit/rules/engine.h"
#include "netadmit/rules/rule.h"

namespace netadmit::testing {

inline constexpr char kRulesFile[] = "rules.yaml";
inline constexpr char kParamsPath[] = "spec.rules[0].params";

// Compiles `kind` with `params_yaml` as its params ("" for none).
inline Result<std::unique_ptr<const RuleCheck>> CompileKind(const RuleKind& kind,
                                                            const std::string& params_yaml) {
  ParamReader reader(params_yaml.empty() ? YAML::Node() : YAML::Load(params_yaml), kRulesFile,
                     kParamsPath);
  return kind.compile(reader);
}

// Compiles `kind` and fails the test when that does not work.
inline std::unique_ptr<const RuleCheck> MustCompile(const RuleKind& kind,
                                                    const std::string& params_yaml) {
  auto compiled = CompileKind(kind, params_yaml);
  if (!compiled) {
    ADD_FAILURE() << "params " << params_yaml << ": " << compiled.error().ToString();
    return nullptr;
  }
  return std::move(compiled.value());
}

// The error compiling `kind` with `params_yaml` gives, or an empty Error (and a test failure)
// when it compiles.
inline Error CompileError(const RuleKind& kind, const std::string& params_yaml) {
  auto compiled = CompileKind(kind, params_yaml);
  if (compiled) {
    ADD_FAILURE() << "params " << params_yaml << " compiled";
    return Error{};
  }
  return compiled.error();
}

// Decodes the one object of a YAML manifest.
inline Object DecodeYaml(const std::string& yaml) {
  auto manifests = ParseManifests("test.yaml", yaml);
  if (!manifests) {
    ADD_FAILURE() << "not one manifest: " << yaml << "\n" << manifests.error().ToString();
    return Object{};
  }
  if (manifests->size() != 1) {
    ADD_FAILURE() << "not one manifest: " << yaml;
    return Object{};
  }
  auto object = DecodeObject(*manifests->front().object, "default");
  if (!object) {
    ADD_FAILURE() << object.error().ToString() << "\n" << yaml;
    return Object{};
  }
  return std::move(object.value());
}

// A NetworkPolicy "test" in `namespace_name` with the given spec (YAML, flow style is fine).
inline Object Policy(const std::string& spec_yaml, const std::string& namespace_name = "default") {
  return DecodeYaml(
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: test, namespace: " +
      namespace_name + "}\nspec: " + spec_yaml + "\n");
}

inline std::vector<Violation> RunCheck(const RuleCheck* check, const Object& object) {
  std::vector<Violation> violations;
  if (check != nullptr) {
    check->Check(object, CheckContext{}, violations);
  }
  return violations;
}

inline std::vector<Violation> RunCheck(const RuleCheck* check, const Object& object,
                                       const CheckContext& context) {
  std::vector<Violation> violations;
  if (check != nullptr) {
    check->Check(object, context, violations);
  }
  return violations;
}

// One NetworkPolicy for a test cluster: namespace, name, spec (YAML, flow style is fine).
struct PolicyEntry {
  std::string namespace_name;
  std::string name;
  std::string spec;
};

// A listed cluster view holding `policies` and `namespaces`.
inline std::unique_ptr<ClusterCache> Cluster(const std::vector<PolicyEntry>& policies,
                                             const std::vector<CachedNamespace>& namespaces = {}) {
  auto cache = std::make_unique<ClusterCache>();
  std::vector<ClusterObject> policy_objects;
  for (const auto& entry : policies) {
    const Object decoded = Policy(entry.spec, entry.namespace_name);
    if (decoded.network_policy() == nullptr) {
      continue;  // Policy() has reported the failure
    }
    policy_objects.push_back(ClusterObject{
        ClusterKind::kNetworkPolicy, "1",
        CachedPolicy{entry.namespace_name, entry.name, {}, *decoded.network_policy()}});
  }
  std::vector<ClusterObject> namespace_objects;
  for (const auto& ns : namespaces) {
    namespace_objects.push_back(ClusterObject{ClusterKind::kNamespace, "1", ns});
  }
  cache->Replace(ClusterKind::kNetworkPolicy, std::move(policy_objects));
  cache->Replace(ClusterKind::kNamespace, std::move(namespace_objects));
  cache->Replace(ClusterKind::kPod, {});
  cache->Replace(ClusterKind::kConfigMap, {});
  return cache;
}

// A cluster-scoped policy of `kind` (AdminNetworkPolicy, BaselineAdminNetworkPolicy: v1alpha1;
// ClusterNetworkPolicy: v1alpha2) named `name`, with the given spec and labels (YAML, flow style
// is fine).
inline Object ClusterPolicy(const std::string& kind, const std::string& name,
                            const std::string& spec_yaml, const std::string& labels = "{}") {
  const std::string version = kind == "ClusterNetworkPolicy" ? "v1alpha2" : "v1alpha1";
  return DecodeYaml("apiVersion: policy.networking.k8s.io/" + version + "\nkind: " + kind +
                    "\nmetadata: {name: " + name + ", labels: " + labels + "}\nspec: " + spec_yaml +
                    "\n");
}

// A pod for a test cluster, without ports or IPs.
inline CachedPod PodEntry(const std::string& namespace_name, const std::string& name,
                          Labels labels) {
  return CachedPod{namespace_name, name, std::move(labels), {}, {}};
}

// A namespace for a test cluster, with the label the API server sets to its name besides
// `labels`.
inline CachedNamespace NamespaceEntry(const std::string& name, Labels labels = {}) {
  labels.emplace(std::string(kNamespaceNameLabel), name);
  return CachedNamespace{name, std::move(labels)};
}

// Cluster(policies, namespaces) with `cluster_policies` (as ClusterPolicy() decodes them, each
// listed under its kind) and `pods` besides.
inline std::unique_ptr<ClusterCache> ClusterWith(const std::vector<PolicyEntry>& policies,
                                                 const std::vector<CachedNamespace>& namespaces,
                                                 const std::vector<Object>& cluster_policies,
                                                 const std::vector<CachedPod>& pods = {}) {
  auto cache = Cluster(policies, namespaces);
  std::map<ClusterKind, std::vector<ClusterObject>> by_kind;
  for (const Object& object : cluster_policies) {
    const ClusterPolicySpec* spec = object.cluster_policy();
    if (spec == nullptr) {
      ADD_FAILURE() << object.Describe() << " is not a cluster policy";
      continue;
    }
    const ClusterKind kind = spec->kind == ClusterPolicyKind::kAdminNetworkPolicy
                                 ? ClusterKind::kAdminNetworkPolicy
                             : spec->kind == ClusterPolicyKind::kBaselineAdminNetworkPolicy
                                 ? ClusterKind::kBaselineAdminNetworkPolicy
                                 : ClusterKind::kClusterNetworkPolicy;
    by_kind[kind].push_back(ClusterObject{
        kind, "1", CachedClusterPolicy{object.metadata.name, object.metadata.labels, *spec}});
  }
  for (const ClusterKind kind : kClusterPolicyKinds) {
    cache->Replace(kind, std::move(by_kind[kind]));
  }
  std::vector<ClusterObject> pod_objects;
  for (const auto& pod : pods) {
    pod_objects.push_back(ClusterObject{ClusterKind::kPod, "1", pod});
  }
  cache->Replace(ClusterKind::kPod, std::move(pod_objects));
  return cache;
}

inline std::vector<std::string> Paths(const std::vector<Violation>& violations) {
  std::vector<std::string> paths;
  for (const auto& violation : violations) {
    paths.push_back(violation.path);
  }
  return paths;
}

// "[rule-id] problem (detail) at path — fix", as the engine renders a finding.
inline std::vector<std::string> Messages(const std::string& rule_id,
                                         const std::vector<Violation>& violations) {
  std::vector<std::string> messages;
  for (const auto& violation : violations) {
    messages.push_back(Finding{rule_id, Action::kDeny, violation}.Message());
  }
  return messages;
}

// A table row: params and object in, the paths of the violations expected out (none: allowed).
struct PathCase {
  std::string name;
  std::string params;
  Object object;
  std::vector<std::string> paths;
};

inline void ExpectPaths(const RuleKind& kind, const std::vector<PathCase>& cases) {
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto check = MustCompile(kind, c.params);
    EXPECT_EQ(Paths(RunCheck(check.get(), c.object)), c.paths);
  }
}

}  // namespace netadmit::testing
