#include "server/rule_store.h"

#include <exception>
#include <utility>
#include <vector>

#include "files/inputs.h"

namespace netadmit::server {

RuleStore::RuleStore(std::string path) : path_(std::move(path)) {}

RuleStore::RuleStore(std::string path, bool config_maps)
    : path_(std::move(path)), config_maps_(config_maps) {}

Status RuleStore::Load(const std::vector<RuleSource>& config_map_sources,
                       const LoadLimits& limits) {
  try {
    return LoadOrFail(config_map_sources, limits);
  } catch (const std::exception& e) {
    // The loader reports errors as values; this only guards the reload timer against a bug.
    return Error{path_, 0, 0, "", std::string("unexpected error loading rules: ") + e.what()};
  }
}

Status RuleStore::LoadOrFail(const std::vector<RuleSource>& config_map_sources,
                             const LoadLimits& limits) {
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
  std::vector<RuleSource> files = config_maps_ ? sources : std::vector<RuleSource>();
  sources.insert(sources.end(), config_map_sources.begin(), config_map_sources.end());
  auto loaded = LoadRuleSet(sources, limits);
  if (!loaded) {
    return loaded.error();
  }
  in_force_.store(std::make_shared<const RulesInForce>(
      RulesInForce{std::move(loaded.value()), std::move(files)}));
  return Ok{};
}

std::shared_ptr<const RuleSet> RuleStore::Current() const {
  const std::shared_ptr<const RulesInForce> in_force = in_force_.load();
  return in_force != nullptr ? in_force->rules : nullptr;
}

std::string RuleStore::SourceName() const {
  if (!config_maps_) {
    return path_.empty() ? "default" : path_;
  }
  return path_.empty() ? "configmaps" : path_ + "+configmaps";
}

}  // namespace netadmit::server
