#include "netadmit/rules/params.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <utility>

namespace netadmit {

namespace {

constexpr int64_t kMinPort = 1;
constexpr int64_t kMaxPort = 65535;
constexpr std::size_t kMaxQuoted = 40;

// The value of `key` in a map, or nothing when the key is absent. Iterates instead of using
// operator[], which yields an invalid node (that throws on use) for a missing key.
std::optional<YAML::Node> FindValue(const YAML::Node& map, std::string_view key) {
  if (!map.IsMap()) {
    return std::nullopt;
  }
  for (const auto& entry : map) {
    if (entry.first.IsScalar() && entry.first.Scalar() == key) {
      return entry.second;
    }
  }
  return std::nullopt;
}

// A scalar the author quoted (or tagged !!str) is a string, whatever its text looks like.
bool IsQuotedString(const YAML::Node& node) {
  return node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str";
}

std::string Quote(std::string_view text) {
  if (text.size() > kMaxQuoted) {
    return "\"" + std::string(text.substr(0, kMaxQuoted)) + "...\"";
  }
  return "\"" + std::string(text) + "\"";
}

// "string \"x\"", "a list", "a map", "null": what a value is, for type errors.
std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return (IsQuotedString(node) ? "string " : "") + Quote(node.Scalar());
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return "null";
  }
  return "null";
}

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// The known name that differs from an unknown one only by case ("allowedCidrs" for
// "allowedCIDRs"), the likeliest slip in a camel-case name.
std::optional<std::string> Suggest(std::string_view unknown,
                                   const std::set<std::string, std::less<>>& known) {
  const std::string lowered = Lower(unknown);
  for (const auto& name : known) {
    if (Lower(name) == lowered) {
      return name;
    }
  }
  return std::nullopt;
}

std::string UnknownField(std::string_view name, const std::set<std::string, std::less<>>& known) {
  std::string message = "unknown field " + Quote(name);
  if (auto suggestion = Suggest(name, known)) {
    message += "; did you mean " + Quote(*suggestion) + "?";
  }
  return message;
}

// Parses a decimal integer scalar. Sets `message` and returns nullopt on anything else.
std::optional<int64_t> ParseInteger(const YAML::Node& node, int64_t min, int64_t max,
                                    std::string& message) {
  const std::string range = "from " + std::to_string(min) + " to " + std::to_string(max);
  if (!node.IsScalar() || IsQuotedString(node)) {
    message = "must be an integer " + range + ", got " + Describe(node);
    return std::nullopt;
  }
  const std::string& text = node.Scalar();
  std::string_view digits = text;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    digits.remove_prefix(1);
  }
  const bool is_integer = !digits.empty() && std::all_of(digits.begin(), digits.end(), [](char c) {
    return c >= '0' && c <= '9';
  });
  if (!is_integer) {
    message = "must be an integer " + range + ", got " + Quote(text);
    return std::nullopt;
  }
  int64_t value = 0;
  const char* begin = text.data() + (text[0] == '+' ? 1 : 0);
  const auto [end, status] = std::from_chars(begin, text.data() + text.size(), value);
  if (status != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    message = "must be an integer " + range + ", got " + text;
    return std::nullopt;
  }
  return value;
}

std::optional<Protocol> ParseProtocol(const std::string& text) {
  if (text == "TCP") {
    return Protocol::kTCP;
  }
  if (text == "UDP") {
    return Protocol::kUDP;
  }
  if (text == "SCTP") {
    return Protocol::kSCTP;
  }
  return std::nullopt;
}

// A missing `params` looked up on a const node is an invalid node that throws on any use (even
// assignment): it stands for no params, so it becomes a plain null.
YAML::Node Usable(YAML::Node params) { return params.IsDefined() ? params : YAML::Node(); }

std::optional<SelectorOperator> ParseOperator(const std::string& text) {
  if (text == "In") {
    return SelectorOperator::kIn;
  }
  if (text == "NotIn") {
    return SelectorOperator::kNotIn;
  }
  if (text == "Exists") {
    return SelectorOperator::kExists;
  }
  if (text == "DoesNotExist") {
    return SelectorOperator::kDoesNotExist;
  }
  return std::nullopt;
}

