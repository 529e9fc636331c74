// In-place updates of the connectivity engine, for an engine kept current with a changing
// cluster rather than built again per change.
//
// Why this is cheap: a pod's class depends on its namespace, labels, named ports and the blocks
// (ipBlock, `networks`) its addresses fall in, never on which policies select it. So a pod joins
// or leaves a class without looking at any policy, and a policy comes or goes without touching a
// class, unless it brings a block no policy had: then only the pods whose addresses fall in it
// move to a class of their own. Removed entries keep their indexes and are taken out of every
// lookup and evaluation order; classes are never merged again, which is exact (a class only has
// to hold pods that behave the same) and undone by Compact().

#include <algorithm>
#include <type_traits>

#include "connectivity/compiled.h"
#include "netadmit/connectivity/connectivity.h"

namespace netadmit {

// Policies are compiled against their place in state.policies (their rules are pointed at); a
// vector moves such elements on growth without moving what their own vectors hold.
static_assert(std::is_nothrow_move_constructible_v<PolicyInfo>);
static_assert(std::is_nothrow_move_constructible_v<ClusterPolicyInfo>);

namespace {

// Registers the policy's blocks no policy had before, and moves the pods whose addresses fall in
// one of them into the class of their new key.
template <typename CompiledPolicy>
void AddBlocks(Connectivity::Compiled& c, const CompiledPolicy& policy) {
  std::vector<const ConnIpBlock*> fresh;
  ForEachBlock(policy, [&](const ConnIpBlock& block) {
    if (block.id >= c.ip_blocks.size()) {
      c.ip_blocks.resize(block.id + 1, nullptr);
      c.classes_in_ip_block.resize(block.id + 1);
    }
    if (c.ip_blocks[block.id] == nullptr) {
      c.ip_blocks[block.id] = &block;
      fresh.push_back(&block);
    }
  });
  if (fresh.empty()) {
    return;
  }
  for (std::size_t pod = 0; pod < c.state.pods.size(); ++pod) {
    const auto& addresses = c.pod_addresses[pod];
    if (c.pod_live[pod] == 0 || addresses.empty()) {
      continue;
    }
    const bool moves = std::any_of(fresh.begin(), fresh.end(), [&](const ConnIpBlock* block) {
      return std::any_of(addresses.begin(), addresses.end(),
                         [&](const Cidr& host) { return block->Matches(host); });
    });
    if (moves) {
      --c.class_size[c.class_of_pod[pod]];
      AssignClass(c, pod);
    }
  }
}

std::optional<std::size_t> Find(const auto& index, const auto& key) {
  const auto found = index.find(key);
  if (found == index.end()) {
    return std::nullopt;
  }
  return found->second;
}

}  // namespace

Result<Ok> Connectivity::PutPod(PodInfo pod) {
  Compiled& c = *compiled_;
  std::vector<Cidr> addresses;
  for (const std::string& ip : pod.ips) {
    auto address = ParseAddress(ip);
    if (!address) {
      Error error;
      error.path = "status.podIPs";
      error.message = "pod " + pod.namespace_name + '/' + pod.name + ": invalid IP \"" + ip + '"';
      return error;
    }
    addresses.push_back(*address);
  }
  RemovePod(pod.namespace_name, pod.name);
  const std::size_t index = c.state.pods.size();
  c.pod_namespace.push_back(AddNamespace(c, pod.namespace_name));
  c.pod_index[std::make_pair(pod.namespace_name, pod.name)] = index;
  c.pod_addresses.push_back(std::move(addresses));
  c.pod_live.push_back(1);
  c.state.pods.push_back(std::move(pod));
  AssignClass(c, index);
  return Ok{};
}

void Connectivity::RemovePod(std::string_view namespace_name, std::string_view name) {
  Compiled& c = *compiled_;
  const auto found =
      c.pod_index.find(std::make_pair(std::string(namespace_name), std::string(name)));
  if (found == c.pod_index.end()) {
    return;
  }
  const std::size_t pod = found->second;
  c.pod_index.erase(found);
  c.pod_live[pod] = 0;
  --c.class_size[c.class_of_pod[pod]];
  ++c.removed;
}

Result<Ok> Connectivity::PutPolicy(PolicyInfo policy) {
  Compiled& c = *compiled_;
  const std::size_t index = c.state.policies.size();
  c.state.policies.push_back(std::move(policy));
  const PolicyInfo& info = c.state.policies.back();
  std::map<std::string, uint32_t> block_ids = c.block_ids;  // kept only when it compiles
  auto compiled_policy = CompilePolicy(info, c, block_ids);
  if (!compiled_policy) {
    c.state.policies.pop_back();
    return compiled_policy.error();
  }
  RemovePolicy(info.namespace_name, info.name);
  c.block_ids = std::move(block_ids);
  c.policies.push_back(std::move(*compiled_policy));
  c.policy_live.push_back(1);
  c.policy_index[std::make_pair(info.namespace_name, info.name)] = index;
  c.policies_by_namespace[c.policies.back().namespace_index].push_back(index);
  AddBlocks(c, c.policies.back());
  return Ok{};
}

void Connectivity::RemovePolicy(std::string_view namespace_name, std::string_view name) {
  Compiled& c = *compiled_;
  const auto found =
      c.policy_index.find(std::make_pair(std::string(namespace_name), std::string(name)));
  if (found == c.policy_index.end()) {
    return;
  }
  const std::size_t index = found->second;
  c.policy_index.erase(found);
  c.policy_live[index] = 0;
  ConnPolicy& policy = c.policies[index];
  // The class matrix skips a policy that affects neither direction.
  policy.affects_ingress = false;
  policy.affects_egress = false;
  std::erase(c.policies_by_namespace[policy.namespace_index], index);
  ++c.removed;
}

Result<Ok> Connectivity::PutClusterPolicy(ClusterPolicyInfo policy) {
  Compiled& c = *compiled_;
  const std::size_t index = c.state.cluster_policies.size();
  c.state.cluster_policies.push_back(std::move(policy));
  const ClusterPolicyInfo& info = c.state.cluster_policies.back();
  std::map<std::string, uint32_t> block_ids = c.block_ids;
  auto compiled_policy = CompileClusterPolicy(info, block_ids);
  if (!compiled_policy) {
    c.state.cluster_policies.pop_back();
    return compiled_policy.error();
  }
  RemoveClusterPolicy(info.spec.kind, info.name);
  c.block_ids = std::move(block_ids);
  c.cluster_policies.push_back(std::move(*compiled_policy));
  c.cluster_policy_live.push_back(1);
  c.cluster_policy_index[std::make_pair(static_cast<int>(info.spec.kind), info.name)] = index;
  OrderTiers(c);
  AddBlocks(c, c.cluster_policies.back());
  return Ok{};
}

void Connectivity::RemoveClusterPolicy(ClusterPolicyKind kind, std::string_view name) {
  Compiled& c = *compiled_;
  const auto found =
      c.cluster_policy_index.find(std::make_pair(static_cast<int>(kind), std::string(name)));
  if (found == c.cluster_policy_index.end()) {
    return;
  }
  c.cluster_policy_live[found->second] = 0;
  c.cluster_policy_index.erase(found);
  OrderTiers(c);
  ++c.removed;
}

void Connectivity::PutNamespace(NamespaceInfo ns) {
  Compiled& c = *compiled_;
  NamespaceInfo& kept = c.state.namespaces[AddNamespace(c, ns.name)];
  kept.labels = std::move(ns.labels);
  kept.labels.try_emplace(std::string(kNamespaceNameLabel), kept.name);
}

bool Connectivity::Compact() {
  const Compiled& c = *compiled_;
  const std::size_t live =
      c.pod_index.size() + c.policy_index.size() + c.cluster_policy_index.size();
  if (c.removed <= std::max<std::size_t>(live, 64)) {
    return false;
  }
  // Every live entry compiled before, so the build cannot fail; were it to, nothing changes.
  auto rebuilt = Build(LiveState());
  if (!rebuilt) {
    return false;
  }
  compiled_ = std::move(rebuilt->compiled_);
  return true;
}

bool Connectivity::Live(std::size_t pod) const { return compiled_->pod_live[pod] != 0; }

std::size_t Connectivity::live_pod_count() const { return compiled_->pod_index.size(); }

std::optional<std::size_t> Connectivity::FindPolicy(std::string_view namespace_name,
                                                    std::string_view name) const {
  return Find(compiled_->policy_index,
              std::make_pair(std::string(namespace_name), std::string(name)));
}

std::optional<std::size_t> Connectivity::FindClusterPolicy(ClusterPolicyKind kind,
                                                           std::string_view name) const {
  return Find(compiled_->cluster_policy_index,
              std::make_pair(static_cast<int>(kind), std::string(name)));
}

ClusterState Connectivity::LiveState() const {
  const Compiled& c = *compiled_;
  ClusterState state;
  state.namespaces = c.state.namespaces;
  for (std::size_t i = 0; i < c.state.pods.size(); ++i) {
    if (c.pod_live[i] != 0) {
      state.pods.push_back(c.state.pods[i]);
    }
  }
  for (std::size_t i = 0; i < c.state.policies.size(); ++i) {
    if (c.policy_live[i] != 0) {
      state.policies.push_back(c.state.policies[i]);
    }
  }
  for (std::size_t i = 0; i < c.state.cluster_policies.size(); ++i) {
    if (c.cluster_policy_live[i] != 0) {
      state.cluster_policies.push_back(c.state.cluster_policies[i]);
    }
  }
  return state;
}

}  // namespace netadmit
