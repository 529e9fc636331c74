#pragma once

// Notices when files change on disk by polling their metadata. cert-manager and the kubelet
// replace mounted files by swapping symlinks, so paths are stat'ed afresh each time (following
// links) rather than watched through an open descriptor.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace netadmit::server {

struct FileStamp {
  std::string path;
  bool exists = false;
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = 0;
  int64_t mtime_ns = 0;

  bool operator==(const FileStamp&) const = default;
};

// The stamps of `paths`. A directory stands for its visible *.yaml and *.yml entries (not
// recursive, sorted by name), which is what a rule-set directory or a mounted ConfigMap holds.
std::vector<FileStamp> StampFiles(const std::vector<std::string>& paths);

// Remembers the stamps of a set of paths and says when they differ from the last look.
class FileWatch {
 public:
  explicit FileWatch(std::vector<std::string> paths);

  // True when any stamp differs from the previous call (or from construction). The new stamps
  // are remembered either way, so one change is reported once.
  bool Changed();

 private:
  std::vector<std::string> paths_;
  std::vector<FileStamp> stamps_;
};

}  // namespace netadmit::server