// Checks that `node` is a map whose keys are all in `known`.
std::optional<Error> KnownFields(const YAML::Node& node, const std::string& file,
                                 const std::string& path,
                                 const std::set<std::string, std::less<>>& known) {
  for (const auto& field : node) {
    const std::string name = field.first.IsScalar() ? field.first.Scalar() : "";
    if (known.count(name) == 0) {
      return ErrorAt(field.first, file, name.empty() ? path : path + "." + name,
                     UnknownField(name, known));
    }
  }
  return std::nullopt;
}

// yaml-cpp reports a node it cannot read by throwing YAML::Exception. This is the one place that
// catches it: returns what `read` returns or, when it throws, what `unreadable` makes of
// yaml-cpp's text.
template <typename Read, typename Unreadable>
auto CatchYamlException(Read read, Unreadable unreadable) -> decltype(read()) {
  try {
    return read();
  } catch (const YAML::Exception& e) {
    return unreadable(std::string(e.what()));
  }
}

// Runs `read`, which returns a Result; a node yaml-cpp cannot read becomes the error
// "unreadable <what>: ..." at `path`, located at `at`.
template <typename Read>
auto ReadOrError(const YAML::Node& at, const std::string& file, const std::string& path,
                 std::string_view what, Read read) -> decltype(read()) {
  return CatchYamlException(read, [&](const std::string& text) -> decltype(read()) {
    return ErrorAt(at, file, path, "unreadable " + std::string(what) + ": " + text);
  });
}

// Reads a list whose items `read_item(item, file, item_path)` reads. `what` names the items for
// the error when `node` is no list: "must be a list of <what>, got a map".
template <typename T, typename ReadItem>
Result<std::vector<T>> ReadList(const YAML::Node& node, const std::string& file,
                                const std::string& path, std::string_view what,
                                ReadItem read_item) {
  if (!node.IsSequence()) {
    return ErrorAt(node, file, path,
                   "must be a list of " + std::string(what) + ", got " + Describe(node));
  }
  std::vector<T> out;
  std::size_t index = 0;
  for (const auto& item : node) {
    Result<T> value = read_item(item, file, path + "[" + std::to_string(index++) + "]");
    if (!value) {
      return value.error();
    }
    out.push_back(std::move(value).value());
  }
  return out;
}

// A list item written as a scalar, which `parse` reads; `what` names it for the error when the
// item is no scalar: "must be <what>, got a map".
template <typename Parse>
auto ReadScalar(const YAML::Node& item, const std::string& file, const std::string& path,
                std::string_view what, Parse parse) -> decltype(parse(item.Scalar())) {
  if (!item.IsScalar()) {
    return ErrorAt(item, file, path, "must be " + std::string(what) + ", got " + Describe(item));
  }
  auto parsed = parse(item.Scalar());
  if (!parsed) {
    return ErrorAt(item, file, path, parsed.error().message);
  }
  return parsed;
}

Result<std::string> ReadString(const YAML::Node& item, const std::string& file,
                               const std::string& path) {
  return ReadScalar(item, file, path, "a string",
                    [](const std::string& text) -> Result<std::string> { return text; });
}

Result<Cidr> ReadCidr(const YAML::Node& item, const std::string& file, const std::string& path) {
  return ReadScalar(item, file, path, "a CIDR such as \"10.0.0.0/8\"", &Cidr::Parse);
}

Result<NamespacePattern> ReadNamespace(const YAML::Node& item, const std::string& file,
                                       const std::string& path) {
  return ReadScalar(item, file, path, "a namespace name or pattern", &NamespacePattern::Parse);
}

Result<NamePattern> ReadName(const YAML::Node& item, const std::string& file,
                             const std::string& path) {
  return ReadScalar(item, file, path, "an object name or pattern", &NamePattern::Parse);
}

