#pragma once

// Small text helpers shared by the rule kinds, so that every kind writes ports, CIDRs and field
// paths the same way in its messages.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "netadmit/model/cidr.h"
#include "netadmit/model/glob.h"
#include "netadmit/model/model.h"
#include "netadmit/rules/params.h"

namespace netadmit {

// "spec.egress" + 2 -> "spec.egress[2]".
std::string Indexed(std::string_view path, std::size_t index);
// Appends "[2]" to a path being built.
void AppendIndex(std::string& path, std::size_t index);

// One NetworkPolicy port: "443/TCP", "8000-8100/TCP", "http/TCP", or "all TCP ports".
std::string DescribePort(const NetworkPolicyPort& port);

// The ports of a rule: "all ports" when it lists none, else the first few, comma-separated.
std::string DescribeRulePorts(const std::vector<NetworkPolicyPort>& ports);

// Param port specs: "53/UDP, 53/TCP, 8000-8100/TCP".
std::string DescribePortSpecs(const std::vector<PortSpec>& ports);

// "10.0.0.0/8, 172.16.0.0/12".
std::string DescribeCidrs(const std::vector<Cidr>& cidrs);

// "monitoring, ingress-*".
std::string DescribePatterns(const std::vector<NamespacePattern>& patterns);

// "AdminNetworkPolicy deny-all": a cluster-scoped policy, by the kind its author wrote and name.
std::string DescribeClusterPolicy(const ClusterPolicySpec& spec, std::string_view name);

// Joins at most `max_items` items with ", ", ending in ", ..." when some are left out.
std::string JoinSome(const std::vector<std::string>& items, std::size_t max_items);
std::string JoinSome(const std::vector<std::string_view>& items, std::size_t max_items);

}  // namespace netadmit
