// NoHostNetwork inspects the pod spec of Pods and pod templates: hostNetwork, and
// containers[*].ports[*].hostPort and initContainers[*].ports[*].hostPort. It allows pods in
// their own network namespace, and hostPorts when allowHostPort is true. It flags
// hostNetwork: true (the pod shares the node's network and NetworkPolicy does not apply to it)
// and any hostPort other than 0 (traffic to the node's port reaches the pod).

#include "rules/kinds/no_host_network.h"

#include <memory>

#include "rules/kinds/describe.h"

namespace netadmit {

namespace {

class NoHostNetworkCheck final : public RuleCheck {
 public:
  explicit NoHostNetworkCheck(bool allow_host_port) : allow_host_port_(allow_host_port) {}

  void Check(const Object& object, const CheckContext& /*context*/,
             std::vector<Violation>& violations) const override {
    const PodTemplate* pod = object.pod_template();
    if (pod == nullptr) {
      return;
    }
    if (pod->host_network) {
      violations.push_back(Violation{
          pod->spec_path + ".hostNetwork", "pod uses the node's network, bypassing NetworkPolicy",
          "hostNetwork: true", "remove `hostNetwork`; expose the pod through a Service"});
    }
    if (allow_host_port_) {
      return;
    }
    CheckPorts(pod->containers, pod->spec_path + ".containers", "container", violations);
    CheckPorts(pod->init_containers, pod->spec_path + ".initContainers", "init container",
               violations);
  }

 private:
  static void CheckPorts(const std::vector<Container>& containers, const std::string& list_path,
                         const std::string& noun, std::vector<Violation>& violations) {
    for (std::size_t i = 0; i < containers.size(); ++i) {
      const Container& container = containers[i];
      for (std::size_t k = 0; k < container.ports.size(); ++k) {
        const ContainerPort& port = container.ports[k];
        if (port.host_port == 0) {
          continue;
        }
        violations.push_back(Violation{
            Indexed(Indexed(list_path, i) + ".ports", k) + ".hostPort",
            "container port is opened on the node",
            "hostPort " + std::to_string(port.host_port) + " on " + noun + " " + container.name,
            "remove `hostPort`; expose the port through a Service"});
      }
    }
  }

  bool allow_host_port_;
};

Result<std::unique_ptr<const RuleCheck>> Compile(ParamReader& params) {
  const bool allow_host_port = params.Bool("allowHostPort", false);
  if (auto error = params.Finish()) {
    return *std::move(error);
  }
  return std::unique_ptr<const RuleCheck>(std::make_unique<NoHostNetworkCheck>(allow_host_port));
}

}  // namespace

RuleKind NoHostNetworkKind() {
  return RuleKind{
      "NoHostNetwork",
      "Pods do not use the host network, which NetworkPolicy cannot restrict, nor (unless "
      "allowed) host ports.",
      Target::kPodTemplate,
      {{"allowHostPort", "bool (default false)", "allow containers to set hostPort"}},
      Compile,
  };
}

}  // namespace netadmit