Result<PortSpec> ReadPort(const YAML::Node& item, const std::string& file,
                          const std::string& path) {
  static const std::set<std::string, std::less<>> kFields = {"protocol", "port", "endPort"};
  if (!item.IsMap()) {
    return ErrorAt(item, file, path,
                   "must be a port such as {protocol: UDP, port: 53}, got " + Describe(item));
  }
  if (auto error = KnownFields(item, file, path, kFields)) {
    return *std::move(error);
  }
  PortSpec spec;
  const auto protocol = FindValue(item, "protocol");
  if (protocol && !protocol->IsNull()) {
    const auto parsed = protocol->IsScalar() ? ParseProtocol(protocol->Scalar()) : std::nullopt;
    if (!parsed) {
      return ErrorAt(*protocol, file, path + ".protocol",
                     "must be TCP, UDP or SCTP, got " + Describe(*protocol));
    }
    spec.protocol = *parsed;
  }
  const auto port = FindValue(item, "port");
  if (!port || port->IsNull()) {
    return ErrorAt(item, file, path + ".port", "missing required field \"port\"");
  }
  std::string message;
  const auto number = ParseInteger(*port, kMinPort, kMaxPort, message);
  if (!number) {
    return ErrorAt(*port, file, path + ".port", std::move(message));
  }
  spec.port = static_cast<int32_t>(*number);
  spec.end_port = spec.port;
  const auto end_port = FindValue(item, "endPort");
  if (end_port && !end_port->IsNull()) {
    const auto end = ParseInteger(*end_port, spec.port, kMaxPort, message);
    if (!end) {
      return ErrorAt(*end_port, file, path + ".endPort",
                     message + " (endPort may not be below port)");
    }
    spec.end_port = static_cast<int32_t>(*end);
  }
  return spec;
}

Result<SelectorRequirement> ParseRequirement(const YAML::Node& node, const std::string& file,
                                             const std::string& path) {
  static const std::set<std::string, std::less<>> kFields = {"key", "operator", "values"};
  if (!node.IsMap()) {
    return ErrorAt(node, file, path,
                   "must be a requirement such as {key: team, operator: In, values: [a]}, got " +
                       Describe(node));
  }
  if (auto error = KnownFields(node, file, path, kFields)) {
    return *std::move(error);
  }
  SelectorRequirement requirement;
  const auto key = FindValue(node, "key");
  if (!key || !key->IsScalar() || key->Scalar().empty()) {
    return ErrorAt(key ? *key : node, file, path + ".key", "must be a label key");
  }
  requirement.key = key->Scalar();
  const auto op = FindValue(node, "operator");
  const auto parsed = op && op->IsScalar() ? ParseOperator(op->Scalar()) : std::nullopt;
  if (!parsed) {
    return ErrorAt(op ? *op : node, file, path + ".operator",
                   "must be In, NotIn, Exists or DoesNotExist, got " +
                       (op ? Describe(*op) : std::string("nothing")));
  }
  requirement.op = *parsed;
  if (const auto values = FindValue(node, "values"); values && !values->IsNull()) {
    if (!values->IsSequence()) {
      return ErrorAt(*values, file, path + ".values", "must be a list of strings");
    }
    for (const auto& value : *values) {
      if (!value.IsScalar()) {
        return ErrorAt(value, file, path + ".values", "must be a list of strings");
      }
      requirement.values.push_back(value.Scalar());
    }
  }
  const bool takes_values =
      requirement.op == SelectorOperator::kIn || requirement.op == SelectorOperator::kNotIn;
  if (takes_values && requirement.values.empty()) {
    return ErrorAt(node, file, path + ".values", "must not be empty for operator " + op->Scalar());
  }
  if (!takes_values && !requirement.values.empty()) {
    return ErrorAt(node, file, path + ".values", "must be empty for operator " + op->Scalar());
  }
  return requirement;
}

}  // namespace

