#pragma once

// The object model rules look at: only the fields of NetworkPolicies and pod templates that
// netadmit's rules and connectivity engine need, decoded from the API server's JSON (or from
// manifests) by decode.h. Field paths in violations use the Kubernetes JSON names.

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "netadmit/model/cluster_policy.h"
#include "netadmit/model/labels.h"

namespace netadmit {

// A named container port: what a NetworkPolicy's named port resolves to on a pod.
struct NamedPort {
  std::string name;
  int32_t port = 0;
  Protocol protocol = Protocol::kTCP;

  // By name, then port, then protocol: a pod's ports compared as a sorted list.
  auto operator<=>(const NamedPort&) const = default;
};

struct NetworkPolicyPort {
  Protocol protocol = Protocol::kTCP;     // defaulted to TCP when absent
  std::optional<int32_t> port;            // numeric port
  std::optional<std::string> named_port;  // named port (resolved per pod)
  std::optional<int32_t> end_port;        // with a numeric port: the range port..end_port

  // No port at all: every port of the protocol.
  bool AllPorts() const { return !port && !named_port; }
};

struct IPBlock {
  std::string cidr;
  std::vector<std::string> except;
};

struct NetworkPolicyPeer {
  std::optional<LabelSelector> pod_selector;
  std::optional<LabelSelector> namespace_selector;
  std::optional<IPBlock> ip_block;
};

// One entry of spec.ingress or spec.egress. `peers` is `from` for ingress and `to` for egress;
// an empty list (or a missing field) means every peer, and empty `ports` means every port.
struct NetworkPolicyRule {
  std::vector<NetworkPolicyPort> ports;
  std::vector<NetworkPolicyPeer> peers;
};

enum class PolicyType { kIngress, kEgress };

struct NetworkPolicySpec {
  LabelSelector pod_selector;
  std::vector<NetworkPolicyRule> ingress;
  std::vector<NetworkPolicyRule> egress;
  // As written: nullopt when the field is absent (Kubernetes infers the types then).
  std::optional<std::vector<PolicyType>> policy_types;

  // The policy types in force: as written, or inferred as Kubernetes does (Ingress always,
  // Egress when there are egress rules).
  bool AffectsIngress() const;
  bool AffectsEgress() const;
};

struct ContainerPort {
  std::string name;
  int32_t container_port = 0;
  int32_t host_port = 0;  // 0 when not set
  Protocol protocol = Protocol::kTCP;
};

struct Container {
  std::string name;
  std::vector<ContainerPort> ports;
};

// The pod part of a Pod or of a workload's pod template. The paths say where it sits in the
// object, so that violations name the exact field (spec.template.spec.hostNetwork).
struct PodTemplate {
  std::string metadata_path;  // "metadata", "spec.template.metadata", ...
  std::string spec_path;      // "spec", "spec.template.spec", "spec.jobTemplate.spec.template.spec"
  Labels labels;
  bool host_network = false;
  std::vector<Container> containers;
  std::vector<Container> init_containers;
};

// The label the API server sets on every namespace, to its name (Kubernetes 1.21 and later);
// users cannot change it, so selecting a namespace by it is selecting it by name.
inline constexpr std::string_view kNamespaceNameLabel = "kubernetes.io/metadata.name";

struct ObjectMeta {
  std::string name;
  std::string namespace_name;
  Labels labels;
  // metadata.deletionTimestamp is set: the object is being deleted, and what follows are the
  // UPDATEs that remove its finalizers.
  bool deleting = false;
  // The kubectl.kubernetes.io/last-applied-configuration annotation (JSON), kept for
  // NetworkPolicies only: the API server defaults fields such as policyTypes before webhooks
  // see an object, and only this annotation still holds what the user wrote. Empty without it.
  std::string last_applied_configuration = {};
};

// A decoded object. `content` holds the NetworkPolicy spec, the pod template or the cluster
// policy spec, or nothing for kinds netadmit does not inspect.
struct Object {
  std::string api_version;  // "networking.k8s.io/v1"
  std::string kind;         // "NetworkPolicy"
  ObjectMeta metadata;
  std::variant<std::monostate, NetworkPolicySpec, PodTemplate, ClusterPolicySpec> content;

  const NetworkPolicySpec* network_policy() const {
    return std::get_if<NetworkPolicySpec>(&content);
  }
  const PodTemplate* pod_template() const { return std::get_if<PodTemplate>(&content); }
  const ClusterPolicySpec* cluster_policy() const {
    return std::get_if<ClusterPolicySpec>(&content);
  }
  // "NetworkPolicy default/web"
  std::string Describe() const;
};

enum class Operation { kCreate, kUpdate, kDelete, kConnect };
const char* OperationName(Operation operation);  // "CREATE", ...

struct UserInfo {
  std::string username;
  std::vector<std::string> groups;
};

}  // namespace netadmit
