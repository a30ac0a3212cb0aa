#include "memory_cgroup.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <vector>

#include "memory_probe.h"

namespace vq::mp {

MemoryCgroup::MemoryCgroup(std::uint64_t limit) {
  auto parent = own_memory_cgroup(ProbeRoots{});
  if (::geteuid() != 0 || !parent) return;
  std::string dir =
      *parent + "/vq-memroom-" + std::to_string(::getpid()) + "-" + std::to_string(++s_count);
  if (::mkdir(dir.c_str(), 0755) != 0) return;
  m_v1 = path_exists(dir + "/memory.limit_in_bytes");
  std::ofstream(dir + (m_v1 ? "/memory.limit_in_bytes" : "/memory.max")) << limit;
  m_dir = dir;
}

MemoryCgroup::~MemoryCgroup() {
  if (m_dir.empty()) return;
  // The runs have been reaped; an emptied cgroup can be removed (after a moment, on v1).
  eventually([&] { return ::rmdir(m_dir.c_str()) == 0; }, 5s);
}

int MemoryCgroup::oom_kills() const {
  std::ifstream file(m_dir + (m_v1 ? "/memory.oom_control" : "/memory.events"));
  std::string key;
  long value = 0;
  while (file >> key >> value) {
    if (key == "oom_kill") return static_cast<int>(value);
  }
  return -1;
}

Launch launch_in(const MemoryCgroup& cgroup, Launch launch) {
  std::vector<std::string> argv{"/bin/sh", "-c", "echo $$ > \"$0/cgroup.procs\" && exec \"$@\"",
                                cgroup.dir()};
  argv.insert(argv.end(), launch.argv.begin(), launch.argv.end());
  launch.argv = argv;
  launch.program = "/bin/sh";
  return launch;
}

}  // namespace vq::mp
