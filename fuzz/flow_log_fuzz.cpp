// Reads arbitrary bytes as a flow log (Hubble's flow JSON or the neutral form, a line each) and
// replays every line against a small cluster, as `netadmit reach --flows` does with a log from
// wherever it came.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "netadmit/connectivity/connectivity.h"
#include "netadmit/connectivity/observed_flows.h"

namespace {

const netadmit::Connectivity& Cluster() {
  static const netadmit::Connectivity engine = [] {
    netadmit::ClusterState state;
    state.pods.push_back(netadmit::PodInfo{"prod", "web-1", {{"app", "web"}}, {}, {"10.8.0.11"}});
    state.pods.push_back(netadmit::PodInfo{
        "prod", "db-0", {{"app", "db"}}, {{"pg", 5432, netadmit::Protocol::kTCP}}, {"10.8.0.12"}});
    netadmit::PolicyInfo deny{"prod", "deny", {}};
    deny.spec.policy_types = std::vector<netadmit::PolicyType>{netadmit::PolicyType::kIngress};
    state.policies.push_back(deny);
    return std::move(netadmit::Connectivity::Build(state).value());
  }();
  return engine;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  netadmit::FlowReplay replay(Cluster());
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  int number = 0;
  for (std::size_t start = 0; start <= text.size();) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    replay.Feed(text.substr(start, end - start), ++number);
    start = end + 1;
  }
  (void)replay.Summary();
  return 0;
}
