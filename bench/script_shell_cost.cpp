// 7. What the scripts wiring costs a package-manager script: the script shell is one extra exec
//    (vq-script-shell, then sh). 2,000 scripts `SHELL -c :` from a bash loop, with sh directly,
//    with vq-script-shell, and with sh under libvq-preload (the preload wiring's price on the
//    same work), per script. Rounds rotate the order.
#include <sys/wait.h>

#include <stdexcept>

#include "bench.h"

namespace vq::bench {

void run_script_shell_cost(const Context& context, Report& report) {
  if (context.script_shell.empty()) {
    report.notes.push_back("script shell cost: skipped, vq-script-shell is not built");
    return;
  }
  const int scripts = context.smoke ? 50 : 2000;
  const int rounds = context.smoke ? 1 : 9;
  const std::string loop =
      "for ((i = 0; i < " + std::to_string(scripts) + "; i++)); do \"$0\" -c :; done";
  struct Variant {
    std::string name, shell, library;
  };
  std::vector<Variant> variants = {{"sh directly", "sh", ""},
                                   {"vq-script-shell", context.script_shell, ""}};
  if (!context.preload.empty()) variants.push_back({"sh, libvq-preload", "sh", context.preload});
  std::vector<Figure> per_script;
  for (const auto& variant : variants) {
    per_script.push_back({"script shell: one `-c :` script (wall)", variant.name});
  }
  for (int r = 0; r < rounds; ++r) {
    for (std::size_t k = 0; k < variants.size(); ++k) {
      const Variant& variant = variants[(r + k) % variants.size()];
      std::vector<std::string> env = base_env();
      if (!variant.library.empty()) env.push_back("LD_PRELOAD=" + variant.library);
      const std::int64_t start = now_ns();
      Finished finished = wait_for(spawn({"bash", "-c", loop, variant.shell}, env));
      if (!WIFEXITED(finished.status) || WEXITSTATUS(finished.status) != 0) {
        throw std::runtime_error("script shell loop with " + variant.name + " failed");
      }
      per_script[(r + k) % variants.size()].samples.push_back((now_ns() - start) / 1e6 / scripts);
    }
  }
  report.targets.push_back({"script shell cost per script (wall, over sh directly)", 1.0, "ms",
                            median(per_script[1].samples) - median(per_script[0].samples)});
  for (auto& figure : per_script) report.figures.push_back(std::move(figure));
}

}  // namespace vq::bench
