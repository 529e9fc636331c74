#include "files/inputs.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <system_error>

namespace netadmit {

namespace {

Result<std::string> ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error{path, 0, 0, "", "cannot open file"};
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return Error{path, 0, 0, "", "cannot read file"};
  }
  return text.str();
}

bool IsManifestFile(const std::filesystem::path& path) {
  const std::string extension = path.extension().string();
  return extension == ".yaml" || extension == ".yml" || extension == ".json";
}

}  // namespace

Result<std::vector<RuleSource>> ReadRuleSources(const std::string& file_or_directory) {
  namespace fs = std::filesystem;
  std::error_code error;
  std::vector<fs::path> files;
  if (fs::is_directory(file_or_directory, error)) {
    // Mounted ConfigMaps hold each key as a symlink next to hidden "..data" folders: take the
    // visible *.yaml / *.yml entries only.
    for (const auto& entry : fs::directory_iterator(file_or_directory, error)) {
      const std::string name = entry.path().filename().string();
      const std::string extension = entry.path().extension().string();
      if (name.starts_with('.') || (extension != ".yaml" && extension != ".yml") ||
          !fs::is_regular_file(entry.path(), error)) {
        continue;
      }
      files.push_back(entry.path());
    }
    if (error) {
      return Error{file_or_directory, 0, 0, "", "cannot list directory: " + error.message()};
    }
    if (files.empty()) {
      return Error{file_or_directory, 0, 0, "", "no *.yaml or *.yml rule-set files in directory"};
    }
    std::sort(files.begin(), files.end());
  } else {
    files.emplace_back(file_or_directory);
  }
  std::vector<RuleSource> sources;
  for (const auto& path : files) {
    Result<std::string> text = ReadText(path.string());
    if (!text) {
      return text.error();
    }
    sources.push_back(RuleSource{path.string(), *std::move(text)});
  }
  return sources;
}

Result<std::vector<ManifestObject>> ReadManifests(const std::string& file_or_directory) {
  namespace fs = std::filesystem;
  if (file_or_directory == "-") {
    std::string text{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
    if (std::cin.bad()) {
      return Error{"-", 0, 0, "", "cannot read standard input"};
    }
    return ParseManifests("-", text);
  }
  std::error_code ec;
  const fs::file_status status = fs::status(file_or_directory, ec);
  if (ec) {
    return Error{file_or_directory, 0, 0, "", ec.message()};
  }
  if (!fs::is_directory(status)) {
    Result<std::string> text = ReadText(file_or_directory);
    if (!text) {
      return text.error();
    }
    return ParseManifests(file_or_directory, *text);
  }
  std::vector<std::string> files;
  fs::recursive_directory_iterator it(file_or_directory, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code type_ec;
    if (it->is_regular_file(type_ec) && IsManifestFile(it->path())) {
      files.push_back(it->path().string());
    }
  }
  if (ec) {
    return Error{file_or_directory, 0, 0, "", ec.message()};
  }
  std::sort(files.begin(), files.end());
  std::vector<ManifestObject> objects;
  for (const std::string& file : files) {
    Result<std::string> text = ReadText(file);
    if (!text) {
      return text.error();
    }
    Result<std::vector<ManifestObject>> parsed = ParseManifests(file, *text);
    if (!parsed) {
      return parsed.error();
    }
    std::move(parsed->begin(), parsed->end(), std::back_inserter(objects));
  }
  return objects;
}

Result<std::vector<ManifestObject>> ReadAllManifests(const std::vector<std::string>& inputs) {
  std::vector<ManifestObject> all;
  for (const std::string& input : inputs) {
    auto manifests = ReadManifests(input);
    if (!manifests) {
      return manifests.error();
    }
    all.insert(all.end(), std::make_move_iterator(manifests->begin()),
               std::make_move_iterator(manifests->end()));
  }
  return all;
}

Result<Ok> ReadFlowLog(const std::string& path, FlowReplay& replay) {
  std::ifstream file;
  if (path != "-") {
    file.open(path);
    if (!file) {
      return Error{path, 0, 0, "", "cannot read the flow log"};
    }
  }
  std::istream& lines = path == "-" ? std::cin : file;
  int number = 0;
  for (std::string line; std::getline(lines, line);) {
    replay.Feed(line, ++number);
  }
  if (lines.bad()) {
    return Error{path, number, 0, "", "reading the flow log failed after this line"};
  }
  return Ok{};
}

}  // namespace netadmit
