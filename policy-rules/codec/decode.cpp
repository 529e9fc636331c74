// Decodes the fields rules need from Kubernetes objects in JSON. Every access checks the JSON
// type first (RapidJSON asserts on a wrong-type access), and the first problem is returned as an
// Error naming the field path, e.g. spec.egress[1].ports[0].port.

#include "netadmit/codec/decode.h"

#include <algorithm>
#include <array>
#include <optional>
#include <span>
#include <string>

#include "netadmit/model/cidr.h"

namespace netadmit {

namespace {

using rapidjson::Value;

// A field path built on the stack as decoding descends, and rendered to text
// ("spec.egress[1].to[0]") only when an error needs it: most objects decode without error, and
// building path strings for every field would cost more than the decoding itself.
class Path {
 public:
  Path() = default;
  // A root path with a prefix such as "spec" or "spec.template.spec".
  Path(std::string_view prefix) : key_(prefix) {}    // NOLINT(google-explicit-constructor)
  Path(const char* prefix) : key_(prefix) {}         // NOLINT(google-explicit-constructor)
  Path(const std::string& prefix) : key_(prefix) {}  // NOLINT(google-explicit-constructor)

  Path Field(std::string_view key) const { return Path(this, key, kNoIndex); }
  Path Index(rapidjson::SizeType index) const { return Path(this, {}, index); }

  std::string ToString() const {
    std::string out = parent_ != nullptr ? parent_->ToString() : std::string();
    if (index_ != kNoIndex) {
      out += '[' + std::to_string(index_) + ']';
    } else if (!key_.empty()) {
      if (!out.empty()) {
        out += '.';
      }
      out += key_;
    }
    return out;
  }

 private:
  static constexpr int64_t kNoIndex = -1;
  Path(const Path* parent, std::string_view key, int64_t index)
      : parent_(parent), key_(key), index_(index) {}

  const Path* parent_ = nullptr;
  std::string_view key_;
  int64_t index_ = kNoIndex;
};

std::string Joined(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : std::string(path) + '.' + std::string(key);
}

// "a, b or c"
std::string Choices(std::span<const std::string_view> names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) {
      out += i + 1 == names.size() ? " or " : ", ";
    }
    out += names[i];
  }
  return out;
}

// Reads typed fields, keeping the first error. After an error every getter returns a default,
// so decoding functions read straight through and the caller checks `error_` once.
class Decoder {
 public:
  std::optional<Error> error_;

  void Fail(const Path& path, std::string message) {
    if (!error_) {
      error_ = Error{"", 0, 0, path.ToString(), std::move(message)};
    }
  }

  // The member if it is an object; a type error otherwise.
  const Value* Object(const Value& parent, std::string_view key, const Path& path) {
    const Value* value = JsonMember(parent, key);
    if (value != nullptr && !value->IsObject()) {
      Fail(path.Field(key), "expected an object");
      return nullptr;
    }
    return value;
  }

  const Value* Array(const Value& parent, std::string_view key, const Path& path) {
    const Value* value = JsonMember(parent, key);
    if (value != nullptr && !value->IsArray()) {
      Fail(path.Field(key), "expected a list");
      return nullptr;
    }
    return value;
  }

  std::string String(const Value& parent, std::string_view key, const Path& path) {
    const Value* value = JsonMember(parent, key);
    if (value == nullptr) {
      return {};
    }
    if (!value->IsString()) {
      Fail(path.Field(key), "expected a string");
      return {};
    }
    return std::string(value->GetString(), value->GetStringLength());
  }

  bool Bool(const Value& parent, std::string_view key, const Path& path) {
    const Value* value = JsonMember(parent, key);
    if (value == nullptr) {
      return false;
    }
    if (!value->IsBool()) {
      Fail(path.Field(key), "expected true or false");
      return false;
    }
    return value->GetBool();
  }

  std::optional<int32_t> Int32(const Value& parent, std::string_view key, const Path& path) {
    const Value* value = JsonMember(parent, key);
    if (value == nullptr) {
      return std::nullopt;
    }
    if (!value->IsInt()) {
      Fail(path.Field(key), "expected a 32-bit integer");
      return std::nullopt;
    }
    return value->GetInt();
  }

  Labels StringMap(const Value& parent, std::string_view key, const Path& path) {
    Labels out;
    const Value* map = Object(parent, key, path);
    if (map == nullptr) {
      return out;
    }
    const Path map_path = path.Field(key);
    for (const auto& member : map->GetObject()) {
      std::string name(member.name.GetString(), member.name.GetStringLength());
      if (!member.value.IsString()) {
        Fail(map_path.Field(name), "expected a string");
        return out;
      }
      out.emplace(std::move(name),
                  std::string(member.value.GetString(), member.value.GetStringLength()));
    }
    return out;
  }

