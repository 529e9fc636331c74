#pragma once

// The rule set in force. Requests take a snapshot (one whole rule set, never half of an old and
// half of a new one); a reload compiles a complete new set off to the side and swaps it in
// atomically, or keeps the old one when the new one does not load.

#include <atomic>
#include <memory>
#include <string>

#include "netadmit/result.h"
#include "netadmit/rule_set.h"

namespace netadmit::server {

class RuleStore {
 public:
  // `path` is a rule-set file or directory; empty means the embedded default rule set.
  explicit RuleStore(std::string path);

  // Reads and compiles the rules. On success they are put in force; on failure the rules in
  // force stay and the error names file, line and column.
  Status Load();

  // The rules in force, or null before the first successful Load.
  std::shared_ptr<const RuleSet> Current() const { return current_.load(); }
  const std::string& path() const { return path_; }
  // "default" for the embedded rules, else the path.
  std::string SourceName() const;

 private:
  Status LoadOrFail();

  std::string path_;
  std::atomic<std::shared_ptr<const RuleSet>> current_;
};

}  // namespace netadmit::server
