// A waiting launch's look at its project's learned estimate: runs launched together before
// anything was learned start with the cold default, and take the figure the first run to end
// teaches (history/learned_estimate writes it to the queue's estimates file). Read again only
// when the file changed, so asking once per tick costs a stat.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

namespace vq {

class EstimateRefresh {
 public:
  // Notes the estimates file as it is now (nothing for project ""): call it before the launch's
  // estimate is first read, so a rewrite in between is seen by the next `learned`.
  EstimateRefresh(std::string queue_dir, std::string project);

  // The project's estimate when the file may have changed since the last look and holds one;
  // nullopt otherwise (unchanged, missing, or no line for the project).
  std::optional<std::uint64_t> learned();

 private:
  struct Stamp {
    bool exists = false;
    ino_t inode = 0;
    off_t size = 0;
    std::int64_t mtime_ns = 0;
    bool operator==(const Stamp&) const = default;
  };
  Stamp stamp() const;
  void note_seen(const Stamp& stamp);

  std::string m_queue_dir;
  std::string m_project;
  Stamp m_seen;
  // The file was changed so recently that another rewrite of the same size could carry the same
  // timestamp (a coarse clock): read it again next time whatever the stamp says.
  bool m_recent = false;
};

}  // namespace vq
