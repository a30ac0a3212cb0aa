// 5. What the preload library costs unrelated, exec-heavy work: 2,000 execs of /bin/true from
//    bash and from a C program's posix_spawn, without LD_PRELOAD, with an empty library linked
//    the same way (the price of LD_PRELOAD itself) and with libvq-preload.so. Rounds rotate the
//    order; wall and CPU (user + system of the loop and its children) are both kept.
#include <sys/wait.h>

#include <stdexcept>

#include "bench.h"

namespace vq::bench {

void run_preload_cost(const Context& context, Report& report) {
  if (context.preload.empty()) {
    report.notes.push_back("preload cost: skipped, libvq-preload.so is not built");
    return;
  }
  const int execs = context.smoke ? 100 : 2000;
  const int rounds = context.smoke ? 1 : 9;
  struct Loop {
    std::string name;
    std::vector<std::string> argv;
  };
  std::vector<Loop> loops = {
      {"bash /bin/true loop",
       {"bash", "-c", "for ((i = 0; i < " + std::to_string(execs) + "; i++)); do /bin/true; done"}},
      {"posix_spawn /bin/true loop", {context.spawn_loop, std::to_string(execs), "/bin/true"}},
  };
  std::vector<std::pair<std::string, std::string>> variants = {
      {"no preload", ""},
      {"empty preload", context.empty_preload},
      {"libvq-preload", context.preload}};
  for (const auto& loop : loops) {
    std::vector<Figure> wall, cpu;
    for (const auto& [name, library] : variants) {
      wall.push_back({"preload: " + loop.name + " (wall)", name});
      cpu.push_back({"preload: " + loop.name + " (cpu)", name});
    }
    for (int r = 0; r < rounds; ++r) {
      for (std::size_t k = 0; k < variants.size(); ++k) {
        std::size_t v = (r + k) % variants.size();
        std::vector<std::string> env = base_env();
        if (!variants[v].second.empty()) env.push_back("LD_PRELOAD=" + variants[v].second);
        std::int64_t start = now_ns();
        Finished finished = wait_for(spawn(loop.argv, env));
        if (!WIFEXITED(finished.status) || WEXITSTATUS(finished.status) != 0) {
          throw std::runtime_error(loop.name + " failed");
        }
        wall[v].samples.push_back((now_ns() - start) / 1e6);
        cpu[v].samples.push_back(finished.user_ms + finished.system_ms);
      }
    }
    report.targets.push_back({"preload cost, " + loop.name + " (wall, vs no preload)", 1.02,
                              "ratio", median(wall[2].samples) / median(wall[0].samples)});
    for (auto& figure : wall) report.figures.push_back(std::move(figure));
    for (auto& figure : cpu) report.figures.push_back(std::move(figure));
  }
}

}  // namespace vq::bench
