#include "server/file_watch.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace netadmit::server {

namespace {

FileStamp Stamp(const std::string& path) {
  FileStamp stamp;
  stamp.path = path;
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    return stamp;
  }
  stamp.exists = true;
  stamp.device = info.st_dev;
  stamp.inode = info.st_ino;
  stamp.size = info.st_size;
  stamp.mtime_ns = static_cast<int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 +
                   static_cast<int64_t>(info.st_mtim.tv_nsec);
  return stamp;
}

// As the rule-set reader picks them: visible *.yaml and *.yml entries. Hidden ones are a
// mounted ConfigMap's "..data" machinery or editors' temporary files.
bool IsRuleFile(const std::filesystem::path& path) {
  const std::string extension = path.extension().string();
  return !path.filename().string().starts_with('.') &&
         (extension == ".yaml" || extension == ".yml");
}

}  // namespace

std::vector<FileStamp> StampFiles(const std::vector<std::string>& paths) {
  std::vector<FileStamp> stamps;
  for (const auto& path : paths) {
    std::error_code ec;
    if (!std::filesystem::is_directory(path, ec)) {
      stamps.push_back(Stamp(path));
      continue;
    }
    std::vector<std::string> entries;
    for (std::filesystem::directory_iterator it(path, ec), end; !ec && it != end;
         it.increment(ec)) {
      if (IsRuleFile(it->path())) {
        entries.push_back(it->path().string());
      }
    }
    std::sort(entries.begin(), entries.end());
    for (const auto& entry : entries) {
      stamps.push_back(Stamp(entry));
    }
  }
  return stamps;
}

FileWatch::FileWatch(std::vector<std::string> paths)
    : paths_(std::move(paths)), stamps_(StampFiles(paths_)) {}

bool FileWatch::Changed() {
  std::vector<FileStamp> now = StampFiles(paths_);
  if (now == stamps_) {
    return false;
  }
  stamps_ = std::move(now);
  return true;
}

}  // namespace netadmit::server
