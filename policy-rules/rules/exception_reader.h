#pragma once

// Reading rule exceptions (`spec.exceptions` of a RuleSet, or a RuleExceptions document) during
// LoadRuleSet. Internal to the rules layer.

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

#include "netadmit/model/result.h"
#include "netadmit/rules/exceptions.h"
#include "netadmit/rules/rule_set.h"
#include "rules/document_reader.h"

namespace netadmit {

// An exception as read, with where its parts were written, for the checks that need every
// document read first.
struct ReadException {
  RuleException exception;
  Error name_at;                // where its name is written (message empty)
  std::vector<Error> rules_at;  // where each of exception.rules is written (message empty)
};

// Reads the list `node` (at field `path`) of exceptions into `out`. Refuses what can be refused
// from the exception alone: unknown or missing fields, no match, a bad pattern or selector, an
// unreadable expiry or one further ahead than `limits` allow.
void ReadExceptionList(DocumentReader& reader, const YAML::Node& node, const std::string& path,
                       const LoadLimits& limits, std::vector<ReadException>& out);

// The checks over all documents: exception names are unique, and every rule an exception names
// (id or glob) matches a rule of `rules`. The first failure, located where it is written.
std::optional<Error> CheckExceptions(const std::vector<ReadException>& exceptions,
                                     const std::vector<CompiledRule>& rules);

}  // namespace netadmit
