// Reads manifests as `kubectl apply -f` takes them. Every YAML document is converted to a
// RapidJSON value with the scalar types Kubernetes' YAML reader gives plain scalars (null, bool,
// integer, float, else string); quoted scalars stay strings. The input is untrusted: nesting,
// alias expansion and duplicate keys are bounded or refused with an Error, never a crash.

#include "netadmit/codec/manifest.h"

#include <rapidjson/encodedstream.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "codec/yaml_documents.h"

namespace netadmit {

namespace {

using rapidjson::Value;
using Allocator = rapidjson::Document::AllocatorType;

// Deeper nesting is refused. yaml-cpp's own parser stops a little earlier on plain input; this
// bound is what stops aliases that nest into themselves.
constexpr int kMaxDepth = 512;
// Aliases may expand a small text into a huge tree. Without aliases a text cannot hold more
// values than it has bytes, so the bound, for all documents of a text together, is the larger of
// this and the text's size: only alias expansion can reach it.
constexpr std::size_t kMinValueBudget = 200'000;

constexpr std::string_view kStrTag = "tag:yaml.org,2002:str";

std::string Quoted(std::string_view text) {
  std::string out = "\"";
  out += text;
  out += '"';
  return out;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// [-+]?[0-9]+
bool LooksLikeInteger(std::string_view text) {
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    text.remove_prefix(1);
  }
  return !text.empty() && std::all_of(text.begin(), text.end(), IsDigit);
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? — the float form of YAML's core schema,
// which is also the one Kubernetes' YAML reader accepts.
bool LooksLikeFloat(std::string_view text) {
  std::size_t i = 0;
  auto digits = [&] {
    std::size_t start = i;
    while (i < text.size() && IsDigit(text[i])) {
      ++i;
    }
    return i - start;
  };
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) {
    ++i;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    if (digits() == 0) {
      return false;
    }
  } else {
    if (digits() == 0) {
      return false;
    }
    if (i < text.size() && text[i] == '.') {
      ++i;
      digits();
    }
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) {
      ++i;
    }
    if (digits() == 0) {
      return false;
    }
  }
  return i == text.size();
}

bool IsNullWord(std::string_view text) {
  return text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL";
}

std::optional<bool> BoolWord(std::string_view text) {
  if (text == "true" || text == "True" || text == "TRUE") {
    return true;
  }
  if (text == "false" || text == "False" || text == "FALSE") {
    return false;
  }
  return std::nullopt;
}

// Resolves a plain (unquoted) scalar the way Kubernetes' YAML reader does for the forms it
// shares with JSON: null, bool, integer (int64, else uint64, else double), float, else string.
void ResolvePlain(std::string_view text, Value& out, Allocator& allocator) {
  if (IsNullWord(text)) {
    out.SetNull();
    return;
  }
  if (auto flag = BoolWord(text)) {
    out.SetBool(*flag);
    return;
  }
  // std::from_chars accepts a leading '-' but not a '+'.
  std::string_view number = text;
  if (!number.empty() && number.front() == '+') {
    number.remove_prefix(1);
  }
  const char* first = number.data();
  const char* last = number.data() + number.size();
  if (LooksLikeInteger(text)) {
    int64_t signed_value = 0;
    if (auto [end, ec] = std::from_chars(first, last, signed_value);
        ec == std::errc() && end == last) {
      out.SetInt64(signed_value);
      return;
    }
    uint64_t unsigned_value = 0;
    if (auto [end, ec] = std::from_chars(first, last, unsigned_value);
        ec == std::errc() && end == last) {
      out.SetUint64(unsigned_value);
      return;
    }
  }
  if (LooksLikeFloat(text)) {
    double float_value = 0;
    if (auto [end, ec] = std::from_chars(first, last, float_value);
        ec == std::errc() && end == last) {
      out.SetDouble(float_value);
      return;
    }
    // Out of range for a double: Kubernetes keeps such a scalar as a string.
  }
  out.SetString(text.data(), static_cast<rapidjson::SizeType>(text.size()), allocator);
}

const char* JsonTypeName(const Value& value) {
  if (value.IsNull()) {
    return "null";
  }
  if (value.IsBool()) {
    return "a boolean";
  }
  if (value.IsNumber()) {
    return "a number";
  }
  if (value.IsString()) {
    return "a string";
  }
  if (value.IsArray()) {
    return "a list";
  }
  return "a map";
}

const char* YamlTypeName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return "null";
  }
  return "null";
}

