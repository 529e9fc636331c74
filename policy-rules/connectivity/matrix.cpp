// The full reachability matrix, computed over pod classes with bit sets: for each port, which
// classes each class may send to (its egress) and receive from (the destination's ingress), then
// both combined. Gives the same answers as Connectivity::Decide for every pair of pods.

#include <algorithm>
#include <bit>

#include "connectivity/compiled.h"
#include "netadmit/connectivity/connectivity.h"

namespace netadmit {

namespace {

using Bits = std::vector<uint64_t>;

class MatrixBuilder {
 public:
  explicit MatrixBuilder(const Connectivity::Compiled& compiled)
      : c_(compiled), classes_(compiled.class_representative.size()), words_((classes_ + 63) / 64) {
    const std::size_t policies = c_.policies.size();
    selected_.resize(policies);
    ingress_peers_.resize(policies);
    egress_peers_.resize(policies);
    for (std::size_t p = 0; p < policies; ++p) {
      const ConnPolicy& policy = c_.policies[p];
      if (!policy.affects_ingress && !policy.affects_egress) {
        continue;
      }
      const LabelSelector& selector = c_.state.policies[p].spec.pod_selector;
      for (uint32_t cls : c_.classes_by_namespace[policy.namespace_index]) {
        if (selector.Matches(LabelsOf(cls))) {
          selected_[p].push_back(cls);
        }
      }
      if (selected_[p].empty()) {
        continue;
      }
      if (policy.affects_ingress) {
        for (const ConnRule& rule : policy.ingress) {
          ingress_peers_[p].push_back(PeerBits(policy, rule));
        }
      }
      if (policy.affects_egress) {
        for (const ConnRule& rule : policy.egress) {
          egress_peers_[p].push_back(PeerBits(policy, rule));
        }
      }
    }
  }

  std::size_t words() const { return words_; }

  // Row per source class: the destination classes it may reach on `port`.
  Bits Compute(const PortProtocol& port) const {
    std::vector<uint8_t> ingress_isolated(classes_, 0);
    std::vector<uint8_t> egress_isolated(classes_, 0);
    Bits ingress_allowed(classes_ * words_, 0);  // row per destination: allowed sources
    Bits egress_allowed(classes_ * words_, 0);   // row per source: allowed destinations
    for (std::size_t p = 0; p < c_.policies.size(); ++p) {
      if (selected_[p].empty()) {
        continue;
      }
      const ConnPolicy& policy = c_.policies[p];
      if (policy.affects_ingress) {
        for (uint32_t to : selected_[p]) {
          ingress_isolated[to] = 1;
          const Endpoint endpoint = Endpoint::Pod(c_.class_representative[to]);
          for (std::size_t r = 0; r < policy.ingress.size(); ++r) {
            if (RulePortsMatch(c_, *policy.ingress[r].rule, port, endpoint)) {
              OrInto(Row(ingress_allowed, to), ingress_peers_[p][r].data());
            }
          }
        }
      }
      if (policy.affects_egress) {
        for (std::size_t r = 0; r < policy.egress.size(); ++r) {
          const Bits ports = PortBits(*policy.egress[r].rule, port);
          Bits both(words_);
          bool any = false;
          for (std::size_t w = 0; w < words_; ++w) {
            both[w] = ports[w] & egress_peers_[p][r][w];
            any = any || both[w] != 0;
          }
          for (uint32_t from : selected_[p]) {
            if (any) {
              OrInto(Row(egress_allowed, from), both.data());
            }
          }
        }
        for (uint32_t from : selected_[p]) {
          egress_isolated[from] = 1;
        }
      }
    }
    // Ingress by source row: every destination that is not isolated, plus the isolated ones
    // whose rules name the source.
    Bits open = AllOnes();
    for (std::size_t to = 0; to < classes_; ++to) {
      if (ingress_isolated[to] != 0) {
        open[to / 64] &= ~(uint64_t{1} << (to % 64));
      }
    }
    Bits result(classes_ * words_, 0);
    for (std::size_t from = 0; from < classes_; ++from) {
      std::copy(open.begin(), open.end(), Row(result, from));
    }
    for (std::size_t to = 0; to < classes_; ++to) {
      if (ingress_isolated[to] == 0) {
        continue;
      }
      const uint64_t* row = Row(ingress_allowed, to);
      for (std::size_t w = 0; w < words_; ++w) {
        uint64_t bits = row[w];
        while (bits != 0) {
          const std::size_t from = w * 64 + static_cast<std::size_t>(std::countr_zero(bits));
          bits &= bits - 1;
          Row(result, from)[to / 64] |= uint64_t{1} << (to % 64);
        }
      }
    }
    for (std::size_t from = 0; from < classes_; ++from) {
      if (egress_isolated[from] == 0) {
        continue;
      }
      uint64_t* row = Row(result, from);
      const uint64_t* egress = Row(egress_allowed, from);
      for (std::size_t w = 0; w < words_; ++w) {
        row[w] &= egress[w];
      }
    }
    return result;
  }