  std::vector<std::string> StringList(const Value& parent, std::string_view key, const Path& path) {
    return List<std::string>(parent, key, path, [&](const Value& item, const Path& item_path) {
      if (!item.IsString()) {
        Fail(item_path, "expected a string");
        return std::string();
      }
      return std::string(item.GetString(), item.GetStringLength());
    });
  }

  SelectorRequirement Requirement(const Value& item, const Path& path) {
    SelectorRequirement requirement;
    if (!ExpectObject(item, path)) {
      return requirement;
    }
    requirement.key = String(item, "key", path);
    const std::string op = String(item, "operator", path);
    requirement.values = StringList(item, "values", path);
    if (requirement.key.empty()) {
      Fail(path.Field("key"), "a selector requirement needs a key");
    }
    if (op == "In") {
      requirement.op = SelectorOperator::kIn;
    } else if (op == "NotIn") {
      requirement.op = SelectorOperator::kNotIn;
    } else if (op == "Exists") {
      requirement.op = SelectorOperator::kExists;
    } else if (op == "DoesNotExist") {
      requirement.op = SelectorOperator::kDoesNotExist;
    } else {
      Fail(path.Field("operator"),
           "unknown operator \"" + op + "\" (expected In, NotIn, Exists or DoesNotExist)");
    }
    return requirement;
  }

  LabelSelector Selector(const Value& json, const Path& path) {
    LabelSelector selector;
    if (!json.IsObject()) {
      Fail(path, "expected a label selector object");
      return selector;
    }
    selector.match_labels = StringMap(json, "matchLabels", path);
    selector.match_expressions = List<SelectorRequirement>(
        json, "matchExpressions", path,
        [&](const Value& item, const Path& item_path) { return Requirement(item, item_path); });
    return selector;
  }

  Protocol ProtocolOf(const Value& parent, const Path& path) {
    const std::string name = String(parent, "protocol", path);
    if (name.empty() || name == "TCP") {
      return Protocol::kTCP;
    }
    if (name == "UDP") {
      return Protocol::kUDP;
    }
    if (name == "SCTP") {
      return Protocol::kSCTP;
    }
    Fail(path.Field("protocol"), "unknown protocol \"" + name + "\" (expected TCP, UDP or SCTP)");
    return Protocol::kTCP;
  }

  NetworkPolicyPort Port(const Value& json, const Path& path) {
    NetworkPolicyPort port;
    if (!json.IsObject()) {
      Fail(path, "expected an object");
      return port;
    }
    port.protocol = ProtocolOf(json, path);
    if (const Value* value = JsonMember(json, "port")) {
      if (value->IsInt()) {
        port.port = value->GetInt();
      } else if (value->IsString()) {
        port.named_port = std::string(value->GetString(), value->GetStringLength());
      } else {
        Fail(path.Field("port"), "expected a port number or a port name");
      }
    }
    port.end_port = Int32(json, "endPort", path);
    return port;
  }

  NetworkPolicyPeer Peer(const Value& json, const Path& path) {
    NetworkPolicyPeer peer;
    if (!json.IsObject()) {
      Fail(path, "expected an object");
      return peer;
    }
    if (const Value* selector = JsonMember(json, "podSelector")) {
      peer.pod_selector = Selector(*selector, path.Field("podSelector"));
    }
    if (const Value* selector = JsonMember(json, "namespaceSelector")) {
      peer.namespace_selector = Selector(*selector, path.Field("namespaceSelector"));
    }
    if (const Value* block = Object(json, "ipBlock", path)) {
      const Path block_path = path.Field("ipBlock");
      peer.ip_block =
          IPBlock{String(*block, "cidr", block_path), StringList(*block, "except", block_path)};
    }
    return peer;
  }

  // Decodes each element of the list parent[key] with `decode(element, element_path)`. A missing
  // list is empty; the first error stops the walk.
  template <typename Element, typename DecodeFn>
  std::vector<Element> List(const Value& parent, std::string_view key, const Path& path,
                            DecodeFn decode) {
    std::vector<Element> out;
    const Value* list = Array(parent, key, path);
    if (list == nullptr) {
      return out;
    }
    const Path list_path = path.Field(key);
    out.reserve(list->Size());
    for (rapidjson::SizeType i = 0; i < list->Size() && !error_; ++i) {
      out.push_back(decode((*list)[i], list_path.Index(i)));
    }
    return out;
  }

  bool ExpectObject(const Value& json, const Path& path) {
    if (!json.IsObject()) {
      Fail(path, "expected an object");
      return false;
    }
    return true;
  }

