#include "server/rule_store.h"

#include <exception>
#include <utility>
#include <vector>

namespace netadmit::server {

RuleStore::RuleStore(std::string path) : path_(std::move(path)) {}

RuleStore::RuleStore(std::string path, bool config_maps)
    : path_(std::move(path)), config_maps_(config_maps) {}

Status RuleStore::Load(const std::vector<RuleSource>& config_map_sources) {
  try {
    return LoadOrFail(config_map_sources);
  } catch (const std::exception& e) {
    // The loader reports errors as values; this only guards the reload timer against a bug.
    return Error{path_, 0, 0, "", std::string("unexpected error loading rules: ") + e.what()};
  }
}

Status RuleStore::LoadOrFail(const std::vector<RuleSource>& config_map_sources) {
  std::vector<RuleSource> sources;
  if (path_.empty()) {
    if (!config_maps_) {
      sources.push_back(DefaultRuleSource());
    }
  } else {
    auto read = ReadRuleSources(path_);
    if (!read) {
      return read.error();
    }
    sources = std::move(read.value());
  }
  auto files = config_maps_ ? std::make_shared<const std::vector<RuleSource>>(sources) : nullptr;
  sources.insert(sources.end(), config_map_sources.begin(), config_map_sources.end());
  auto loaded = LoadRuleSet(sources);
  if (!loaded) {
    return loaded.error();
  }
  current_.store(std::move(loaded.value()));
  file_sources_.store(std::move(files));
  return Ok{};
}

std::string RuleStore::SourceName() const {
  if (!config_maps_) {
    return path_.empty() ? "default" : path_;
  }
  return path_.empty() ? "configmaps" : path_ + "+configmaps";
}

}  // namespace netadmit::server
