#include "cli/check_command.h"

#include <algorithm>
#include <string_view>

#include "cli/json_output.h"
#include "files/inputs.h"

namespace netadmit::cli {

namespace {

// The worst outcome of one object. Each object counts once in the summary, under its worst.
// kExempted: every finding is covered by an exception.
enum class Decision { kSkipped, kAllowed, kExempted, kAudited, kWarned, kDenied };

Decision DecisionOf(const ObjectReport& object) {
  if (!object.inspected) {
    return Decision::kSkipped;
  }
  Decision decision = Decision::kAllowed;
  for (const Finding& finding : object.evaluation.findings) {
    if (finding.exemption) {
      decision = std::max(decision, Decision::kExempted);
      continue;
    }
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
  int exempt_findings = 0;  // findings an exception covers
};

Summary Summarize(const CheckReport& report) {
  Summary summary;
  for (const ObjectReport& object : report.objects) {
    ++summary.objects;
    summary.exempt_findings += static_cast<int>(object.evaluation.Exempted().size());
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
      case Decision::kExempted:
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
    case Decision::kExempted:
      return "exempted";
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
    case Decision::kExempted:
    case Decision::kAudited:
    case Decision::kWarned:
      return "allowed";
  }
  return "allowed";
}

}  // namespace

Result<std::shared_ptr<const RuleSet>> LoadRulesFrom(const std::string& path,
                                                     const LoadLimits& limits) {
  std::vector<RuleSource> sources;
  if (path.empty()) {
    sources.push_back(DefaultRuleSource());
  } else {
    auto read = ReadRuleSources(path);
    if (!read) {
      return read.error();
    }
    sources = std::move(read.value());
  }
  return LoadRuleSet(sources, limits);
}

Result<CheckReport> CheckFiles(const RuleSet& rules, const CheckInputs& inputs) {
  CheckOptions options;
  options.default_namespace = inputs.default_namespace;
  options.use_exceptions = inputs.use_exceptions;
  options.now = inputs.now;
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
  const Summary summary = Summarize(report);
  // Actions padded to one width ("audit" is the longest, "exempt" when a finding is) so the
  // messages line up.
  const std::size_t width = summary.exempt_findings > 0 ? 6 : 5;
  std::string out;
  for (const ObjectReport& object : report.objects) {
    if (object.evaluation.findings.empty()) {
      continue;
    }
    out += object.file + ':' + std::to_string(object.line) + ": " + object.description + ": " +
           HeaderWord(DecisionOf(object)) + '\n';
    for (const Finding& finding : object.evaluation.findings) {
      std::string action = finding.exemption ? "exempt" : ActionName(finding.action);
      action.resize(std::max(action.size(), width), ' ');
      out += "  " + action + ' ' + finding.Message();
      if (finding.exemption) {
        out +=
            " (exception " + finding.exemption->exception + ", " + finding.exemption->owner + ")";
      }
      out += '\n';
    }
  }
  if (!out.empty()) {
    out += '\n';
  }
  out += std::to_string(summary.objects) + (summary.objects == 1 ? " object" : " objects") +
         " checked: " + std::to_string(summary.denied) + " denied, " +
         std::to_string(summary.warned) + " with warnings, " + std::to_string(summary.skipped) +
         " skipped";
  if (summary.exempt_findings > 0) {
    out += "; " + std::to_string(summary.exempt_findings) +
           (summary.exempt_findings == 1 ? " finding" : " findings") + " exempt by exceptions";
  }
  out += '\n';
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
      if (finding.exemption) {
        WriteMember(writer, "exception", finding.exemption->exception);
      }
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
  WriteMember(writer, "exempted", summary.exempt_findings);
  writer.EndObject();
  writer.EndObject();
  return output.Text();
}

}  // namespace netadmit::cli