  std::vector<NetworkPolicyRule> Rules(const Value& spec, std::string_view key,
                                       std::string_view peers_key) {
    return List<NetworkPolicyRule>(spec, key, "spec", [&](const Value& item, const Path& path) {
      NetworkPolicyRule rule;
      if (ExpectObject(item, path)) {
        rule.ports = List<NetworkPolicyPort>(
            item, "ports", path, [&](const Value& v, const Path& p) { return Port(v, p); });
        rule.peers = List<NetworkPolicyPeer>(
            item, peers_key, path, [&](const Value& v, const Path& p) { return Peer(v, p); });
      }
      return rule;
    });
  }

  NetworkPolicySpec PolicySpec(const Value& object) {
    NetworkPolicySpec spec;
    const Value* json = Object(object, "spec", "");
    if (json == nullptr) {
      return spec;  // an empty spec selects all pods and allows nothing in (Ingress inferred)
    }
    if (const Value* selector = JsonMember(*json, "podSelector")) {
      spec.pod_selector = Selector(*selector, "spec.podSelector");
    }
    spec.ingress = Rules(*json, "ingress", "from");
    spec.egress = Rules(*json, "egress", "to");
    if (JsonMember(*json, "policyTypes") != nullptr) {
      std::vector<PolicyType> types;
      const auto names = StringList(*json, "policyTypes", "spec");
      for (size_t i = 0; i < names.size(); ++i) {
        if (names[i] == "Ingress") {
          types.push_back(PolicyType::kIngress);
        } else if (names[i] == "Egress") {
          types.push_back(PolicyType::kEgress);
        } else {
          Fail(Path("spec").Field("policyTypes").Index(static_cast<rapidjson::SizeType>(i)),
               "unknown policy type \"" + names[i] + "\" (expected Ingress or Egress)");
        }
      }
      spec.policy_types = std::move(types);
    }
    return spec;
  }

  ContainerPort PortOfContainer(const Value& json, const Path& path) {
    ContainerPort port;
    if (ExpectObject(json, path)) {
      port.name = String(json, "name", path);
      port.container_port = Int32(json, "containerPort", path).value_or(0);
      port.host_port = Int32(json, "hostPort", path).value_or(0);
      port.protocol = ProtocolOf(json, path);
    }
    return port;
  }

  std::vector<Container> Containers(const Value& spec, std::string_view key,
                                    const Path& spec_path) {
    return List<Container>(spec, key, spec_path, [&](const Value& item, const Path& path) {
      Container container;
      if (ExpectObject(item, path)) {
        container.name = String(item, "name", path);
        container.ports = List<ContainerPort>(
            item, "ports", path,
            [&](const Value& v, const Path& p) { return PortOfContainer(v, p); });
      }
      return container;
    });
  }

  // Decodes the pod template found at `template_path` ("" for a Pod itself).
  PodTemplate Template(const Value& object, std::string_view template_path) {
    PodTemplate pod;
    pod.metadata_path = Joined(template_path, "metadata");
    pod.spec_path = Joined(template_path, "spec");
    const Value* root = &object;
    if (!template_path.empty()) {
      // Walk "spec.template" or "spec.jobTemplate.spec.template" one segment at a time.
      std::string_view rest = template_path;
      std::string walked;
      while (root != nullptr && !rest.empty()) {
        const size_t dot = rest.find('.');
        const std::string_view segment = rest.substr(0, dot);
        root = Object(*root, segment, walked);
        walked = Joined(walked, segment);
        rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
      }
      if (root == nullptr) {
        return pod;  // no template: nothing to inspect
      }
    }
    if (const Value* metadata = Object(*root, "metadata", template_path)) {
      pod.labels = StringMap(*metadata, "labels", pod.metadata_path);
    }
    if (const Value* spec = Object(*root, "spec", template_path)) {
      pod.host_network = Bool(*spec, "hostNetwork", pod.spec_path);
      pod.containers = Containers(*spec, "containers", pod.spec_path);
      pod.init_containers = Containers(*spec, "initContainers", pod.spec_path);
    }
    return pod;
  }

  // --- The cluster-scoped policies (model/cluster_policy.h) ---