 private:
  const Labels& LabelsOf(uint32_t cls) const {
    return c_.state.pods[c_.class_representative[cls]].labels;
  }
  uint64_t* Row(Bits& bits, std::size_t row) const { return bits.data() + row * words_; }
  const uint64_t* Row(const Bits& bits, std::size_t row) const {
    return bits.data() + row * words_;
  }
  void OrInto(uint64_t* row, const uint64_t* bits) const {
    for (std::size_t w = 0; w < words_; ++w) {
      row[w] |= bits[w];
    }
  }
  static void Set(Bits& bits, std::size_t index) {
    bits[index / 64] |= uint64_t{1} << (index % 64);
  }
  Bits AllOnes() const {
    Bits bits(words_, ~uint64_t{0});
    if (classes_ % 64 != 0) {
      bits.back() = (uint64_t{1} << (classes_ % 64)) - 1;
    }
    return bits;
  }

  // The classes a rule's peers match (every class when the rule has no peers).
  Bits PeerBits(const ConnPolicy& policy, const ConnRule& rule) const {
    if (rule.peers.empty()) {
      return AllOnes();
    }
    Bits bits(words_, 0);
    for (const ConnPeer& peer : rule.peers) {
      if (peer.ip_block) {
        for (uint32_t cls : c_.classes_in_ip_block[peer.ip_block->id]) {
          Set(bits, cls);
        }
        continue;
      }
      const NetworkPolicyPeer& spec = *peer.peer;
      if (!spec.namespace_selector && !spec.pod_selector) {
        continue;
      }
      auto add_namespace = [&](uint32_t ns) {
        for (uint32_t cls : c_.classes_by_namespace[ns]) {
          if (!spec.pod_selector || spec.pod_selector->Matches(LabelsOf(cls))) {
            Set(bits, cls);
          }
        }
      };
      if (!spec.namespace_selector) {
        add_namespace(policy.namespace_index);
        continue;
      }
      for (uint32_t ns = 0; ns < c_.state.namespaces.size(); ++ns) {
        if (spec.namespace_selector->Matches(c_.NamespaceLabels(ns))) {
          add_namespace(ns);
        }
      }
    }
    return bits;
  }

  // The destination classes an egress rule's ports admit `port` to (named ports per class).
  Bits PortBits(const NetworkPolicyRule& rule, const PortProtocol& port) const {
    if (rule.ports.empty()) {
      return AllOnes();
    }
    Bits bits(words_, 0);
    for (const NetworkPolicyPort& policy_port : rule.ports) {
      if (policy_port.protocol != port.protocol) {
        continue;
      }
      if (!policy_port.named_port) {
        if (PortMatches(c_, policy_port, port, Endpoint{})) {
          return AllOnes();
        }
        continue;
      }
      for (std::size_t cls = 0; cls < classes_; ++cls) {
        if (PortMatches(c_, policy_port, port, Endpoint::Pod(c_.class_representative[cls]))) {
          Set(bits, cls);
        }
      }
    }
    return bits;
  }

  const Connectivity::Compiled& c_;
  std::size_t classes_;
  std::size_t words_;
  std::vector<std::vector<uint32_t>> selected_;   // per policy: classes it selects
  std::vector<std::vector<Bits>> ingress_peers_;  // per policy, per ingress rule
  std::vector<std::vector<Bits>> egress_peers_;   // per policy, per egress rule
};

}  // namespace

bool ReachMatrix::Allowed(std::size_t port_index, std::size_t from_pod, std::size_t to_pod) const {
  const std::size_t from = class_of_pod_[from_pod];
  const std::size_t to = class_of_pod_[to_pod];
  return ((allowed_[port_index][from * words_ + to / 64] >> (to % 64)) & 1U) != 0;
}

uint64_t ReachMatrix::AllowedPairs(std::size_t port_index) const {
  uint64_t pairs = 0;
  const Bits& bits = allowed_[port_index];
  for (std::size_t from = 0; from < classes_; ++from) {
    for (std::size_t w = 0; w < words_; ++w) {
      uint64_t word = bits[from * words_ + w];
      while (word != 0) {
        const std::size_t to = w * 64 + static_cast<std::size_t>(std::countr_zero(word));
        word &= word - 1;
        pairs += class_size_[from] * class_size_[to];
      }
    }
  }
  return pairs;
}

ReachMatrix Connectivity::ComputeMatrix(std::span<const PortProtocol> ports) const {
  MatrixBuilder builder(*compiled_);
  ReachMatrix matrix;
  matrix.ports_.assign(ports.begin(), ports.end());
  matrix.class_of_pod_ = compiled_->class_of_pod;
  matrix.class_size_ = compiled_->class_size;
  matrix.classes_ = compiled_->class_representative.size();
  matrix.words_ = builder.words();
  for (const PortProtocol& port : ports) {
    matrix.allowed_.push_back(builder.Compute(port));
  }
  return matrix;
}

}  // namespace netadmit