Result<LabelSelector> ParseLabelSelector(const YAML::Node& node, const std::string& file,
                                         const std::string& path) {
  static const std::set<std::string, std::less<>> kFields = {"matchLabels", "matchExpressions"};
  return ReadOrError(node, file, path, "value", [&]() -> Result<LabelSelector> {
    if (!node.IsMap()) {
      return ErrorAt(
          node, file, path,
          "must be a label selector such as {matchLabels: {team: a}}, got " + Describe(node));
    }
    if (auto error = KnownFields(node, file, path, kFields)) {
      return *std::move(error);
    }
    LabelSelector selector;
    if (const auto labels = FindValue(node, "matchLabels"); labels && !labels->IsNull()) {
      if (!labels->IsMap()) {
        return ErrorAt(*labels, file, path + ".matchLabels",
                       "must be a map of label keys to values, got " + Describe(*labels));
      }
      for (const auto& entry : *labels) {
        if (!entry.first.IsScalar() || !entry.second.IsScalar()) {
          return ErrorAt(entry.first, file, path + ".matchLabels",
                         "must be a map of label keys to values");
        }
        selector.match_labels.emplace(entry.first.Scalar(), entry.second.Scalar());
      }
    }
    if (const auto expressions = FindValue(node, "matchExpressions");
        expressions && !expressions->IsNull()) {
      auto requirements = ReadList<SelectorRequirement>(
          *expressions, file, path + ".matchExpressions", "requirements", ParseRequirement);
      if (!requirements) {
        return requirements.error();
      }
      selector.match_expressions = std::move(requirements).value();
    }
    return selector;
  });
}

Error ErrorAt(const YAML::Node& node, std::string file, std::string path, std::string message) {
  Error error;
  error.file = std::move(file);
  error.path = std::move(path);
  error.message = std::move(message);
  CatchYamlException(
      [&] {
        if (node.IsDefined()) {
          const YAML::Mark mark = node.Mark();
          if (!mark.is_null()) {
            // yaml-cpp counts from 0.
            error.line = mark.line + 1;
            error.column = mark.column + 1;
          }
        }
      },
      // An invalid node has no position; the error keeps line and column unknown.
      [](const std::string&) {});
  return error;
}

template <typename Read>
void ParamReader::ReadParams(const YAML::Node& at, Read read) {
  const Status status = ReadOrError(at, file_, path_, "params", read);
  if (!status) {
    Adopt(status.error());
  }
}

template <typename T, typename Read>
T ParamReader::ReadValue(std::string_view key, T absent, Read read) {
  const std::string path = PathOf(key);
  Result<T> value = ReadOrError(params_, file_, path, "value", [&]() -> Result<T> {
    const YAML::Node node = Lookup(key);
    if (node.IsNull()) {
      return absent;
    }
    return read(node, path);
  });
  if (!value) {
    Adopt(value.error());
    return absent;
  }
  return std::move(value).value();
}

ParamReader::ParamReader(YAML::Node params, std::string file, std::string path)
    : params_(Usable(std::move(params))), file_(std::move(file)), path_(std::move(path)) {
  ReadParams(YAML::Node(), [&]() -> Status {
    if (!params_.IsNull() && !params_.IsMap()) {
      return ErrorAt(params_, file_, path_,
                     "must be a map of parameter names to values, got " + Describe(params_));
    }
    return Ok{};
  });
}

YAML::Node ParamReader::Lookup(std::string_view key) {
  read_.emplace(key);
  if (error_) {
    return YAML::Node();
  }
  // Absent and null are the same: the parameter is not given.
  return FindValue(params_, key).value_or(YAML::Node());
}

void ParamReader::FailAt(const YAML::Node& node, std::string path, std::string message) {
  Adopt(ErrorAt(node, file_, std::move(path), std::move(message)));
}

std::string ParamReader::PathOf(std::string_view key) const {
  if (path_.empty()) {
    return std::string(key);
  }
  return path_ + "." + std::string(key);
}

std::vector<std::string> ParamReader::StringList(std::string_view key) {
  return ReadValue(key, std::vector<std::string>(),
                   [&](const YAML::Node& node, const std::string& path) {
                     return ReadList<std::string>(node, file_, path, "strings", ReadString);
                   });
}

bool ParamReader::Bool(std::string_view key, bool default_value) {
  return ReadValue(
      key, default_value, [&](const YAML::Node& node, const std::string& path) -> Result<bool> {
        if (node.IsScalar() && !IsQuotedString(node)) {
          const std::string& text = node.Scalar();
          // The YAML 1.2 core schema: no yes/no/on/off.
          if (text == "true" || text == "True" || text == "TRUE") {
            return true;
          }
          if (text == "false" || text == "False" || text == "FALSE") {
            return false;
          }
        }
        return ErrorAt(node, file_, path, "must be true or false, got " + Describe(node));
      });
}