  // Which member of `json` among `keys` is set (not absent, not null): its index, or nullopt
  // when none is. Two set fail naming both: each of these API structs holds exactly one field.
  std::optional<std::size_t> OneOf(const Value& json, std::span<const std::string_view> keys,
                                   const Path& path) {
    std::optional<std::size_t> found;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (JsonMember(json, keys[i]) == nullptr) {
        continue;
      }
      if (found) {
        Fail(path, "sets both " + std::string(keys[*found]) + " and " + std::string(keys[i]) +
                       " (expected exactly one of " + Choices(keys) + ")");
        return std::nullopt;
      }
      found = i;
    }
    return found;
  }

  // OneOf for a struct that must set exactly one of `keys`: also fails when it is no object or
  // sets none.
  std::optional<std::size_t> ExactlyOneOf(const Value& json, std::span<const std::string_view> keys,
                                          const Path& path) {
    if (!ExpectObject(json, path)) {
      return std::nullopt;
    }
    const std::optional<std::size_t> set = OneOf(json, keys, path);
    if (!set && !error_) {
      Fail(path, "expected exactly one of " + Choices(keys));
    }
    return set;
  }

  // A required integer field in [min, max].
  int32_t BoundedInt(const Value& parent, std::string_view key, const Path& path, int32_t min,
                     int32_t max) {
    const Value* value = JsonMember(parent, key);
    const std::string range = "a number from " + std::to_string(min) + " to " + std::to_string(max);
    if (value == nullptr) {
      Fail(path.Field(key), "missing (expected " + range + ")");
      return min;
    }
    if (!value->IsInt() || value->GetInt() < min || value->GetInt() > max) {
      Fail(path.Field(key), "expected " + range);
      return min;
    }
    return value->GetInt();
  }

  int32_t PortNumber(const Value& parent, std::string_view key, const Path& path) {
    return BoundedInt(parent, key, path, 1, 65535);
  }

  // {start, end}, start < end: the inclusive range start..end.
  void PortRange(const Value& json, const Path& path, ClusterPolicyPort& port) {
    port.first = PortNumber(json, "start", path);
    port.last = PortNumber(json, "end", path);
    if (!error_ && port.first >= port.last) {
      Fail(path, "start (" + std::to_string(port.first) + ") must be less than end (" +
                     std::to_string(port.last) + ")");
    }
  }

  std::string NonEmptyString(const Value& parent, std::string_view key, const Path& path) {
    std::string text = String(parent, key, path);
    if (!error_ && text.empty()) {
      Fail(path.Field(key), "must not be empty");
    }
    return text;
  }

  // A required label selector field.
  LabelSelector RequiredSelector(const Value& parent, std::string_view key, const Path& path) {
    const Value* value = JsonMember(parent, key);
    if (value == nullptr) {
      Fail(path.Field(key), "missing (an empty selector {} selects everything)");
      return {};
    }
    return Selector(*value, path.Field(key));
  }

  // NamespacedPod: {namespaceSelector, podSelector}. v1alpha2 made namespaceSelector optional.
  NamespacedPodSelector NamespacedPods(const Value& json, const Path& path,
                                       bool namespace_selector_required) {
    NamespacedPodSelector pods;
    if (!ExpectObject(json, path)) {
      return pods;
    }
    if (namespace_selector_required || JsonMember(json, "namespaceSelector") != nullptr) {
      pods.namespace_selector = RequiredSelector(json, "namespaceSelector", path);
    }
    pods.pod_selector = RequiredSelector(json, "podSelector", path);
    return pods;
  }

  // A non-empty list of strings, each checked by `check` (which returns an error message, or
  // nothing when the item is good).
  template <typename CheckFn>
  std::vector<std::string> CheckedStrings(const Value& parent, std::string_view key,
                                          const Path& path, CheckFn check) {
    std::vector<std::string> out = StringList(parent, key, path);
    if (error_) {
      return out;
    }
    if (out.empty()) {
      Fail(path.Field(key), "expected at least one item");
    }
    const Path list_path = path.Field(key);
    for (rapidjson::SizeType i = 0; i < out.size() && !error_; ++i) {
      if (std::optional<std::string> problem = check(out[i])) {
        Fail(list_path.Index(i), std::move(*problem));
      }
    }
    return out;
  }
};

// A DNS name as network-policy-api's DomainName pattern allows: labels of letters, digits, '-'
// and '_' (neither first nor last), at least two of them, an optional "*." in front and an
// optional final dot.
bool ValidDomainName(std::string_view name) {
  if (name.starts_with("*.")) {
    name.remove_prefix(2);
  }
  if (name.ends_with('.')) {
    name.remove_suffix(1);
  }
  const auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  int labels = 0;
  while (true) {
    const std::size_t dot = name.find('.');
    const std::string_view label = name.substr(0, dot);
    if (label.empty() || !alnum(label.front()) || !alnum(label.back()) ||
        !std::all_of(label.begin(), label.end(),
                     [&](char c) { return alnum(c) || c == '-' || c == '_'; })) {
      return false;
    }
    ++labels;
    if (dot == std::string_view::npos) {
      return labels >= 2;
    }
    name.remove_prefix(dot + 1);
  }
}

// The apiVersions and kinds of the cluster-scoped policies whose schema netadmit knows.
// ClusterNetworkPolicy v1beta1 has v1alpha2's schema.
struct ClusterPolicyType {
  std::string_view api_version;
  std::string_view kind;
  ClusterPolicyKind policy_kind;
};

