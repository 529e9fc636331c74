#include "server/rule_store.h"

#include <exception>
#include <utility>
#include <vector>

namespace netadmit::server {

RuleStore::RuleStore(std::string path) : path_(std::move(path)) {}

Status RuleStore::Load() {
  try {
    return LoadOrFail();
  } catch (const std::exception& e) {
    // The loader reports errors as values; this only guards the reload timer against a bug.
    return Error{path_, 0, 0, "", std::string("unexpected error loading rules: ") + e.what()};
  }
}

Status RuleStore::LoadOrFail() {
  std::vector<RuleSource> sources;
  if (path_.empty()) {
    sources.push_back(DefaultRuleSource());
  } else {
    auto read = ReadRuleSources(path_);
    if (!read) {
      return read.error();
    }
    sources = std::move(read.value());
  }
  auto loaded = LoadRuleSet(sources);
  if (!loaded) {
    return loaded.error();
  }
  current_.store(std::move(loaded.value()));
  return Ok{};
}

std::string RuleStore::SourceName() const { return path_.empty() ? "default" : path_; }

}  // namespace netadmit::server
