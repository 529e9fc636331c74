#pragma once

// Reading the documents of the rule-set format (RuleSet and RuleExceptions): strict maps, strings
// and namespace lists, each error kept with its file, line, column and field path. Internal to
// the rules layer.

#include <yaml-cpp/yaml.h>

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "netadmit/model/glob.h"
#include "netadmit/model/result.h"
#include "rules/kinds/describe.h"  // Indexed

namespace netadmit {

// "path.key", or "key" at the top.
std::string Field(std::string_view path, std::string_view key);

// A rule id or exception name: 1-63 lowercase letters, digits, '-' or '.', starting and ending
// with a letter or digit.
bool ValidId(std::string_view id);

// Reads the fields of one YAML map of the rule-set format, with positions for every error. The
// first error is kept; later ones are dropped.
class DocumentReader {
 public:
  explicit DocumentReader(std::string file) : file_(std::move(file)) {}

  std::optional<Error> error_;

  void Fail(const YAML::Node& node, std::string path, std::string message);
  // Keeps `error` unless an earlier one is kept.
  void Adopt(Error error);

  // Checks that `node` is a map whose keys are all in `known` and appear once.
  bool Map(const YAML::Node& node, std::string_view path, std::set<std::string_view> known);

  // The scalar at `key`; empty when absent (an error when `required`).
  std::string String(const YAML::Node& map, std::string_view key, std::string_view path,
                     bool required);

  std::vector<NamespacePattern> Namespaces(const YAML::Node& map, std::string_view key,
                                           std::string_view path);

  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

}  // namespace netadmit