constexpr std::array<ClusterPolicyType, 4> kClusterPolicyTypes = {{
    {"policy.networking.k8s.io/v1alpha1", "AdminNetworkPolicy",
     ClusterPolicyKind::kAdminNetworkPolicy},
    {"policy.networking.k8s.io/v1alpha1", "BaselineAdminNetworkPolicy",
     ClusterPolicyKind::kBaselineAdminNetworkPolicy},
    {"policy.networking.k8s.io/v1alpha2", "ClusterNetworkPolicy",
     ClusterPolicyKind::kClusterNetworkPolicy},
    {"policy.networking.k8s.io/v1beta1", "ClusterNetworkPolicy",
     ClusterPolicyKind::kClusterNetworkPolicy},
}};

// The kinds are cluster-scoped in every version of the group, known or not.
bool IsClusterPolicyKind(std::string_view api_version, std::string_view kind) {
  return api_version.starts_with(std::string(kPolicyApiGroup) + "/") &&
         std::any_of(kClusterPolicyTypes.begin(), kClusterPolicyTypes.end(),
                     [&](const ClusterPolicyType& type) { return type.kind == kind; });
}

constexpr std::array<std::string_view, 2> kSubjectKeys = {"namespaces", "pods"};
// The peers an ingress rule may name (`from`), and those of an egress rule (`to`); the
// BaselineAdminNetworkPolicy has no domainNames. A peer with none of its direction's fields is
// one of a newer API and decodes as kUnknown.
constexpr std::array<std::string_view, 2> kIngressPeerKeys = {"namespaces", "pods"};
constexpr std::array<std::string_view, 5> kEgressPeerKeys = {"namespaces", "pods", "networks",
                                                             "nodes", "domainNames"};
constexpr std::array<std::string_view, 4> kBaselineEgressPeerKeys = {"namespaces", "pods",
                                                                     "networks", "nodes"};
// v1alpha1 `ports` items and v1alpha2 `protocols` items, and a v1alpha2 destinationPort.
constexpr std::array<std::string_view, 3> kPortKeys = {"portNumber", "portRange", "namedPort"};
constexpr std::array<std::string_view, 4> kProtocolKeys = {"tcp", "udp", "sctp",
                                                           "destinationNamedPort"};
constexpr std::array<std::string_view, 2> kDestinationPortKeys = {"number", "range"};

// Decodes the spec of an AdminNetworkPolicy, BaselineAdminNetworkPolicy or ClusterNetworkPolicy,
// checking what the CRDs' schemas check, so that a manifest the API server would refuse fails
// here too, naming the field.
class ClusterPolicyDecoder {
 public:
  ClusterPolicyDecoder(Decoder& decoder, ClusterPolicyKind kind) : d_(decoder), kind_(kind) {}

  ClusterPolicySpec Decode(const Value& object) {
    ClusterPolicySpec spec;
    spec.kind = kind_;
    const Value* json = d_.Object(object, "spec", "");
    if (json == nullptr) {
      d_.Fail(Path("spec"), "missing");
      return spec;
    }
    const Path path("spec");
    switch (kind_) {
      case ClusterPolicyKind::kAdminNetworkPolicy:
        spec.tier = ClusterPolicyTier::kAdmin;
        break;
      case ClusterPolicyKind::kBaselineAdminNetworkPolicy:
        spec.tier = ClusterPolicyTier::kBaseline;
        break;
      case ClusterPolicyKind::kClusterNetworkPolicy:
        spec.tier = Tier(*json, path);
        break;
    }
    // The BaselineAdminNetworkPolicy has no priority: there is only one.
    if (kind_ != ClusterPolicyKind::kBaselineAdminNetworkPolicy) {
      spec.priority = d_.BoundedInt(*json, "priority", path, 0, 1000);
    }
    spec.subject = Subject(*json, path);
    spec.ingress = Rules(*json, path, "ingress", "from", kIngressPeerKeys);
    spec.egress = Rules(*json, path, "egress", "to",
                        kind_ == ClusterPolicyKind::kBaselineAdminNetworkPolicy
                            ? std::span<const std::string_view>(kBaselineEgressPeerKeys)
                            : std::span<const std::string_view>(kEgressPeerKeys));
    return spec;
  }

 private:
  bool V1alpha1() const { return kind_ != ClusterPolicyKind::kClusterNetworkPolicy; }

  ClusterPolicyTier Tier(const Value& spec, const Path& path) {
    if (JsonMember(spec, "tier") == nullptr) {
      d_.Fail(path.Field("tier"), "missing (expected Admin or Baseline)");
      return ClusterPolicyTier::kAdmin;
    }
    const std::string tier = d_.String(spec, "tier", path);
    if (tier == "Baseline") {
      return ClusterPolicyTier::kBaseline;
    }
    if (tier != "Admin" && !d_.error_) {
      d_.Fail(path.Field("tier"), "unknown tier \"" + tier + "\" (expected Admin or Baseline)");
    }
    return ClusterPolicyTier::kAdmin;
  }