int64_t ParamReader::Int(std::string_view key, int64_t default_value, int64_t min, int64_t max) {
  return ReadValue(key, default_value,
                   [&](const YAML::Node& node, const std::string& path) -> Result<int64_t> {
                     std::string message;
                     if (auto value = ParseInteger(node, min, max, message)) {
                       return *value;
                     }
                     return ErrorAt(node, file_, path, std::move(message));
                   });
}

std::vector<Cidr> ParamReader::CidrList(std::string_view key) {
  return ReadValue(key, std::vector<Cidr>(), [&](const YAML::Node& node, const std::string& path) {
    return ReadList<Cidr>(node, file_, path, "CIDRs", ReadCidr);
  });
}

std::vector<PortSpec> ParamReader::PortList(std::string_view key) {
  return ReadValue(key, std::vector<PortSpec>(),
                   [&](const YAML::Node& node, const std::string& path) {
                     return ReadList<PortSpec>(node, file_, path,
                                               "ports such as {protocol: UDP, port: 53}", ReadPort);
                   });
}

std::vector<NamespacePattern> ParamReader::NamespaceList(std::string_view key) {
  return ReadValue(key, std::vector<NamespacePattern>(),
                   [&](const YAML::Node& node, const std::string& path) {
                     return ReadList<NamespacePattern>(
                         node, file_, path, "namespace names or patterns", ReadNamespace);
                   });
}

std::vector<NamePattern> ParamReader::NameList(std::string_view key) {
  return ReadValue(
      key, std::vector<NamePattern>(), [&](const YAML::Node& node, const std::string& path) {
        return ReadList<NamePattern>(node, file_, path, "object names or patterns", ReadName);
      });
}

std::optional<LabelSelector> ParamReader::Selector(std::string_view key) {
  return ReadValue(
      key, std::optional<LabelSelector>(),
      [&](const YAML::Node& node, const std::string& path) -> Result<std::optional<LabelSelector>> {
        auto selector = ParseLabelSelector(node, file_, path);
        if (!selector) {
          return selector.error();
        }
        return std::optional<LabelSelector>(std::move(selector).value());
      });
}

YAML::Node ParamReader::TakeAll() {
  ReadParams(params_, [&]() -> Status {
    if (params_.IsMap()) {
      for (const auto& entry : params_) {
        if (entry.first.IsScalar()) {
          read_.insert(entry.first.Scalar());
        }
      }
    }
    return Ok{};
  });
  return params_;
}

void ParamReader::Adopt(Error error) {
  if (!error_) {
    error_ = std::move(error);
  }
}

void ParamReader::Require(std::string_view key) {
  const bool given = ReadValue(
      key, false, [](const YAML::Node&, const std::string&) { return Result<bool>(true); });
  if (!given) {
    // Point at the params map when there is one, else the position is unknown.
    FailAt(params_, PathOf(key), "missing required field " + Quote(key));
  }
}

void ParamReader::Fail(std::string_view key, std::string message) {
  const YAML::Node at =
      CatchYamlException([&] { return FindValue(params_, key).value_or(params_); },
                         // Not even the params map can be read: the position is unknown.
                         [](const std::string&) { return YAML::Node(); });
  FailAt(at, PathOf(key), std::move(message));
}

std::optional<Error> ParamReader::Finish() {
  if (error_) {
    return error_;
  }
  ReadParams(params_, [&]() -> Status {
    if (!params_.IsMap()) {
      return Ok{};
    }
    std::set<std::string, std::less<>> seen;
    for (const auto& entry : params_) {
      if (!entry.first.IsScalar()) {
        return ErrorAt(entry.first, file_, path_,
                       "parameter names must be strings, got " + Describe(entry.first));
      }
      const std::string& name = entry.first.Scalar();
      if (read_.count(name) == 0) {
        return ErrorAt(entry.first, file_, PathOf(name), UnknownField(name, read_));
      }
      if (!seen.insert(name).second) {
        return ErrorAt(entry.first, file_, PathOf(name), "duplicate field " + Quote(name));
      }
    }
    return Ok{};
  });
  return error_;
}

}  // namespace netadmit
