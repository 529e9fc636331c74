// `netadmit check`: reads manifests, decodes each object as the webhook would, evaluates it as
// if it were being created, and renders the findings as text for people or JSON for tools.

#include "netadmit/check.h"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <algorithm>
#include <string_view>
#include <utility>
#include <variant>

#include "netadmit/decode.h"

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

void WriteString(JsonWriter& writer, std::string_view text) {
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

void WriteMember(JsonWriter& writer, std::string_view key, std::string_view value) {
  WriteString(writer, key);
  WriteString(writer, value);
}

void WriteCount(JsonWriter& writer, std::string_view key, int value) {
  WriteString(writer, key);
  writer.Int(value);
}

}  // namespace

bool CheckReport::Denied() const {
  return std::any_of(objects.begin(), objects.end(),
                     [](const ObjectReport& object) { return object.evaluation.Denied(); });
}

Result<CheckReport> RunCheck(const RuleSet& rules, const CheckOptions& options) {
  CheckReport report;
  for (const std::string& input : options.inputs) {
    Result<std::vector<ManifestObject>> manifests = ReadManifests(input);
    if (!manifests) {
      return manifests.error();
    }
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
      if (entry.inspected) {
        // Offline, every object is judged as if `kubectl apply` were creating it.
        entry.evaluation = Evaluate(rules, *object, CheckContext{Operation::kCreate});
      }
      entry.api_version = object->api_version;
      entry.kind = object->kind;
      entry.namespace_name = object->metadata.namespace_name;
      entry.name = object->metadata.name;
      report.objects.push_back(std::move(entry));
    }
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
  WriteString(writer, "objects");
  writer.StartArray();
  for (const ObjectReport& object : report.objects) {
    writer.StartObject();
    WriteMember(writer, "file", object.file);
    WriteCount(writer, "line", object.line);
    WriteString(writer, "object");
    writer.StartObject();
    WriteMember(writer, "apiVersion", object.api_version);
    WriteMember(writer, "kind", object.kind);
    WriteMember(writer, "namespace", object.namespace_name);
    WriteMember(writer, "name", object.name);
    writer.EndObject();
    WriteMember(writer, "decision", JsonDecision(DecisionOf(object)));
    WriteString(writer, "violations");
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
  WriteString(writer, "summary");
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