  ClusterPolicySubject Subject(const Value& spec, const Path& spec_path) {
    ClusterPolicySubject subject;
    const Value* json = d_.Object(spec, "subject", spec_path);
    const Path path = spec_path.Field("subject");
    if (json == nullptr) {
      if (!d_.error_) {
        d_.Fail(path, "missing (expected namespaces or pods)");
      }
      return subject;
    }
    const std::optional<std::size_t> set = d_.ExactlyOneOf(*json, kSubjectKeys, path);
    if (!set) {
      return subject;
    }
    if (*set == 0) {
      subject.namespaces = d_.Selector(*JsonMember(*json, "namespaces"), path.Field("namespaces"));
    } else {
      subject.pods = d_.NamespacedPods(*JsonMember(*json, "pods"), path.Field("pods"), V1alpha1());
    }
    return subject;
  }

  std::vector<ClusterPolicyRule> Rules(const Value& spec, const Path& spec_path,
                                       std::string_view key, std::string_view peers_key,
                                       std::span<const std::string_view> peer_keys) {
    return d_.List<ClusterPolicyRule>(
        spec, key, spec_path, [&](const Value& item, const Path& path) {
          ClusterPolicyRule rule;
          if (!d_.ExpectObject(item, path)) {
            return rule;
          }
          rule.name = d_.String(item, "name", path);
          rule.action = Action(item, path);
          if (JsonMember(item, peers_key) == nullptr && !d_.error_) {
            d_.Fail(path.Field(peers_key), "missing (a rule needs at least one peer)");
          }
          rule.peers = d_.List<ClusterPolicyPeer>(
              item, peers_key, path,
              [&](const Value& v, const Path& p) { return Peer(v, p, peer_keys); });
          if (rule.peers.empty() && !d_.error_) {
            d_.Fail(path.Field(peers_key), "expected at least one peer");
          }
          rule.ports = Ports(item, path);
          return rule;
        });
  }

  ClusterRuleAction Action(const Value& rule, const Path& path) {
    static constexpr std::array<std::string_view, 3> kAdmin = {"Allow", "Deny", "Pass"};
    static constexpr std::array<std::string_view, 2> kBaseline = {"Allow", "Deny"};
    static constexpr std::array<std::string_view, 3> kCluster = {"Accept", "Deny", "Pass"};
    std::span<const std::string_view> names = kCluster;
    if (kind_ == ClusterPolicyKind::kAdminNetworkPolicy) {
      names = kAdmin;
    } else if (kind_ == ClusterPolicyKind::kBaselineAdminNetworkPolicy) {
      names = kBaseline;
    }
    if (JsonMember(rule, "action") == nullptr) {
      d_.Fail(path.Field("action"), "missing (expected " + Choices(names) + ")");
      return ClusterRuleAction::kDeny;
    }
    const std::string action = d_.String(rule, "action", path);
    if (d_.error_) {
      return ClusterRuleAction::kDeny;
    }
    const auto found = std::find(names.begin(), names.end(), action);
    if (found == names.end()) {
      d_.Fail(path.Field("action"),
              "unknown action \"" + action + "\" (expected " + Choices(names) + ")");
      return ClusterRuleAction::kDeny;
    }
    if (*found == "Deny") {
      return ClusterRuleAction::kDeny;
    }
    return *found == "Pass" ? ClusterRuleAction::kPass : ClusterRuleAction::kAllow;
  }

  ClusterPolicyPeer Peer(const Value& json, const Path& path,
                         std::span<const std::string_view> keys) {
    ClusterPolicyPeer peer;
    if (!d_.ExpectObject(json, path)) {
      return peer;
    }
    const std::optional<std::size_t> set = d_.OneOf(json, keys, path);
    if (!set) {
      return peer;  // kUnknown: the engine fails closed on it
    }
    const std::string_view key = keys[*set];
    const Value& value = *JsonMember(json, key);
    const Path field = path.Field(key);
    if (key == "namespaces") {
      peer.kind = ClusterPeerKind::kNamespaces;
      peer.namespace_selector = d_.Selector(value, field);
    } else if (key == "pods") {
      peer.kind = ClusterPeerKind::kPods;
      NamespacedPodSelector pods = d_.NamespacedPods(value, field, V1alpha1());
      peer.namespace_selector = std::move(pods.namespace_selector);
      peer.pod_selector = std::move(pods.pod_selector);
    } else if (key == "networks") {
      peer.kind = ClusterPeerKind::kNetworks;
      peer.networks = d_.CheckedStrings(json, key, path, [](const std::string& text) {
        auto cidr = Cidr::Parse(text);
        return cidr ? std::nullopt : std::optional<std::string>(cidr.error().message);
      });
    } else if (key == "nodes") {
      peer.kind = ClusterPeerKind::kNodes;
      peer.node_selector = d_.Selector(value, field);
    } else {
      peer.kind = ClusterPeerKind::kDomainNames;
      peer.domain_names = d_.CheckedStrings(json, key, path, [](const std::string& name) {
        return ValidDomainName(name)
                   ? std::nullopt
                   : std::optional<std::string>("\"" + name + "\" is not a domain name");
      });
    }
    return peer;
  }