Error ErrorAtNode(const std::string& file, const YAML::Node& node, std::string path,
                  std::string message) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) {
    return Error{file, 0, 0, std::move(path), std::move(message)};
  }
  return Error{file, mark.line + 1, mark.column + 1, std::move(path), std::move(message)};
}

int LineOf(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return mark.is_null() ? 0 : mark.line + 1;
}

// Converts one YAML document to JSON. Keeps the field path of the node being converted so that
// errors name it, and stops at the first error.
class Converter {
 public:
  // `values` counts the values converted so far, across the documents of one text.
  Converter(std::string file, Allocator& allocator, std::size_t value_budget, std::size_t& values)
      : file_(std::move(file)),
        allocator_(allocator),
        value_budget_(value_budget),
        values_(values) {}

  bool Convert(const YAML::Node& node, Value& out) { return ConvertNode(node, out, 0); }

  const std::optional<Error>& error() const { return error_; }

 private:
  using Segment = std::variant<std::string, std::size_t>;

  bool ConvertNode(const YAML::Node& node, Value& out, int depth) {
    if (depth > kMaxDepth) {
      return Fail(node, "nesting deeper than " + std::to_string(kMaxDepth) + " levels");
    }
    if (++values_ > value_budget_) {
      return Fail(node, "aliases expand to more than " + std::to_string(value_budget_) + " values");
    }
    switch (node.Type()) {
      case YAML::NodeType::Map:
        return ConvertMap(node, out, depth);
      case YAML::NodeType::Sequence:
        return ConvertSequence(node, out, depth);
      case YAML::NodeType::Scalar:
        return ConvertScalar(node, out);
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        if (node.Tag() == kStrTag) {
          out.SetString("", 0, allocator_);
        } else {
          out.SetNull();
        }
        return true;
    }
    out.SetNull();
    return true;
  }

  bool ConvertScalar(const YAML::Node& node, Value& out) {
    const std::string& text = node.Scalar();
    if (text.size() > std::numeric_limits<rapidjson::SizeType>::max()) {
      return Fail(node, "scalar too long");
    }
    // "!" marks a quoted or block scalar, which is a string whatever it spells; an explicit
    // !!str tag says the same. Every other tag resolves like a plain scalar.
    const std::string& tag = node.Tag();
    if (tag == "!" || tag == kStrTag) {
      out.SetString(text.data(), static_cast<rapidjson::SizeType>(text.size()), allocator_);
      return true;
    }
    ResolvePlain(text, out, allocator_);
    return true;
  }

  bool ConvertSequence(const YAML::Node& node, Value& out, int depth) {
    out.SetArray();
    out.Reserve(static_cast<rapidjson::SizeType>(std::min<std::size_t>(node.size(), 1024)),
                allocator_);
    std::size_t index = 0;
    for (const YAML::Node& item : node) {
      path_.emplace_back(index++);
      Value value;
      if (!ConvertNode(item, value, depth + 1)) {
        return false;
      }
      path_.pop_back();
      out.PushBack(value, allocator_);
    }
    return true;
  }

  bool ConvertMap(const YAML::Node& node, Value& out, int depth) {
    out.SetObject();
    // Key -> line where it is set (0 for keys merged in).
    std::unordered_map<std::string, int> seen;
    std::vector<YAML::Node> merges;
    for (const auto& pair : node) {
      const YAML::Node& key = pair.first;
      if (!key.IsScalar()) {
        return Fail(key, std::string("map key must be a string, found ") + YamlTypeName(key));
      }
      const std::string& name = key.Scalar();
      if (name.size() > std::numeric_limits<rapidjson::SizeType>::max()) {
        return Fail(key, "map key too long");
      }
      // `<<: *anchor` merges the keys of another map, as Kubernetes' YAML reader does.
      if (name == "<<" && key.Tag() == "?") {
        merges.push_back(pair.second);
        continue;
      }
      path_.emplace_back(name);
      if (auto [first, inserted] = seen.emplace(name, LineOf(key)); !inserted) {
        return Fail(key, "duplicate key " + Quoted(name) + " (first set at line " +
                             std::to_string(first->second) + ")");
      }
      Value value;
      if (!ConvertNode(pair.second, value, depth + 1)) {
        return false;
      }
      path_.pop_back();
      Value member_name(name.data(), static_cast<rapidjson::SizeType>(name.size()), allocator_);
      out.AddMember(member_name, value, allocator_);
    }
    for (const YAML::Node& merge : merges) {
      if (!Merge(merge, out, seen, depth)) {
        return false;
      }
    }
    return true;
  }

