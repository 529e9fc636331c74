#include "rules/document_reader.h"

#include <algorithm>

#include "netadmit/rules/params.h"

namespace netadmit {

std::string Field(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : std::string(path) + '.' + std::string(key);
}

bool ValidId(std::string_view id) {
  if (id.empty() || id.size() > 63 || id.front() == '-' || id.back() == '-') {
    return false;
  }
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  });
}

void DocumentReader::Fail(const YAML::Node& node, std::string path, std::string message) {
  if (!error_) {
    error_ = ErrorAt(node, file_, std::move(path), std::move(message));
  }
}

void DocumentReader::Adopt(Error error) {
  if (!error_) {
    error_ = std::move(error);
  }
}

bool DocumentReader::Map(const YAML::Node& node, std::string_view path,
                         std::set<std::string_view> known) {
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

std::string DocumentReader::String(const YAML::Node& map, std::string_view key,
                                   std::string_view path, bool required) {
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

std::vector<NamespacePattern> DocumentReader::Namespaces(const YAML::Node& map,
                                                         std::string_view key,
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

}  // namespace netadmit