  // `ports` (v1alpha1) or `protocols` (v1alpha2 and later): nullopt when absent.
  std::optional<std::vector<ClusterPolicyPort>> Ports(const Value& rule, const Path& path) {
    const std::string_view key = V1alpha1() ? "ports" : "protocols";
    const std::string_view other = V1alpha1() ? "protocols" : "ports";
    // The other version's field would be dropped silently, and the rule match every port.
    if (JsonMember(rule, other) != nullptr) {
      d_.Fail(path.Field(other), std::string("not a field of ") + ClusterPolicyKindName(kind_) +
                                     " (its ports are in `" + std::string(key) + "`)");
      return std::nullopt;
    }
    if (JsonMember(rule, key) == nullptr) {
      return std::nullopt;
    }
    auto ports = d_.List<ClusterPolicyPort>(rule, key, path, [&](const Value& v, const Path& p) {
      return V1alpha1() ? Port(v, p) : ProtocolPort(v, p);
    });
    if (ports.empty() && !d_.error_) {
      d_.Fail(path.Field(key), "expected at least one item (leave the field out for every port)");
    }
    return ports;
  }

  // v1alpha1: {portNumber: {protocol, port}} | {portRange: {protocol, start, end}} | {namedPort}.
  ClusterPolicyPort Port(const Value& json, const Path& path) {
    ClusterPolicyPort port;
    const std::optional<std::size_t> set = d_.ExactlyOneOf(json, kPortKeys, path);
    if (!set) {
      return port;
    }
    const std::string_view key = kPortKeys[*set];
    const Path field = path.Field(key);
    if (key == "namedPort") {
      port.named_port = d_.NonEmptyString(json, key, path);
      return port;
    }
    const Value& value = *JsonMember(json, key);
    if (!d_.ExpectObject(value, field)) {
      return port;
    }
    port.protocol = d_.ProtocolOf(value, field);
    if (key == "portNumber") {
      port.first = port.last = d_.PortNumber(value, "port", field);
    } else {
      d_.PortRange(value, field, port);
    }
    return port;
  }

  // v1alpha2: {tcp|udp|sctp: {destinationPort: {number} | {range: {start, end}}}} or
  // {destinationNamedPort}. A protocol without destinationPort is every port of it.
  ClusterPolicyPort ProtocolPort(const Value& json, const Path& path) {
    static constexpr std::array<Protocol, 3> kProtocols = {Protocol::kTCP, Protocol::kUDP,
                                                           Protocol::kSCTP};
    ClusterPolicyPort port;
    const std::optional<std::size_t> set = d_.ExactlyOneOf(json, kProtocolKeys, path);
    if (!set) {
      return port;
    }
    const std::string_view key = kProtocolKeys[*set];
    if (key == "destinationNamedPort") {
      port.named_port = d_.NonEmptyString(json, key, path);
      return port;
    }
    port.protocol = kProtocols[*set];
    port.first = 1;
    port.last = 65535;
    const Path field = path.Field(key);
    const Value* protocol = d_.Object(json, key, path);
    const Value* destination =
        protocol != nullptr ? d_.Object(*protocol, "destinationPort", field) : nullptr;
    if (destination == nullptr) {
      return port;
    }
    const Path destination_path = field.Field("destinationPort");
    const std::optional<std::size_t> which =
        d_.ExactlyOneOf(*destination, kDestinationPortKeys, destination_path);
    if (!which) {
      return port;
    }
    if (*which == 0) {
      port.first = port.last = d_.PortNumber(*destination, "number", destination_path);
    } else if (const Value* range = d_.Object(*destination, "range", destination_path)) {
      d_.PortRange(*range, destination_path.Field("range"), port);
    }
    return port;
  }

  Decoder& d_;
  ClusterPolicyKind kind_;
};

struct TemplateLocation {
  std::string_view api_version;
  std::string_view kind;
  std::string_view path;  // where the pod template sits; "" for a Pod
};

constexpr std::array<TemplateLocation, 8> kPodTemplateKinds = {{
    {"v1", "Pod", ""},
    {"v1", "ReplicationController", "spec.template"},
    {"apps/v1", "Deployment", "spec.template"},
    {"apps/v1", "ReplicaSet", "spec.template"},
    {"apps/v1", "StatefulSet", "spec.template"},
    {"apps/v1", "DaemonSet", "spec.template"},
    {"batch/v1", "Job", "spec.template"},
    {"batch/v1", "CronJob", "spec.jobTemplate.spec.template"},
}};

}  // namespace

