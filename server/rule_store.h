#pragma once

// The rule set in force. Requests take a snapshot (one whole rule set and the sources it came
// from, never half of an old and half of a new one); a reload compiles a complete new set off to
// the side and swaps it in atomically, or keeps the old one when the new one does not load.

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "netadmit/model/result.h"
#include "netadmit/rules/rule_set.h"

namespace netadmit::server {

// The rules in force and the file sources they were loaded from, put in force together: a
// request that takes one never pairs new rules with old sources.
struct RulesInForce {
  std::shared_ptr<const RuleSet> rules;
  // With ConfigMaps taking part: the rule files' sources, which a rule-set ConfigMap must load
  // together with. Empty otherwise.
  std::vector<RuleSource> file_sources;
};

class RuleStore {
 public:
  // `path` is a rule-set file or directory; empty means the embedded default rule set.
  explicit RuleStore(std::string path);

  // `config_maps`: rule sets also come from ConfigMaps, passed to each Load. Then an empty `path`
  // means no files rather than the embedded default rule set.
  RuleStore(std::string path, bool config_maps);

  // Reads and compiles the rules (the files, plus `config_map_sources`). On success they are put
  // in force; on failure the rules in force stay and the error names file, line and column.
  // `limits` bound the exceptions' expiry (LoadLimits).
  Status Load(const std::vector<RuleSource>& config_map_sources = {},
              const LoadLimits& limits = {});

  // The rules in force with their sources, or null before the first successful Load.
  std::shared_ptr<const RulesInForce> InForce() const { return in_force_.load(); }
  // The rules in force, or null before the first successful Load.
  std::shared_ptr<const RuleSet> Current() const;
  const std::string& path() const { return path_; }
  // "default" for the embedded rules, else the path; "+configmaps" when they take part.
  std::string SourceName() const;

 private:
  Status LoadOrFail(const std::vector<RuleSource>& config_map_sources, const LoadLimits& limits);

  std::string path_;
  bool config_maps_ = false;
  std::atomic<std::shared_ptr<const RulesInForce>> in_force_;
};

}  // namespace netadmit::server
