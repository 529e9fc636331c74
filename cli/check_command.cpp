#include "cli/check_command.h"

#include <algorithm>
#include <string_view>

#include "cli/json_output.h"
#include "files/inputs.h"

namespace netadmit::cli {

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

}  // namespace

Result<std::shared_ptr<const RuleSet>> LoadRules(const std::string& path) {
  if (path.empty()) {
    const RuleSource source = DefaultRuleSource();
    return LoadRuleSet(std::span<const RuleSource>(&source, 1));
  }
  auto sources = ReadRuleSources(path);
  if (!sources) {
    return sources.error();
  }
  return LoadRuleSet(*sources);
}

Result<CheckReport> CheckFiles(const RuleSet& rules, const CheckInputs& inputs) {
  CheckOptions options;
  options.default_namespace = inputs.default_namespace;
  for (auto [paths, objects] : {std::pair{&inputs.manifests, &options.manifests},
                                std::pair{&inputs.cluster_state, &options.cluster_state}}) {
    auto read = ReadAllManifests(*paths);
    if (!read) {
      return read.error();
    }
    *objects = std::move(read.value());
  }
  return RunCheck(rules, options);
}

int ExitCode(const CheckReport& report) { return report.Denied() ? 1 : 0; }

std::string RenderCheckText(const CheckReport& report) {
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

std::string RenderCheckJson(const CheckReport& report) {
  JsonOutput output;
  JsonWriter& writer = output.writer;
  writer.StartObject();
  WriteJsonString(writer, "objects");
  writer.StartArray();
  for (const ObjectReport& object : report.objects) {
    writer.StartObject();
    WriteMember(writer, "file", object.file);
    WriteMember(writer, "line", object.line);
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
  WriteMember(writer, "objects", summary.objects);
  WriteMember(writer, "denied", summary.denied);
  WriteMember(writer, "warned", summary.warned);
  WriteMember(writer, "skipped", summary.skipped);
  writer.EndObject();
  writer.EndObject();
  return output.Text();
}

}  // namespace netadmit::cli
