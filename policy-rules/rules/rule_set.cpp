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

namespace netadmit {

namespace {

constexpr std::string_view kApiVersion = "netadmit.io/v1alpha1";
constexpr std::string_view kKind = "RuleSet";

std::string Field(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : std::string(path) + '.' + std::string(key);
}

std::string Indexed(std::string_view path, size_t index) {
  return std::string(path) + '[' + std::to_string(index) + ']';
}

// Reads the fields of one YAML map of the rule-set format, with positions for every error.
class DocumentReader {
 public:
  explicit DocumentReader(std::string file) : file_(std::move(file)) {}

  std::optional<Error> error_;

  void Fail(const YAML::Node& node, std::string path, std::string message) {
    if (!error_) {
      error_ = ErrorAt(node, file_, std::move(path), std::move(message));
    }
  }

  // Checks that `node` is a map whose keys are all in `known` and appear once.
  bool Map(const YAML::Node& node, std::string_view path, std::set<std::string_view> known) {
    if (!node.IsMap()) {
      Fail(node, std::string(path), "expected a map");
      return false;
    }
    std::set<std::string> seen;
    for (const auto& entry : node) {
      const std::string key = entry.first.Scalar();
      if (!entry.first.IsScalar() || !known.contains(key)) {
        std::string names;
        for (auto name : known) {
          names += names.empty() ? "" : ", ";
          names += name;
        }
        Fail(entry.first, Field(path, key), "unknown field \"" + key + "\" (known: " + names + ")");
        return false;
      }
      if (!seen.insert(key).second) {
        Fail(entry.first, Field(path, key), "field \"" + key + "\" is given twice");
        return false;
      }
    }
    return true;
  }

  std::string String(const YAML::Node& map, std::string_view key, std::string_view path,
                     bool required) {
    const YAML::Node node = map[std::string(key)];
    if (!node.IsDefined() || node.IsNull()) {
      if (required) {
        Fail(map, Field(path, key), "missing required field \"" + std::string(key) + "\"");
      }
      return {};
    }
    if (!node.IsScalar()) {
      Fail(node, Field(path, key), "expected a string");
      return {};
    }
    return node.Scalar();
  }

  std::vector<NamespacePattern> Namespaces(const YAML::Node& map, std::string_view key,
                                           std::string_view path) {
    std::vector<NamespacePattern> out;
    const YAML::Node node = map[std::string(key)];
    if (!node.IsDefined() || node.IsNull()) {
      return out;
    }
    const std::string list_path = Field(path, key);
    if (!node.IsSequence()) {
      Fail(node, list_path, "expected a list of namespace names or patterns");
      return out;
    }
    for (size_t i = 0; i < node.size(); ++i) {
      const YAML::Node item = node[i];
      if (!item.IsScalar()) {
        Fail(item, Indexed(list_path, i), "expected a namespace name or pattern");
        return out;
      }
      auto pattern = NamespacePattern::Parse(item.Scalar());
      if (!pattern) {
        Fail(item, Indexed(list_path, i), pattern.error().message);
        return out;
      }
      out.push_back(std::move(pattern.value()));
    }
    return out;
  }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

bool ValidRuleId(std::string_view id) {
  if (id.empty() || id.size() > 63 || id.front() == '-' || id.back() == '-') {
    return false;
  }
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  });
}

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
  if (!ValidRuleId(rule.id)) {
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
                  Accumulator& out) {
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
  if (kind != kKind) {
    reader.Fail(document["kind"], "kind",
                "unsupported kind \"" + kind + "\" (expected " + std::string(kKind) + ")");
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
  out.names.push_back(reader.String(metadata, "name", "metadata", true));
  const YAML::Node spec = document["spec"];
  if (!spec.IsDefined()) {
    reader.Fail(document, "spec", "missing required field \"spec\"");
    return;
  }
  if (!reader.Map(spec, "spec", {"exclude", "rules"})) {
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
                 std::vector<std::string> names)
    : rules_(std::move(rules)),
      excluded_namespaces_(std::move(excluded_namespaces)),
      names_(std::move(names)),
      may_be_slow_(std::any_of(rules_.begin(), rules_.end(),
                               [](const CompiledRule& rule) { return rule.kind->may_be_slow; })) {}

bool RuleSet::Excludes(std::string_view namespace_name) const {
  return AnyMatches(excluded_namespaces_, namespace_name);
}

Result<std::shared_ptr<const RuleSet>> LoadRuleSet(std::span<const RuleSource> sources,
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
        ReadDocument(reader, documents[i], catalog, accumulated);
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
  return std::shared_ptr<const RuleSet>(std::make_shared<RuleSet>(
      std::move(accumulated.rules), std::move(accumulated.excluded), std::move(accumulated.names)));
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