  // Adds the keys of the merged map(s) that the map does not set itself; with a list of maps,
  // earlier maps win.
  bool Merge(const YAML::Node& merge, Value& out, std::unordered_map<std::string, int>& seen,
             int depth) {
    std::vector<YAML::Node> sources;
    if (merge.IsMap()) {
      sources.push_back(merge);
    } else if (merge.IsSequence()) {
      for (const YAML::Node& item : merge) {
        sources.push_back(item);
      }
    }
    path_.emplace_back(std::string("<<"));
    if (sources.empty()) {
      return Fail(merge, std::string("merge key << needs a map or a list of maps, found ") +
                             YamlTypeName(merge));
    }
    for (const YAML::Node& source : sources) {
      if (!source.IsMap()) {
        return Fail(source, std::string("merge key << needs a map or a list of maps, found ") +
                                YamlTypeName(source));
      }
      Value merged;
      if (!ConvertNode(source, merged, depth + 1)) {
        return false;
      }
      for (auto& member : merged.GetObject()) {
        std::string name(member.name.GetString(), member.name.GetStringLength());
        if (seen.emplace(std::move(name), 0).second) {
          out.AddMember(member.name, member.value, allocator_);
        }
      }
    }
    path_.pop_back();
    return true;
  }

  // The field path of the node being converted; a very deep one keeps its first and last
  // segments only.
  std::string Path() const {
    constexpr std::size_t kKeep = 8;
    std::string out;
    for (std::size_t i = 0; i < path_.size(); ++i) {
      if (path_.size() > 2 * kKeep && i == kKeep) {
        out += "...";
        i = path_.size() - kKeep;
      }
      const Segment& segment = path_[i];
      if (const auto* index = std::get_if<std::size_t>(&segment)) {
        out += '[' + std::to_string(*index) + ']';
      } else {
        if (!out.empty()) {
          out += '.';
        }
        out += std::get<std::string>(segment);
      }
    }
    return out;
  }

  bool Fail(const YAML::Node& node, std::string message) {
    error_ = ErrorAtNode(file_, node, Path(), std::move(message));
    return false;
  }

  std::string file_;
  Allocator& allocator_;
  std::size_t value_budget_;
  std::size_t& values_;
  std::vector<Segment> path_;
  std::optional<Error> error_;
};

// Where to point at the value of `key` in a YAML map: the value itself, or the key when the
// value is empty (yaml-cpp places an empty value at the next token). The map when absent.
YAML::Node NodeOfKey(const YAML::Node& map, std::string_view key) {
  for (const auto& pair : map) {
    if (pair.first.IsScalar() && pair.first.Scalar() == key) {
      return pair.second.IsNull() ? pair.first : pair.second;
    }
  }
  return map;
}

