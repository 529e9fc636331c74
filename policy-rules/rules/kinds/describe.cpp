#include "rules/kinds/describe.h"

#include <array>
#include <charconv>

namespace netadmit {

namespace {

// Enough to tell the rule apart; the full list is in the object itself.
constexpr std::size_t kMaxListedPorts = 3;
constexpr std::size_t kMaxListedParams = 3;

template <typename Item>
std::string JoinItems(const std::vector<Item>& items, std::size_t max_items) {
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < max_items; ++i) {
    if (i > 0) {
      out += ", ";
    }
    out += items[i];
  }
  if (items.size() > max_items) {
    out += ", ...";
  }
  return out;
}

}  // namespace

void AppendIndex(std::string& path, std::size_t index) {
  std::array<char, 24> digits{};
  const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), index).ptr;
  path += '[';
  path.append(digits.data(), end);
  path += ']';
}

std::string Indexed(std::string_view path, std::size_t index) {
  std::string out;
  out.reserve(path.size() + 8);
  out.append(path);
  AppendIndex(out, index);
  return out;
}

std::string DescribePort(const NetworkPolicyPort& port) {
  const std::string protocol = ProtocolName(port.protocol);
  if (port.named_port) {
    return *port.named_port + '/' + protocol;
  }
  if (!port.port) {
    return "all " + protocol + " ports";
  }
  std::string out = std::to_string(*port.port);
  if (port.end_port && *port.end_port != *port.port) {
    out += '-' + std::to_string(*port.end_port);
  }
  return out + '/' + protocol;
}

std::string DescribeRulePorts(const std::vector<NetworkPolicyPort>& ports) {
  if (ports.empty()) {
    return "all ports";
  }
  std::vector<std::string> items;
  items.reserve(ports.size());
  for (const auto& port : ports) {
    items.push_back(DescribePort(port));
  }
  return JoinSome(items, kMaxListedPorts);
}

std::string DescribePortSpecs(const std::vector<PortSpec>& ports) {
  std::vector<std::string> items;
  items.reserve(ports.size());
  for (const auto& spec : ports) {
    std::string item = std::to_string(spec.port);
    if (spec.end_port != spec.port) {
      item += '-' + std::to_string(spec.end_port);
    }
    items.push_back(item + '/' + ProtocolName(spec.protocol));
  }
  return JoinSome(items, kMaxListedParams);
}

std::string DescribeCidrs(const std::vector<Cidr>& cidrs) {
  std::vector<std::string> items;
  items.reserve(cidrs.size());
  for (const auto& cidr : cidrs) {
    items.push_back(cidr.ToString());
  }
  return JoinSome(items, kMaxListedParams);
}

std::string DescribePatterns(const std::vector<NamespacePattern>& patterns) {
  std::vector<std::string> items;
  items.reserve(patterns.size());
  for (const auto& pattern : patterns) {
    items.push_back(pattern.text());
  }
  return JoinSome(items, kMaxListedParams);
}

std::string DescribeClusterPolicy(const ClusterPolicySpec& spec, std::string_view name) {
  std::string out = ClusterPolicyKindName(spec.kind);
  out += ' ';
  out += name;
  return out;
}

std::string JoinSome(const std::vector<std::string>& items, std::size_t max_items) {
  return JoinItems(items, max_items);
}

std::string JoinSome(const std::vector<std::string_view>& items, std::size_t max_items) {
  return JoinItems(items, max_items);
}

}  // namespace netadmit
