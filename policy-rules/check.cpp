// `netadmit check`: reads manifests, decodes each object as the webhook would, evaluates it as
// if it were being created, and renders the findings as text for people or JSON for tools.
// The stateful rules see a cluster made of the --cluster-state objects and the manifests.

#include "netadmit/check.h"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <variant>

#include "netadmit/cluster.h"
#include "netadmit/decode.h"
#include "netadmit/json.h"

namespace netadmit {

namespace {

// The worst outcome of one object. Each object counts once in the summary, under its worst.
enum class Decision { kSkipped, kAllowed, kAudited, kWarned, kDenied };

Decision DecisionOf(const ObjectReport& object) {
  if (!object.inspected) {
    return Decision::kSkipped;
  }
  Decision decision = Decision::kAllowed;
  for (const Finding& finding : object.evaluation.findings) {
    switch (finding.action) {
      case Action::kDeny:
        return Decision::kDenied;
      case Action::kWarn:
        decision = Decision::kWarned;
        break;
      case Action::kAudit:
        decision = std::max(decision, Decision::kAudited);
        break;
    }
  }
  return decision;
}

struct Summary {
  int objects = 0;
  int denied = 0;
  int warned = 0;
  int skipped = 0;
};

Summary Summarize(const CheckReport& report) {
  Summary summary;
  for (const ObjectReport& object : report.objects) {
    ++summary.objects;
    switch (DecisionOf(object)) {
      case Decision::kDenied:
        ++summary.denied;
        break;
      case Decision::kWarned:
        ++summary.warned;
        break;
      case Decision::kSkipped:
        ++summary.skipped;
        break;
      case Decision::kAllowed:
      case Decision::kAudited:
        break;
    }
  }
  return summary;
}

const char* HeaderWord(Decision decision) {
  switch (decision) {
    case Decision::kDenied:
      return "denied";
    case Decision::kWarned:
      return "warned";
    case Decision::kAudited:
      return "audited";
    case Decision::kAllowed:
      return "allowed";
    case Decision::kSkipped:
      return "skipped";
  }
  return "skipped";
}

// The JSON decision: whether `kubectl apply` would have gone through.
const char* JsonDecision(Decision decision) {
  switch (decision) {
    case Decision::kDenied:
      return "denied";
    case Decision::kSkipped:
      return "skipped";
    case Decision::kAllowed:
    case Decision::kAudited:
    case Decision::kWarned:
      return "allowed";
  }
  return "allowed";
}

using JsonWriter = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

void WriteMember(JsonWriter& writer, std::string_view key, std::string_view value) {
  WriteJsonString(writer, key);
  WriteJsonString(writer, value);
}

void WriteCount(JsonWriter& writer, std::string_view key, int value) {
  WriteJsonString(writer, key);
  writer.Int(value);
}

// The kind the cluster view caches for a manifest object, if it caches that kind at all.
std::optional<ClusterKind> CachedKindOf(const rapidjson::Value& object) {
  const auto api_version = object.FindMember("apiVersion");
  const auto kind = object.FindMember("kind");
  if (api_version == object.MemberEnd() || kind == object.MemberEnd() ||
      !api_version->value.IsString() || !kind->value.IsString()) {
    return std::nullopt;
  }
  const std::string_view group_version = api_version->value.GetString();
  const std::string_view name = kind->value.GetString();
  if (group_version == "v1" && name == "Namespace") {
    return ClusterKind::kNamespace;
  }
  if (group_version == "networking.k8s.io/v1" && name == "NetworkPolicy") {
    return ClusterKind::kNetworkPolicy;
  }
  if (group_version == "v1" && name == "Pod") {
    return ClusterKind::kPod;
  }
  if (group_version == "v1" && name == "ConfigMap") {
    return ClusterKind::kConfigMap;
  }
  return std::nullopt;
}

// Decodes a manifest object as the cluster view holds it. Namespaced objects written without a
// namespace land in the default one, as `kubectl apply` puts them.
Result<std::optional<ClusterObject>> ToClusterObject(const ManifestObject& manifest,
                                                     const std::string& default_namespace) {
  const auto kind = CachedKindOf(*manifest.object);
  if (!kind) {
    return std::optional<ClusterObject>();
  }
  const rapidjson::Value* json = manifest.object;
  rapidjson::Document copy;
  const auto metadata = json->FindMember("metadata");
  const bool has_metadata = metadata != json->MemberEnd() && metadata->value.IsObject();
  if (*kind != ClusterKind::kNamespace && has_metadata && !metadata->value.HasMember("namespace")) {
    copy.CopyFrom(*json, copy.GetAllocator());
    copy["metadata"].AddMember("namespace",
                               rapidjson::Value(default_namespace.c_str(), copy.GetAllocator()),
                               copy.GetAllocator());
    json = &copy;
  }
  auto decoded = DecodeClusterObject(*kind, *json);
  if (!decoded) {
    Error error = decoded.error();
    error.file = manifest.file;
    error.line = manifest.line;
    error.column = 0;
    return error;
  }
  return std::optional<ClusterObject>(*std::move(decoded));
}

// The cluster the stateful rules see: the --cluster-state objects, then the manifests on top
// (a manifest replaces the object of the same kind, namespace and name).
Result<std::unique_ptr<ClusterCache>> BuildCluster(const std::vector<ManifestObject>& state,
                                                   const std::vector<ManifestObject>& manifests,
                                                   const std::string& default_namespace) {
  std::map<ClusterKind, std::vector<ClusterObject>> by_kind;
  for (const auto* objects : {&state, &manifests}) {
    for (const ManifestObject& manifest : *objects) {
      auto object = ToClusterObject(manifest, default_namespace);
      if (!object) {
        return object.error();
      }
      if (*object) {
        by_kind[(*object)->kind].push_back(std::move(**object));
      }
    }
  }
  auto cache = std::make_unique<ClusterCache>();
  for (const ClusterKind kind : kClusterKinds) {
    cache->Replace(kind, std::move(by_kind[kind]));
  }
  return cache;
}

Result<std::vector<ManifestObject>> ReadAll(const std::vector<std::string>& inputs) {
  std::vector<ManifestObject> all;
  for (const std::string& input : inputs) {
    auto manifests = ReadManifests(input);
    if (!manifests) {
      return manifests.error();
    }
    all.insert(all.end(), std::make_move_iterator(manifests->begin()),
               std::make_move_iterator(manifests->end()));
  }
  return all;
}

}  // namespace

bool CheckReport::Denied() const {
  return std::any_of(objects.begin(), objects.end(),
                     [](const ObjectReport& object) { return object.evaluation.Denied(); });
}

Result<CheckReport> RunCheck(const RuleSet& rules, const CheckOptions& options) {
  auto manifests = ReadAll(options.inputs);
  if (!manifests) {
    return manifests.error();
  }
  auto state = ReadAll(options.cluster_state);
  if (!state) {
    return state.error();
  }
  CheckReport report;
  std::vector<Object> objects;
  for (const ManifestObject& manifest : *manifests) {
    Result<Object> object = DecodeObject(*manifest.object, options.default_namespace);
    if (!object) {
      // The decoder knows the field; the manifest knows where the object starts.
      Error error = object.error();
      error.file = manifest.file;
      error.line = manifest.line;
      error.column = 0;
      return error;
    }
    ObjectReport entry;
    entry.file = manifest.file;
    entry.line = manifest.line;
    entry.description = object->Describe();
    entry.inspected = !std::holds_alternative<std::monostate>(object->content);
    entry.api_version = object->api_version;
    entry.kind = object->kind;
    entry.namespace_name = object->metadata.namespace_name;
    entry.name = object->metadata.name;
    report.objects.push_back(std::move(entry));
    objects.push_back(*std::move(object));
  }
  auto cluster = BuildCluster(*state, *manifests, options.default_namespace);
  if (!cluster) {
    return cluster.error();
  }
  for (std::size_t i = 0; i < objects.size(); ++i) {
    ObjectReport& entry = report.objects[i];
    if (!entry.inspected) {
      continue;
    }
    // Offline, every object is judged as if `kubectl apply` were creating it.
    CheckContext context;
    context.operation = Operation::kCreate;
    context.cluster = cluster->get();
    entry.evaluation = Evaluate(rules, objects[i], context);
  }
  return report;
}

int ExitCode(const CheckReport& report) { return report.Denied() ? 1 : 0; }

std::string RenderText(const CheckReport& report) {
  std::string out;
  for (const ObjectReport& object : report.objects) {
    if (object.evaluation.findings.empty()) {
      continue;
    }
    out += object.file + ':' + std::to_string(object.line) + ": " + object.description + ": " +
           HeaderWord(DecisionOf(object)) + '\n';
    for (const Finding& finding : object.evaluation.findings) {
      // Actions padded to one width ("audit" is the longest) so the messages line up.
      std::string action = ActionName(finding.action);
      action.resize(std::max<std::size_t>(action.size(), 5), ' ');
      out += "  " + action + ' ' + finding.Message() + '\n';
    }
  }
  if (!out.empty()) {
    out += '\n';
  }
  const Summary summary = Summarize(report);
  out += std::to_string(summary.objects) + (summary.objects == 1 ? " object" : " objects") +
         " checked: " + std::to_string(summary.denied) + " denied, " +
         std::to_string(summary.warned) + " with warnings, " + std::to_string(summary.skipped) +
         " skipped\n";
  return out;
}

std::string RenderJson(const CheckReport& report) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.SetIndent(' ', 2);
  writer.StartObject();
  WriteJsonString(writer, "objects");
  writer.StartArray();
  for (const ObjectReport& object : report.objects) {
    writer.StartObject();
    WriteMember(writer, "file", object.file);
    WriteCount(writer, "line", object.line);
    WriteJsonString(writer, "object");
    writer.StartObject();
    WriteMember(writer, "apiVersion", object.api_version);
    WriteMember(writer, "kind", object.kind);
    WriteMember(writer, "namespace", object.namespace_name);
    WriteMember(writer, "name", object.name);
    writer.EndObject();
    WriteMember(writer, "decision", JsonDecision(DecisionOf(object)));
    WriteJsonString(writer, "violations");
    writer.StartArray();
    for (const Finding& finding : object.evaluation.findings) {
      writer.StartObject();
      WriteMember(writer, "rule", finding.rule_id);
      WriteMember(writer, "action", ActionName(finding.action));
      WriteMember(writer, "path", finding.violation.path);
      WriteMember(writer, "message", finding.Message());
      writer.EndObject();
    }
    writer.EndArray();
    writer.EndObject();
  }
  writer.EndArray();
  WriteJsonString(writer, "summary");
  writer.StartObject();
  const Summary summary = Summarize(report);
  WriteCount(writer, "objects", summary.objects);
  WriteCount(writer, "denied", summary.denied);
  WriteCount(writer, "warned", summary.warned);
  WriteCount(writer, "skipped", summary.skipped);
  writer.EndObject();
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize()) + '\n';
}

}  // namespace netadmit
