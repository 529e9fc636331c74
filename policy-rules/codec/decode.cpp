// Decodes the fields rules need from Kubernetes objects in JSON. Every access checks the JSON
// type first (RapidJSON asserts on a wrong-type access), and the first problem is returned as an
// Error naming the field path, e.g. spec.egress[1].ports[0].port.

#include "netadmit/codec/decode.h"

#include <array>
#include <optional>
#include <string>

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
  if (object.metadata.namespace_name.empty()) {
    object.metadata.namespace_name = std::string(default_namespace);
  }
  if (object.api_version == "networking.k8s.io/v1" && object.kind == "NetworkPolicy") {
    object.content = decoder.PolicySpec(json);
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
