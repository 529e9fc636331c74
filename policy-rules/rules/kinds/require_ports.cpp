// RequirePorts inspects spec.ingress[*].ports and spec.egress[*].ports of NetworkPolicies (the
// directions their policy types put in force). It allows rules that list ports, each with a
// number or a name, and ranges port..endPort of at most maxPortRange ports when that is set.
// It flags rules without ports (every port), port entries without a port (every port of the
// protocol) and ranges wider than maxPortRange.

#include "rules/kinds/require_ports.h"

#include <memory>

#include "rules/kinds/describe.h"

namespace netadmit {

namespace {

constexpr int64_t kMaxPortCount = 65535;

class RequirePortsCheck final : public RuleCheck {
 public:
  explicit RequirePortsCheck(int64_t max_port_range) : max_port_range_(max_port_range) {}

  void Check(const Object& object, const CheckContext& /*context*/,
             std::vector<Violation>& violations) const override {
    const NetworkPolicySpec* spec = object.network_policy();
    if (spec == nullptr) {
      return;
    }
    if (spec->AffectsIngress()) {
      CheckRules(spec->ingress, "ingress", violations);
    }
    if (spec->AffectsEgress()) {
      CheckRules(spec->egress, "egress", violations);
    }
  }

 private:
  void CheckRules(const std::vector<NetworkPolicyRule>& rules, const std::string& direction,
                  std::vector<Violation>& violations) const {
    for (std::size_t i = 0; i < rules.size(); ++i) {
      // Paths are built only for a violation: most rules pass.
      const auto ports_path = [&] { return Indexed("spec." + direction, i) + ".ports"; };
      const auto& ports = rules[i].ports;
      if (ports.empty()) {
        violations.push_back(
            Violation{ports_path(), direction + " rule does not list ports", "every port is open",
                      "list the ports it needs in `ports`, e.g. {protocol: TCP, port: 8080}"});
        continue;
      }
      for (std::size_t k = 0; k < ports.size(); ++k) {
        CheckPort(
            ports[k], [&] { return Indexed(ports_path(), k); }, violations);
      }
    }
  }

  template <typename PathFn>
  void CheckPort(const NetworkPolicyPort& port, const PathFn& port_path,
                 std::vector<Violation>& violations) const {
    if (port.AllPorts()) {
      violations.push_back(
          Violation{port_path(), "port entry has no port number",
                    "every " + std::string(ProtocolName(port.protocol)) + " port is open",
                    "set `port` (and `endPort` for a range)"});
      return;
    }
    if (max_port_range_ == 0 || !port.port || !port.end_port) {
      return;
    }
    const int64_t count = static_cast<int64_t>(*port.end_port) - *port.port + 1;
    if (count > max_port_range_) {
      violations.push_back(
          Violation{port_path() + ".endPort", "port range is too wide",
                    DescribePort(port) + " spans " + std::to_string(count) + " ports",
                    "narrow it to at most " + std::to_string(max_port_range_) + " ports"});
    }
  }

  int64_t max_port_range_;  // 0: ranges of any width
};

Result<std::unique_ptr<const RuleCheck>> Compile(ParamReader& params) {
  const int64_t max_port_range = params.Int("maxPortRange", 0, 1, kMaxPortCount);
  if (auto error = params.Finish()) {
    return *std::move(error);
  }
  return std::unique_ptr<const RuleCheck>(std::make_unique<RequirePortsCheck>(max_port_range));
}

}  // namespace

RuleKind RequirePortsKind() {
  return RuleKind{
      "RequirePorts",
      "Every ingress and egress rule lists its ports, each with a port number or name, and "
      "port ranges stay within maxPortRange ports.",
      Target::kNetworkPolicy,
      {{"maxPortRange", "integer 1-65535 (optional)",
        "the widest range port..endPort allowed, counting both ends; no limit when absent"}},
      Compile,
  };
}

}  // namespace netadmit
