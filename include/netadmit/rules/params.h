#pragma once

// Reads the `params` map of one rule in a rule set. A rule kind asks for each parameter it
// knows by name and type; Finish() then rejects any field nobody asked for. The first error
// (wrong type, invalid CIDR, unknown field...) is kept with its file, line and column, and the
// getters return defaults after it, so a kind's compile function can read straight through.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "netadmit/model/cidr.h"
#include "netadmit/model/glob.h"
#include "netadmit/model/model.h"
#include "netadmit/model/result.h"

namespace netadmit {

// A protocol and a port or port range, as in `allowedPorts: [{protocol: UDP, port: 53}]`.
struct PortSpec {
  Protocol protocol = Protocol::kTCP;
  int32_t port = 0;
  int32_t end_port = 0;  // == port for a single port
};

class ParamReader {
 public:
  // `params` may be undefined/null (no params given). `path` is the params' field path, e.g.
  // "spec.rules[0].params"; `file` names the rule set source.
  ParamReader(YAML::Node params, std::string file, std::string path);

  std::vector<std::string> StringList(std::string_view key);
  bool Bool(std::string_view key, bool default_value);
  int64_t Int(std::string_view key, int64_t default_value, int64_t min, int64_t max);
  std::vector<Cidr> CidrList(std::string_view key);
  std::vector<PortSpec> PortList(std::string_view key);
  std::vector<NamespacePattern> NamespaceList(std::string_view key);
  // Object names (metadata.name, DNS subdomains) or globs of them: as namespace patterns, plus '.'.
  std::vector<NamePattern> NameList(std::string_view key);
  // A metav1.LabelSelector ({matchLabels, matchExpressions}); nullopt when absent.
  std::optional<LabelSelector> Selector(std::string_view key);
  // The whole params map, for a kind whose params have a grammar of their own (Flows): every
  // key counts as read, and the kind reports its own errors through Adopt().
  YAML::Node TakeAll();
  // Keeps `error` as the first error, unless one was met before.
  void Adopt(Error error);
  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }

  // Requires the key to be present (call before reading it).
  void Require(std::string_view key);

  // Reports an error at `key` found by the kind itself (e.g. two params that contradict).
  void Fail(std::string_view key, std::string message);

  // The first error met, or an unknown-field error if the map has keys nobody read.
  std::optional<Error> Finish();

 private:
  // Runs `read` (a Status) over the params map as a whole and keeps its error; a map yaml-cpp
  // cannot read is an error located at `at`.
  template <typename Read>
  void ReadParams(const YAML::Node& at, Read read);
  // The value of `key` as `read(node, path)` reads it (a Result<T>), or `absent` when the key is
  // missing or null, and after an error, which it keeps.
  template <typename T, typename Read>
  T ReadValue(std::string_view key, T absent, Read read);
  YAML::Node Lookup(std::string_view key);
  void FailAt(const YAML::Node& node, std::string path, std::string message);
  std::string PathOf(std::string_view key) const;

  YAML::Node params_;
  std::string file_;
  std::string path_;
  std::set<std::string, std::less<>> read_;
  std::optional<Error> error_;
};

// Reads a metav1.LabelSelector written in YAML: `matchLabels` (a map of strings) and
// `matchExpressions` ({key, operator: In|NotIn|Exists|DoesNotExist, values}), with the API
// server's own checks (In and NotIn need values, Exists and DoesNotExist take none). `path` is the
// selector's field path, for errors.
Result<LabelSelector> ParseLabelSelector(const YAML::Node& node, const std::string& file,
                                         const std::string& path);

// Builds an Error located at a YAML node (its mark gives line and column).
Error ErrorAt(const YAML::Node& node, std::string file, std::string path, std::string message);

}  // namespace netadmit