const Value* JsonMember(const Value& object, std::string_view key) {
  if (!object.IsObject()) {
    return nullptr;
  }
  auto found = object.FindMember(Value(rapidjson::StringRef(key.data(), key.size())));
  if (found == object.MemberEnd() || found->value.IsNull()) {
    return nullptr;
  }
  return &found->value;
}

namespace {

// DecodeObject's work, the type given: the object's own apiVersion and kind, or those a LIST
// names for its items (which carry none).
Result<Object> DecodeTyped(const rapidjson::Value& json, std::optional<TypeMeta> type,
                           std::string_view default_namespace) {
  if (!json.IsObject()) {
    return Error{"", 0, 0, "", "expected an object"};
  }
  Decoder decoder;
  Object object;
  if (type) {
    object.api_version = type->api_version;
    object.kind = type->kind;
  } else {
    object.api_version = decoder.String(json, "apiVersion", "");
    object.kind = decoder.String(json, "kind", "");
  }
  if (const Value* metadata = decoder.Object(json, "metadata", "")) {
    object.metadata.name = decoder.String(*metadata, "name", "metadata");
    if (object.metadata.name.empty()) {
      // generateName objects have no name until the API server assigns one.
      object.metadata.name = decoder.String(*metadata, "generateName", "metadata");
    }
    object.metadata.namespace_name = decoder.String(*metadata, "namespace", "metadata");
    object.metadata.labels = decoder.StringMap(*metadata, "labels", "metadata");
    if (auto found = metadata->FindMember("deletionTimestamp"); found != metadata->MemberEnd()) {
      object.metadata.deleting = !found->value.IsNull();
    }
    if (object.kind == "NetworkPolicy") {
      const Value* annotations = JsonMember(*metadata, "annotations");
      const Value* applied =
          annotations != nullptr ? JsonMember(*annotations, kLastAppliedAnnotation) : nullptr;
      if (applied != nullptr && applied->IsString()) {
        object.metadata.last_applied_configuration.assign(applied->GetString(),
                                                          applied->GetStringLength());
      }
    }
  }
  if (IsClusterPolicyKind(object.api_version, object.kind)) {
    // Cluster-scoped: kubectl drops a namespace written on one, and none is given.
    object.metadata.namespace_name.clear();
  } else if (object.metadata.namespace_name.empty()) {
    object.metadata.namespace_name = std::string(default_namespace);
  }
  const auto cluster_policy = std::find_if(
      kClusterPolicyTypes.begin(), kClusterPolicyTypes.end(), [&](const ClusterPolicyType& known) {
        return object.api_version == known.api_version && object.kind == known.kind;
      });
  if (object.api_version == "networking.k8s.io/v1" && object.kind == "NetworkPolicy") {
    object.content = decoder.PolicySpec(json);
  } else if (cluster_policy != kClusterPolicyTypes.end()) {
    object.content = ClusterPolicyDecoder(decoder, cluster_policy->policy_kind).Decode(json);
  } else {
    for (const auto& location : kPodTemplateKinds) {
      if (object.api_version == location.api_version && object.kind == location.kind) {
        object.content = decoder.Template(json, location.path);
        break;
      }
    }
  }
  if (decoder.error_) {
    return *decoder.error_;
  }
  return object;
}

}  // namespace

Result<Object> DecodeObject(const rapidjson::Value& json, std::string_view default_namespace) {
  return DecodeTyped(json, std::nullopt, default_namespace);
}

Result<Object> DecodeObjectOfType(const rapidjson::Value& json, const TypeMeta& type,
                                  std::string_view default_namespace) {
  return DecodeTyped(json, type, default_namespace);
}

std::optional<Object> DecodeLastApplied(const Object& object) {
  const std::string& text = object.metadata.last_applied_configuration;
  if (text.empty()) {
    return std::nullopt;
  }
  rapidjson::Document json;
  json.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
  if (json.HasParseError()) {
    return std::nullopt;
  }
  Result<Object> applied = DecodeObject(json, object.metadata.namespace_name);
  if (!applied || applied->api_version != object.api_version || applied->kind != object.kind ||
      applied->metadata.name != object.metadata.name ||
      applied->metadata.namespace_name != object.metadata.namespace_name) {
    return std::nullopt;
  }
  return std::move(applied).value();
}

Result<LabelSelector> DecodeLabelSelector(const rapidjson::Value& json, std::string_view path) {
  Decoder decoder;
  LabelSelector selector = decoder.Selector(json, path);
  if (decoder.error_) {
    return *decoder.error_;
  }
  return selector;
}

}  // namespace netadmit