// The value node of `key` in a YAML map, or an undefined node.
YAML::Node FindKey(const YAML::Node& map, std::string_view key) {
  for (const auto& pair : map) {
    if (pair.first.IsScalar() && pair.first.Scalar() == key) {
      return pair.second;
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

// Checks that `json` (converted from `node`) is a map with non-empty string apiVersion and
// kind. `where` ends the message (" in document 2").
std::optional<Error> CheckObject(const std::string& file, const YAML::Node& node, const Value& json,
                                 const std::string& path, const std::string& where) {
  if (!json.IsObject()) {
    return ErrorAtNode(file, node, path,
                       "expected a Kubernetes object (a map with apiVersion and kind), found " +
                           std::string(JsonTypeName(json)) + where);
  }
  for (const char* field : {"apiVersion", "kind"}) {
    auto found = json.FindMember(field);
    if (found == json.MemberEnd()) {
      return ErrorAtNode(file, node, path, field + std::string(" is missing") + where);
    }
    const YAML::Node at = NodeOfKey(node, field);
    std::string field_path = path.empty() ? std::string(field) : path + '.' + field;
    if (!found->value.IsString()) {
      return ErrorAtNode(
          file, at, field_path,
          field + std::string(" must be a string, found ") + JsonTypeName(found->value) + where);
    }
    if (found->value.GetStringLength() == 0) {
      return ErrorAtNode(file, at, field_path, field + std::string(" is empty") + where);
    }
  }
  return std::nullopt;
}

// kubectl expands `kind: List` (and `v1/List` output of `kubectl get`, or any *List kind with
// an items list) into its items.
bool IsList(const Value& object) {
  const Value& kind = object["kind"];
  std::string_view name(kind.GetString(), kind.GetStringLength());
  if (name == "List") {
    return true;
  }
  if (name.size() <= 4 || name.substr(name.size() - 4) != "List") {
    return false;
  }
  auto items = object.FindMember("items");
  return items != object.MemberEnd() && items->value.IsArray();
}

Result<std::vector<ManifestObject>> ParseDocuments(const std::string& file,
                                                   const std::vector<YAML::Node>& documents,
                                                   std::size_t value_budget) {
  std::vector<ManifestObject> objects;
  std::size_t values = 0;
  int index = 0;
  for (const YAML::Node& node : documents) {
    ++index;
    if (node.IsNull() || !node.IsDefined()) {
      continue;  // `---` with nothing after it, or only comments
    }
    const std::string where = " in document " + std::to_string(index);
    auto json = std::make_shared<rapidjson::Document>();
    Converter converter(file, json->GetAllocator(), value_budget, values);
    if (!converter.Convert(node, *json)) {
      Error error = *converter.error();
      error.message += where;
      return error;
    }
    if (auto error = CheckObject(file, node, *json, "", where)) {
      return *error;
    }
    if (!IsList(*json)) {
      objects.push_back(ManifestObject{file, LineOf(node), index, json, json.get()});
      continue;
    }
    auto items = json->FindMember("items");
    if (items == json->MemberEnd() || items->value.IsNull()) {
      continue;  // an empty List
    }
    YAML::Node items_node = FindKey(node, "items");
    if (!items->value.IsArray()) {
      return ErrorAtNode(
          file, items_node.IsDefined() ? items_node : node, "items",
          std::string("items must be a list, found ") + JsonTypeName(items->value) + where);
    }
    const Value& list = items->value;
    for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
      // The items node is a sequence when it came from the document itself; through a merge
      // key it may not be, and the List's own position stands in.
      const YAML::Node& sequence = items_node;
      YAML::Node item_node = sequence.IsSequence() && i < sequence.size() ? sequence[i] : node;
      if (auto error =
              CheckObject(file, item_node, list[i], "items[" + std::to_string(i) + "]", where)) {
        return *error;
      }
      objects.push_back(ManifestObject{file, LineOf(item_node), index, json, &list[i]});
    }
  }
  return objects;
}

// The text read by bytes with a bound: RapidJSON's StringStream trusts a NUL terminator, and its
// UTF-8 check reads the continuation bytes a lead byte promises, past the end of a cut-off text.
using JsonTextStream = rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream>;

// Where the items of a List start, and how deep the text nests, from one pass of RapidJSON's
// SAX reader over the text (the Document keeps no positions); duplicate keys stop it.
class JsonShape : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, JsonShape> {
 public:
  explicit JsonShape(const JsonTextStream& stream) : stream_(stream) {}

  // A key twice in one object stops the reading: the YAML reader refuses it, naming where.
  bool Key(const char* text, rapidjson::SizeType length, bool /*copy*/) {
    if (open_.size() == 1) {
      top_key_.assign(text, length);
    }
    return keys_.back().emplace(text, length).second;
  }
  bool StartObject() { return Open(true); }
  bool EndObject(rapidjson::SizeType /*members*/) { return Close(); }
  bool StartArray() { return Open(false); }
  bool EndArray(rapidjson::SizeType /*elements*/) { return Close(); }

  std::size_t depth() const { return deepest_; }
  // Byte offsets just past the `{` of each item of the top object's "items" array.
  const std::vector<std::size_t>& item_offsets() const { return item_offsets_; }

 private:
  bool Open(bool object) {
    if (object && open_.size() == 2 && !open_[1] && top_key_ == "items") {
      item_offsets_.push_back(stream_.Tell());
    }
    open_.push_back(object);
    keys_.emplace_back();
    deepest_ = std::max(deepest_, open_.size());
    return true;
  }
  bool Close() {
    open_.pop_back();
    keys_.pop_back();
    return true;
  }

  const JsonTextStream& stream_;
  std::vector<bool> open_;                             // the containers open: true for an object
  std::vector<std::unordered_set<std::string>> keys_;  // per container open, its keys so far
  std::string top_key_;                                // the last key of the top object
  std::size_t deepest_ = 0;
  std::vector<std::size_t> item_offsets_;
};

bool IsKubernetesObject(const Value& json) {
  if (!json.IsObject()) {
    return false;
  }
  for (const char* field : {"apiVersion", "kind"}) {
    auto found = json.FindMember(field);
    if (found == json.MemberEnd() || !found->value.IsString() ||
        found->value.GetStringLength() == 0) {
      return false;
    }
  }
  return true;
}

// A text that is one JSON object (what `kubectl get -o json` writes), read with RapidJSON: many
// times quicker than through the YAML reader, for whole clusters. nullopt for anything else,
// JSON or not, valid or not: the YAML reader then reads it (JSON is YAML) and words any error.
std::optional<std::vector<ManifestObject>> ParseJsonObject(const std::string& file,
                                                           const std::string& text) {
  const std::size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string::npos || text[start] != '{') {
    return std::nullopt;
  }
  if (text.find('\0') != std::string::npos) {
    return std::nullopt;
  }
  rapidjson::MemoryStream bytes(text.data(), text.size());
  JsonTextStream stream(bytes);
  JsonShape shape(stream);
  rapidjson::Reader reader;
  constexpr unsigned kFlags =
      rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;
  if (!reader.Parse<kFlags>(stream, shape) || shape.depth() > static_cast<std::size_t>(kMaxDepth)) {
    return std::nullopt;
  }
  auto json = std::make_shared<rapidjson::Document>();
  json->Parse<kFlags>(text.c_str(), text.size());
  if (json->HasParseError() || !IsKubernetesObject(*json)) {
    return std::nullopt;
  }
  auto line_at = [&, line = 1, counted = std::size_t{0}](std::size_t offset) mutable {
    line += static_cast<int>(std::count(text.begin() + static_cast<std::ptrdiff_t>(counted),
                                        text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
    counted = offset;
    return line;
  };
  std::vector<ManifestObject> objects;
  if (!IsList(*json)) {
    objects.push_back(ManifestObject{file, line_at(start), 1, json, json.get()});
    return objects;
  }
  const auto found = json->FindMember("items");
  if (found == json->MemberEnd() || !found->value.IsArray() ||
      found->value.Size() != shape.item_offsets().size()) {
    return std::nullopt;  // an empty or malformed List: the YAML reader says what it is
  }
  const Value& items = found->value;
  if (items.Size() == 0) {
    return std::nullopt;
  }
  for (rapidjson::SizeType i = 0; i < items.Size(); ++i) {
    if (!IsKubernetesObject(items[i])) {
      return std::nullopt;
    }
    objects.push_back(ManifestObject{file, line_at(shape.item_offsets()[i]), 1, json, &items[i]});
  }
  return objects;
}

}  // namespace

Result<std::vector<ManifestObject>> ParseManifests(const std::string& file,
                                                   const std::string& text) {
  if (auto objects = ParseJsonObject(file, text)) {
    return *std::move(objects);
  }
  try {
    const std::vector<YAML::Node> documents = LoadAllDocuments(text);
    return ParseDocuments(file, documents, std::max(kMinValueBudget, text.size()));
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp reports this as "bad file"; say what it is.
    return Error{file, e.mark.is_null() ? 0 : e.mark.line + 1,
                 e.mark.is_null() ? 0 : e.mark.column + 1, "", "invalid YAML: nesting too deep"};
  } catch (const YAML::Exception& e) {
    return Error{file, e.mark.is_null() ? 0 : e.mark.line + 1,
                 e.mark.is_null() ? 0 : e.mark.column + 1, "", "invalid YAML: " + e.msg};
  }
}

Result<std::vector<ManifestObject>> ManifestsOfList(const std::string& source,
                                                    std::string_view body,
                                                    std::string_view api_version,
                                                    std::string_view kind) {
  auto json = std::make_shared<rapidjson::Document>();
  // Iterative: a deeply nested body from the API server must not exhaust the stack.
  json->Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
  if (json->HasParseError() || !json->IsObject()) {
    return Error{source, 0, 0, "", "the list is not a JSON object"};
  }
  const auto items = json->FindMember("items");
  if (items == json->MemberEnd() || items->value.IsNull()) {
    return std::vector<ManifestObject>{};
  }
  if (!items->value.IsArray()) {
    return Error{source, 0, 0, "items", "expected a list"};
  }
  std::vector<ManifestObject> manifests;
  Allocator& allocator = json->GetAllocator();
  for (rapidjson::SizeType i = 0; i < items->value.Size(); ++i) {
    Value& item = items->value[i];
    if (!item.IsObject()) {
      return Error{source, 0, 0, "items[" + std::to_string(i) + "]", "expected an object"};
    }
    // A LIST leaves out what every item shares.
    for (const auto& [key, value] :
         {std::pair{"apiVersion", api_version}, std::pair{"kind", kind}}) {
      if (!item.HasMember(key)) {
        item.AddMember(
            Value(key, allocator),
            Value(value.data(), static_cast<rapidjson::SizeType>(value.size()), allocator),
            allocator);
      }
    }
    manifests.push_back(ManifestObject{source, 0, static_cast<int>(i) + 1, json, &item});
  }
  return manifests;
}

}  // namespace netadmit
