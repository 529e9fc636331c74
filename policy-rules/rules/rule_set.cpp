// Loads RuleSet documents. The format is strict on purpose: an unknown field is far more often
// a typo that silently disables a rule than a feature from a newer version.

#include "netadmit/rules/rule_set.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "codec/yaml_documents.h"
#include "netadmit/rules/params.h"
#include "rules/document_reader.h"
#include "rules/exception_reader.h"

namespace netadmit {

namespace {

constexpr std::string_view kApiVersion = "netadmit.io/v1alpha1";
constexpr std::string_view kKind = "RuleSet";
constexpr std::string_view kExceptionsKind = "RuleExceptions";

struct RuleLocation {
  std::string file;
  int line = 0;
};

// Everything read so far across all documents.
struct Accumulator {
  std::vector<CompiledRule> rules;
  std::vector<NamespacePattern> excluded;
  std::vector<std::string> names;
  std::map<std::string, RuleLocation, std::less<>> rule_ids;
  std::vector<ReadException> exceptions;
};

void ReadRule(DocumentReader& reader, const YAML::Node& node, const std::string& path,
              const RuleCatalog& catalog, Accumulator& out) {
  if (!reader.Map(node, path, {"id", "kind", "action", "description", "match", "params"})) {
    return;
  }
  CompiledRule rule;
  rule.source = reader.file();
  rule.rule_set = out.names.empty() ? std::string() : out.names.back();
  rule.id = reader.String(node, "id", path, true);
  const std::string kind = reader.String(node, "kind", path, true);
  const std::string action = reader.String(node, "action", path, true);
  rule.description = reader.String(node, "description", path, false);
  if (reader.error_) {
    return;
  }
  if (!ValidId(rule.id)) {
    reader.Fail(node["id"], Field(path, "id"),
                "rule id \"" + rule.id +
                    "\" must be 1-63 lowercase letters, digits, '-' or '.', starting and ending "
                    "with a letter or digit");
    return;
  }
  const int line = node.Mark().line + 1;
  if (auto [previous, inserted] = out.rule_ids.emplace(rule.id, RuleLocation{reader.file(), line});
      !inserted) {
    reader.Fail(node["id"], Field(path, "id"),
                "duplicate rule id \"" + rule.id + "\" (first defined at " + previous->second.file +
                    ":" + std::to_string(previous->second.line) + ")");
    return;
  }
  rule.kind = catalog.Find(kind);
  if (rule.kind == nullptr) {
    std::string names;
    for (const auto& known : catalog.kinds()) {
      names += names.empty() ? "" : ", ";
      names += known.name;
    }
    reader.Fail(node["kind"], Field(path, "kind"),
                "unknown rule kind \"" + kind + "\" (known: " + names + ")");
    return;
  }
  if (action == "deny") {
    rule.action = Action::kDeny;
  } else if (action == "warn") {
    rule.action = Action::kWarn;
  } else if (action == "audit") {
    rule.action = Action::kAudit;
  } else {
    reader.Fail(node["action"], Field(path, "action"),
                "unknown action \"" + action + "\" (expected deny, warn or audit)");
    return;
  }
  if (const YAML::Node match = node["match"]; match.IsDefined() && !match.IsNull()) {
    const std::string match_path = Field(path, "match");
    if (!reader.Map(match, match_path, {"namespaces", "excludeNamespaces", "namespaceSelector"})) {
      return;
    }
    rule.match.namespaces = reader.Namespaces(match, "namespaces", match_path);
    rule.match.exclude_namespaces = reader.Namespaces(match, "excludeNamespaces", match_path);
    if (const YAML::Node selector = match["namespaceSelector"];
        selector.IsDefined() && !selector.IsNull()) {
      auto parsed =
          ParseLabelSelector(selector, reader.file(), Field(match_path, "namespaceSelector"));
      if (!parsed) {
        if (!reader.error_) {
          reader.error_ = parsed.error();
        }
        return;
      }
      rule.match.namespace_selector = *std::move(parsed);
    }
  }
  ParamReader params(node["params"], reader.file(), Field(path, "params"));
  auto compiled = rule.kind->compile(params);
  if (!compiled) {
    if (!reader.error_) {
      reader.error_ = compiled.error();
    }
    return;
  }
  if (auto unread = params.Finish()) {
    if (!reader.error_) {
      reader.error_ = std::move(*unread);
    }
    return;
  }
  rule.check = std::move(compiled.value());
  out.rules.push_back(std::move(rule));
}

void ReadDocument(DocumentReader& reader, const YAML::Node& document, const RuleCatalog& catalog,
                  const LoadLimits& limits, Accumulator& out) {
  if (!reader.Map(document, "", {"apiVersion", "kind", "metadata", "spec"})) {
    return;
  }
  const std::string api_version = reader.String(document, "apiVersion", "", true);
  const std::string kind = reader.String(document, "kind", "", true);
  if (reader.error_) {
    return;
  }
  if (api_version != kApiVersion) {
    reader.Fail(document["apiVersion"], "apiVersion",
                "unsupported apiVersion \"" + api_version + "\" (expected " +
                    std::string(kApiVersion) + ")");
    return;
  }
  if (kind != kKind && kind != kExceptionsKind) {
    reader.Fail(document["kind"], "kind",
                "unsupported kind \"" + kind + "\" (expected " + std::string(kKind) + " or " +
                    std::string(kExceptionsKind) + ")");
    return;
  }
  const YAML::Node metadata = document["metadata"];
  if (!metadata.IsDefined()) {
    reader.Fail(document, "metadata", "missing required field \"metadata\"");
    return;
  }
  if (!reader.Map(metadata, "metadata", {"name", "labels", "annotations"})) {
    return;
  }
  std::string name = reader.String(metadata, "name", "metadata", true);
  const YAML::Node spec = document["spec"];
  if (!spec.IsDefined()) {
    reader.Fail(document, "spec", "missing required field \"spec\"");
    return;
  }
  if (kind == kExceptionsKind) {
    if (reader.Map(spec, "spec", {"exceptions"})) {
      ReadExceptionList(reader, spec["exceptions"], "spec.exceptions", limits, out.exceptions);
    }
    return;
  }
  out.names.push_back(std::move(name));
  if (!reader.Map(spec, "spec", {"exclude", "rules", "exceptions"})) {
    return;
  }
  ReadExceptionList(reader, spec["exceptions"], "spec.exceptions", limits, out.exceptions);
  if (reader.error_) {
    return;
  }
  if (const YAML::Node exclude = spec["exclude"]; exclude.IsDefined() && !exclude.IsNull()) {
    if (!reader.Map(exclude, "spec.exclude", {"namespaces"})) {
      return;
    }
    for (auto& pattern : reader.Namespaces(exclude, "namespaces", "spec.exclude")) {
      out.excluded.push_back(std::move(pattern));
    }
  }
  const YAML::Node rules = spec["rules"];
  if (!rules.IsDefined() || rules.IsNull()) {
    return;
  }
  if (!rules.IsSequence()) {
    reader.Fail(rules, "spec.rules", "expected a list of rules");
    return;
  }
  for (size_t i = 0; i < rules.size() && !reader.error_; ++i) {
    ReadRule(reader, rules[i], Indexed("spec.rules", i), catalog, out);
  }
}

}  // namespace

bool RuleScope::Matches(std::string_view namespace_name, const Labels& namespace_labels) const {
  if (!namespaces.empty() && !AnyMatches(namespaces, namespace_name)) {
    return false;
  }
  if (AnyMatches(exclude_namespaces, namespace_name)) {
    return false;
  }
  return !namespace_selector || namespace_selector->Matches(namespace_labels);
}

RuleSet::RuleSet(std::vector<CompiledRule> rules, std::vector<NamespacePattern> excluded_namespaces,
                 std::vector<std::string> names, std::vector<RuleException> exceptions)
    : rules_(std::move(rules)),
      excluded_namespaces_(std::move(excluded_namespaces)),
      names_(std::move(names)),
      exceptions_(std::move(exceptions)),
      may_be_slow_(std::any_of(rules_.begin(), rules_.end(),
                               [](const CompiledRule& rule) { return rule.kind->may_be_slow; })) {}

bool RuleSet::Excludes(std::string_view namespace_name) const {
  return AnyMatches(excluded_namespaces_, namespace_name);
}

Result<std::shared_ptr<const RuleSet>> LoadRuleSet(std::span<const RuleSource> sources,
                                                   const RuleCatalog& catalog) {
  return LoadRuleSet(sources, LoadLimits{}, catalog);
}

Result<std::shared_ptr<const RuleSet>> LoadRuleSet(std::span<const RuleSource> sources,
                                                   const LoadLimits& limits,
                                                   const RuleCatalog& catalog) {
  Accumulator accumulated;
  for (const auto& source : sources) {
    DocumentReader reader(source.name);
    try {
      const std::vector<YAML::Node> documents = LoadAllDocuments(source.text);
      for (size_t i = 0; i < documents.size() && !reader.error_; ++i) {
        if (documents[i].IsNull()) {
          continue;  // an empty document between `---` separators
        }
        ReadDocument(reader, documents[i], catalog, limits, accumulated);
      }
    } catch (const YAML::DeepRecursion& e) {
      return Error{source.name, e.mark.line + 1, e.mark.column + 1, "",
                   "nesting deeper than " + std::to_string(e.depth()) + " levels"};
    } catch (const YAML::Exception& e) {
      // yaml-cpp reports syntax errors by exception; its mark is 0-based.
      return Error{source.name, e.mark.line + 1, e.mark.column + 1, "", e.msg};
    }
    if (reader.error_) {
      return *reader.error_;
    }
  }
  // Only now are all rules known that an exception may name.
  if (auto error = CheckExceptions(accumulated.exceptions, accumulated.rules)) {
    return *std::move(error);
  }
  std::vector<RuleException> exceptions;
  exceptions.reserve(accumulated.exceptions.size());
  for (ReadException& read : accumulated.exceptions) {
    exceptions.push_back(std::move(read.exception));
  }
  return std::shared_ptr<const RuleSet>(
      std::make_shared<RuleSet>(std::move(accumulated.rules), std::move(accumulated.excluded),
                                std::move(accumulated.names), std::move(exceptions)));
}

bool HoldsRuleSets(const Labels& config_map_labels) {
  const auto found = config_map_labels.find(kRuleSetLabel);
  return found != config_map_labels.end() && found->second == kRuleSetLabelValue;
}

std::vector<RuleSource> RuleSourcesOf(const std::string& config_map_name,
                                      const std::map<std::string, std::string, std::less<>>& data) {
  std::vector<RuleSource> sources;
  for (const auto& [key, text] : data) {
    if (key.size() > 5 && key.ends_with(".yaml")) {
      sources.push_back(RuleSource{config_map_name + "/" + key, text});
    }
  }
  return sources;
}

}  // namespace netadmit
