// The full reachability matrix, computed over pod classes with bit sets. Per port and direction
// each class has a row over the classes at the other end: undecided (U), allowed (A) and passed
// on (P). The Admin tier's rules, in order, move undecided bits to allowed, passed or denied; the
// passed ones are undecided again for the NetworkPolicies, which decide every bit of the classes
// they isolate; the Baseline tier's rules then decide what is left of the others, and what still
// is undecided (or passed on by Baseline) is allowed by default. The egress rows (per source)
// and the ingress rows (per destination, transposed) are combined by word-wise AND. Gives the
// same answers as Connectivity::Decide for every pair of pods; costs classes x rules x words.

#include <algorithm>
#include <array>
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
    occupied_.assign(words_, 0);
    for (std::size_t cls = 0; cls < classes_; ++cls) {
      if (c_.class_size[cls] != 0) {
        Set(occupied_, cls);
      }
    }
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
    const std::size_t cluster = c_.cluster_policies.size();
    subjects_.resize(cluster);
    cluster_peers_.resize(cluster);
    for (std::size_t p = 0; p < cluster; ++p) {
      const ClusterPolicySubject& subject = c_.state.cluster_policies[p].spec.subject;
      for (uint32_t cls = 0; cls < classes_; ++cls) {
        if (subject.Matches(c_.NamespaceLabels(NamespaceOf(cls)), LabelsOf(cls))) {
          subjects_[p].push_back(cls);
        }
      }
      if (subjects_[p].empty()) {
        continue;
      }
      for (const bool ingress : {true, false}) {
        for (const ConnClusterRule& rule : RulesOf(p, ingress)) {
          cluster_peers_[p][ingress ? 1 : 0].push_back(ClusterPeerBits(rule));
        }
      }
    }
  }

  std::size_t words() const { return words_; }

  // Row per source class: the destination classes it may reach on `port`. `by_default` gets,
  // per class, bit 0 when some source reaches its ingress by default, bit 1 for its egress.
  Bits Compute(const PortProtocol& port, std::vector<uint8_t>& by_default) {
    by_default.assign(classes_, 0);
    Bits egress = Direction(false, port, by_default);
    const Bits ingress = Direction(true, port, by_default);
    // Transpose the ingress rows into the egress ones: a destination column starts set when most
    // of its sources are allowed (then its denied sources are cleared), else clear (then its
    // allowed sources are set), so that the cost is the smaller of the two per destination.
    Bits mostly(words_, 0);
    for (std::size_t to = 0; to < classes_; ++to) {
      const uint64_t* row = Row(ingress, to);
      std::size_t ones = 0;
      for (std::size_t w = 0; w < words_; ++w) {
        ones += static_cast<std::size_t>(std::popcount(row[w]));
      }
      if (2 * ones > classes_) {
        Set(mostly, to);
      }
    }
    Bits columns(classes_ * words_, 0);
    for (std::size_t from = 0; from < classes_; ++from) {
      std::copy(mostly.begin(), mostly.end(), Row(columns, from));
    }
    const Bits all = AllOnes();
    for (std::size_t to = 0; to < classes_; ++to) {
      const uint64_t* row = Row(ingress, to);
      const bool set = ((mostly[to / 64] >> (to % 64)) & 1U) != 0;
      for (std::size_t w = 0; w < words_; ++w) {
        uint64_t bits = set ? ~row[w] & all[w] : row[w];
        while (bits != 0) {
          const std::size_t from = w * 64 + static_cast<std::size_t>(std::countr_zero(bits));
          bits &= bits - 1;
          Row(columns, from)[to / 64] ^= uint64_t{1} << (to % 64);
        }
      }
    }
    for (std::size_t i = 0; i < egress.size(); ++i) {
      egress[i] &= columns[i];
    }
    return egress;
  }

 private:
  // The rows of one direction: per subject class (the source for egress, the destination for
  // ingress), the classes at the other end it allows on `port`.
  Bits Direction(bool ingress, const PortProtocol& port, std::vector<uint8_t>& by_default) {
    const std::size_t size = classes_ * words_;
    const uint8_t flag = ingress ? 1 : 2;
    if (c_.admin_order.empty() && c_.baseline_order.empty()) {
      return NetworkPoliciesOnly(ingress, port, flag, by_default);
    }
    Bits undecided(size, 0);
    Bits allowed(size, 0);
    passed_.assign(size, 0);
    const Bits all = AllOnes();
    for (std::size_t cls = 0; cls < classes_; ++cls) {
      std::copy(all.begin(), all.end(), Row(undecided, cls));
    }
    Walk(c_.admin_order, ingress, port, undecided, allowed);
    // What the Admin tier passed on is undecided again for the NetworkPolicies.
    for (std::size_t i = 0; i < size; ++i) {
      undecided[i] |= passed_[i];
      passed_[i] = 0;
    }
    // The classes NetworkPolicies isolate are decided there (`passed_` now holds what their
    // policies allow), whatever the Baseline tier says.
    std::vector<uint8_t> isolated(classes_, 0);
    NetworkPolicies(ingress, port, isolated);
    for (std::size_t cls = 0; cls < classes_; ++cls) {
      if (isolated[cls] == 0) {
        continue;
      }
      uint64_t* open = Row(undecided, cls);
      uint64_t* passed = Row(passed_, cls);
      uint64_t* allow = Row(allowed, cls);
      for (std::size_t w = 0; w < words_; ++w) {
        allow[w] |= open[w] & passed[w];
        open[w] = 0;
        passed[w] = 0;
      }
    }
    Walk(c_.baseline_order, ingress, port, undecided, allowed);
    for (std::size_t cls = 0; cls < classes_; ++cls) {
      const uint64_t* open = Row(undecided, cls);
      const uint64_t* passed = Row(passed_, cls);
      uint64_t* allow = Row(allowed, cls);
      uint64_t any = 0;
      for (std::size_t w = 0; w < words_; ++w) {
        any |= open[w] | passed[w];
        allow[w] |= open[w] | passed[w];
      }
      if (any != 0) {
        by_default[cls] |= flag;
      }
    }
    passed_ = Bits();  // the memory goes back before the other direction's rows are made
    return allowed;
  }

  // Direction without cluster policies: what the NetworkPolicies allow for the classes they
  // isolate, everything for the others (by default). Holds one set of rows, not three.
  Bits NetworkPoliciesOnly(bool ingress, const PortProtocol& port, uint8_t flag,
                           std::vector<uint8_t>& by_default) {
    passed_.assign(classes_ * words_, 0);
    std::vector<uint8_t> isolated(classes_, 0);
    NetworkPolicies(ingress, port, isolated);
    Bits allowed = std::move(passed_);
    passed_ = Bits();
    const Bits all = AllOnes();
    for (std::size_t cls = 0; cls < classes_; ++cls) {
      if (isolated[cls] == 0) {
        std::copy(all.begin(), all.end(), Row(allowed, cls));
        by_default[cls] |= flag;
      }
    }
    return allowed;
  }

  // One tier's policies in order: each rule takes the undecided bits it matches, into `allowed`
  // (Allow), `passed_` (Pass) or nowhere (Deny).
  void Walk(const std::vector<std::size_t>& order, bool ingress, const PortProtocol& port,
            Bits& undecided, Bits& allowed) {
    for (std::size_t p : order) {
      if (subjects_[p].empty()) {
        continue;
      }
      const auto& rules = RulesOf(p, ingress);
      for (std::size_t r = 0; r < rules.size(); ++r) {
        const ConnClusterRule& rule = rules[r];
        Bits match = cluster_peers_[p][ingress ? 1 : 0][r];
        const bool deny_all = rule.deny_all_peer.has_value();
        if (!ingress && !deny_all) {
          const Bits ports = ClusterPortBits(*rule.rule, port);
          for (std::size_t w = 0; w < words_; ++w) {
            match[w] &= ports[w];
          }
        }
        if (std::all_of(match.begin(), match.end(), [](uint64_t w) { return w == 0; })) {
          continue;
        }
        const ClusterRuleAction action = deny_all ? ClusterRuleAction::kDeny : rule.rule->action;
        Bits& target = action == ClusterRuleAction::kAllow ? allowed : passed_;
        for (uint32_t cls : subjects_[p]) {
          // Ingress rules' ports resolve on the subject, the destination.
          if (ingress && !deny_all &&
              !ClusterRulePortsMatch(c_, *rule.rule, port,
                                     Endpoint::Pod(c_.class_representative[cls]))) {
            continue;
          }
          uint64_t* open = Row(undecided, cls);
          uint64_t* into = Row(target, cls);
          for (std::size_t w = 0; w < words_; ++w) {
            if (action != ClusterRuleAction::kDeny) {
              into[w] |= open[w] & match[w];
            }
            open[w] &= ~match[w];
          }
        }
      }
    }
  }

  // Into `passed_`, per class a NetworkPolicy isolates for the direction, what its policies
  // allow; `isolated` marks those classes.
  void NetworkPolicies(bool ingress, const PortProtocol& port, std::vector<uint8_t>& isolated) {
    for (std::size_t p = 0; p < c_.policies.size(); ++p) {
      const ConnPolicy& policy = c_.policies[p];
      if (selected_[p].empty() || !(ingress ? policy.affects_ingress : policy.affects_egress)) {
        continue;
      }
      for (uint32_t cls : selected_[p]) {
        isolated[cls] = 1;
      }
      if (ingress) {
        for (uint32_t to : selected_[p]) {
          const Endpoint endpoint = Endpoint::Pod(c_.class_representative[to]);
          for (std::size_t r = 0; r < policy.ingress.size(); ++r) {
            if (RulePortsMatch(c_, *policy.ingress[r].rule, port, endpoint)) {
              OrInto(Row(passed_, to), ingress_peers_[p][r].data());
            }
          }
        }
        continue;
      }
      for (std::size_t r = 0; r < policy.egress.size(); ++r) {
        const Bits ports = PortBits(*policy.egress[r].rule, port);
        Bits both(words_);
        bool any = false;
        for (std::size_t w = 0; w < words_; ++w) {
          both[w] = ports[w] & egress_peers_[p][r][w];
          any = any || both[w] != 0;
        }
        if (any) {
          for (uint32_t from : selected_[p]) {
            OrInto(Row(passed_, from), both.data());
          }
        }
      }
    }
  }

  const std::vector<ConnClusterRule>& RulesOf(std::size_t policy, bool ingress) const {
    return ingress ? c_.cluster_policies[policy].ingress : c_.cluster_policies[policy].egress;
  }
  uint32_t NamespaceOf(uint32_t cls) const {
    return c_.pod_namespace[c_.class_representative[cls]];
  }
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
  // Every class that holds a pod. (An engine updated in place keeps the classes its removed
  // pods left empty; no answer may count them.)
  const Bits& AllOnes() const { return occupied_; }
  void AddNamespace(Bits& bits, uint32_t ns, const LabelSelector* pod_selector) const {
    for (uint32_t cls : c_.classes_by_namespace[ns]) {
      if (pod_selector == nullptr || pod_selector->Matches(LabelsOf(cls))) {
        Set(bits, cls);
      }
    }
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
      const LabelSelector* pods = spec.pod_selector ? &*spec.pod_selector : nullptr;
      if (!spec.namespace_selector) {
        AddNamespace(bits, policy.namespace_index, pods);
        continue;
      }
      for (uint32_t ns = 0; ns < c_.state.namespaces.size(); ++ns) {
        if (spec.namespace_selector->Matches(c_.NamespaceLabels(ns))) {
          AddNamespace(bits, ns, pods);
        }
      }
    }
    return bits;
  }

  // The classes a cluster policy rule's peers match; every class for a rule that fails closed.
  Bits ClusterPeerBits(const ConnClusterRule& rule) const {
    if (rule.deny_all_peer) {
      return AllOnes();
    }
    Bits bits(words_, 0);
    for (const ConnClusterPeer& peer : rule.peers) {
      const ClusterPolicyPeer& spec = *peer.peer;
      if (spec.kind == ClusterPeerKind::kNetworks) {
        for (const ConnIpBlock& block : peer.networks) {
          for (uint32_t cls : c_.classes_in_ip_block[block.id]) {
            Set(bits, cls);
          }
        }
        continue;
      }
      if (spec.kind != ClusterPeerKind::kNamespaces && spec.kind != ClusterPeerKind::kPods) {
        continue;  // nodes, domainNames and unknown peers match no pod
      }
      const LabelSelector* pods =
          spec.kind == ClusterPeerKind::kPods ? &spec.pod_selector : nullptr;
      for (uint32_t ns = 0; ns < c_.state.namespaces.size(); ++ns) {
        if (spec.namespace_selector.Matches(c_.NamespaceLabels(ns))) {
          AddNamespace(bits, ns, pods);
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
      AddNamedPort(bits, *policy_port.named_port, port);
    }
    return bits;
  }

  // The same for a cluster policy egress rule.
  Bits ClusterPortBits(const ClusterPolicyRule& rule, const PortProtocol& port) const {
    if (!rule.ports || rule.ports->empty()) {
      return AllOnes();
    }
    Bits bits(words_, 0);
    for (const ClusterPolicyPort& rule_port : *rule.ports) {
      if (!rule_port.named_port) {
        if (ClusterPortMatches(c_, rule_port, port, Endpoint{})) {
          return AllOnes();
        }
        continue;
      }
      AddNamedPort(bits, *rule_port.named_port, port);
    }
    return bits;
  }

  void AddNamedPort(Bits& bits, const std::string& name, const PortProtocol& port) const {
    for (std::size_t cls = 0; cls < classes_; ++cls) {
      if (NamedPortMatches(c_, name, port, Endpoint::Pod(c_.class_representative[cls]))) {
        Set(bits, cls);
      }
    }
  }

  const Connectivity::Compiled& c_;
  std::size_t classes_;
  std::size_t words_;
  std::vector<std::vector<uint32_t>> selected_;   // per policy: classes it selects
  std::vector<std::vector<Bits>> ingress_peers_;  // per policy, per ingress rule
  std::vector<std::vector<Bits>> egress_peers_;   // per policy, per egress rule
  std::vector<std::vector<uint32_t>> subjects_;   // per cluster policy: classes it selects
  // Per cluster policy, [0] egress and [1] ingress: per rule, the classes its peers match.
  std::vector<std::array<std::vector<Bits>, 2>> cluster_peers_;
  Bits passed_;    // the rows a tier passed on; reused by each direction
  Bits occupied_;  // the classes that hold a pod
};

}  // namespace

bool ReachMatrix::Allowed(std::size_t port_index, std::size_t from_pod, std::size_t to_pod) const {
  const std::size_t from = class_of_pod_[from_pod];
  const std::size_t to = class_of_pod_[to_pod];
  return ((allowed_[port_index][from * words_ + to / 64] >> (to % 64)) & 1U) != 0;
}

bool ReachMatrix::AllowedByDefault(std::size_t port_index, std::size_t pod, bool ingress) const {
  return ((by_default_[port_index][class_of_pod_[pod]] >> (ingress ? 0 : 1)) & 1U) != 0;
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
    std::vector<uint8_t> by_default;
    matrix.allowed_.push_back(builder.Compute(port, by_default));
    matrix.by_default_.push_back(std::move(by_default));
  }
  return matrix;
}

}  // namespace netadmit
