// 9. The cluster queue (issue 19), against a redis-server on loopback started here: handoff
//    across hosts (a holder's exit on host A → the next waiter's vitest starts on host B)
//    beside the local handoff in the same run, Redis commands per admission (INFO
//    commandstats before and after), and launch overhead with VQ_CLUSTER set and an idle queue
//    against unset. Hosts are simulated: a queue directory and VQ_CLUSTER_HOST each.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <regex>

#include "bench.h"

namespace vq::bench {
namespace {

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), size);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  ::close(fd);
  return ntohs(address.sin_port);
}

std::string run_output(const std::string& command) {
  std::string out;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  if (!pipe) return out;
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe.get())) out.append(buffer, n);
  return out;
}

// Commands the server has run so far (INFO commandstats): those clients sent (the script
// calls and the wake list pops), and all of them, the commands inside the scripts included.
struct CommandCount {
  long sent = 0;
  long all = 0;
};

CommandCount commands_so_far(int port) {
  std::string stats = run_output("redis-cli -p " + std::to_string(port) + " INFO commandstats");
  CommandCount count;
  std::regex line("cmdstat_([a-z|_]+):calls=([0-9]+)");
  for (std::sregex_iterator it(stats.begin(), stats.end(), line), end; it != end; ++it) {
    const std::string name = (*it)[1];
    const long calls = std::stol((*it)[2]);
    count.all += calls;
    for (const char* sent : {"evalsha", "eval", "blpop", "lpop", "auth", "select", "hello", "ping",
                             "script|load", "info"}) {
      if (name == sent) count.sent += calls;
    }
  }
  // The INFO that asks counts itself once.
  count.sent -= 1;
  count.all -= 1;
  return count;
}

struct Server {
  pid_t pid = -1;
  int port = 0;
  ~Server() {
    if (pid > 0) {
      ::kill(pid, SIGTERM);
      wait_for(pid);
    }
  }
};

bool start_server(const Context& context, Server& server) {
  server.port = free_port();
  server.pid = spawn({"/usr/bin/redis-server", "--port", std::to_string(server.port), "--bind",
                      "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", context.work_dir},
                     base_env());
  for (int attempt = 0; attempt < 200; ++attempt) {
    if (run_output("redis-cli -p " + std::to_string(server.port) + " PING 2>/dev/null")
            .starts_with("PONG")) {
      return true;
    }
    timespec pause{0, 20'000'000};
    nanosleep(&pause, nullptr);
  }
  return false;
}

std::vector<double> gaps_of(const std::string& record) {
  std::vector<Record> records = read_records(record);
  std::sort(records.begin(), records.end(),
            [](const Record& a, const Record& b) { return a.ns < b.ns; });
  std::vector<double> gaps;
  for (std::size_t i = 0; i + 1 < records.size(); ++i) {
    if (!records[i].start && records[i + 1].start) {
      gaps.push_back((records[i + 1].ns - records[i].ns) / 1e6);
    }
  }
  return gaps;
}

// `count` launches alternating between hosts a and b (local limit 4: only the cluster limit
// of 1 makes them wait); the first holds until the rest have queued.
std::vector<double> cluster_handoffs(const Context& context, const std::string& dir,
                                     const std::string& url, int count) {
  const std::string record = dir + "/cluster.record";
  std::vector<pid_t> pids;
  for (int i = 0; i < count; ++i) {
    const std::string host = i % 2 == 0 ? "a" : "b";
    pids.push_back(
        spawn({context.shim, "run"},
              base_env({"VQ_QUEUE_DIR=" + dir + "/queue-" + host, "VQ_MAX_PROCESSES=4",
                        "VQ_QUEUE_TIMEOUT=0", "VQ_REAL_VITEST=" + context.fake, "VQ_CLUSTER=" + url,
                        "VQ_CLUSTER_HOST=" + host, "VQ_CLUSTER_LIMIT=1", "VQ_CLUSTER_TTL=5",
                        "BENCH_RECORD=" + record,
                        std::string("BENCH_SLEEP_MS=") + (i == 0 ? "600" : "5")})));
    std::int64_t until = now_ns() + 10'000'000'000LL;
    while (i == 0 && read_records(record).empty() && now_ns() < until) {
      timespec pause{0, 1'000'000};
      nanosleep(&pause, nullptr);
    }
  }
  for (pid_t pid : pids) wait_for(pid);
  return gaps_of(record);
}

void overhead_figures(const Context& context, const std::string& url, Report& report) {
  const int runs = context.smoke ? 5 : 100;
  const std::string dir = fresh_dir(context, "cluster-overhead");
  std::vector<std::string> unset = base_env(
      {"VQ_QUEUE_DIR=" + dir + "/queue-unset", "VQ_REAL_VITEST=" + context.fake, "VQ_WATCH=0"});
  std::vector<std::string> set = base_env(
      {"VQ_QUEUE_DIR=" + dir + "/queue-set", "VQ_REAL_VITEST=" + context.fake, "VQ_WATCH=0",
       "VQ_CLUSTER=" + url, "VQ_CLUSTER_LIMIT=100", "VQ_CLUSTER_QUEUE=overhead"});
  Figure without{"cluster overhead", "VQ_CLUSTER unset"};
  Figure with{"cluster overhead", "VQ_CLUSTER set, idle queue"};
  timed_run({context.shim, "run"}, set);  // the queue's first use waits out its grace period
  for (int i = 0; i < runs; ++i) {
    without.samples.push_back(timed_run({context.shim, "run"}, unset));
    with.samples.push_back(timed_run({context.shim, "run"}, set));
  }
  char note[200];
  std::snprintf(note, sizeof note,
                "launch with VQ_CLUSTER set (idle cluster queue) over unset, median: %.2fx "
                "(%.2f ms vs %.2f ms)",
                median(with.samples) / median(without.samples), median(with.samples),
                median(without.samples));
  report.notes.push_back(note);
  report.figures.push_back(std::move(without));
  report.figures.push_back(std::move(with));
}

}  // namespace

void run_cluster(const Context& context, Report& report) {
  Server server;
  if (::access("/usr/bin/redis-server", X_OK) != 0 || !start_server(context, server)) {
    report.notes.push_back("cluster: skipped: redis-server is not installed or did not start");
    return;
  }
  const std::string url = "redis://127.0.0.1:" + std::to_string(server.port) + "/0";
  const int per_batch = context.smoke ? 4 : 21;
  const int batches = context.smoke ? 1 : 5;
  Figure cluster{"cluster handoff", "vq cluster (host a → b)"};
  Figure local{"cluster handoff", "vq local (same run)"};
  CommandCount commands;
  int admissions = 0;
  for (int batch = 0; batch < batches; ++batch) {
    const std::string dir = fresh_dir(context, "cluster-handoff");
    const CommandCount before = commands_so_far(server.port);
    auto gaps = cluster_handoffs(context, dir, url, per_batch);
    // The keepers' releases come after the last run's end: let them land.
    timespec pause{0, 300'000'000};
    nanosleep(&pause, nullptr);
    const CommandCount after = commands_so_far(server.port);
    commands.sent += after.sent - before.sent;
    commands.all += after.all - before.all;
    admissions += per_batch;
    cluster.samples.insert(cluster.samples.end(), gaps.begin(), gaps.end());
    const std::string record = dir + "/local.record";
    std::vector<pid_t> pids;
    for (int i = 0; i < per_batch; ++i) {
      pids.push_back(spawn({context.shim, "run"},
                           base_env({"VQ_QUEUE_DIR=" + dir + "/queue-local", "VQ_MAX_PROCESSES=1",
                                     "VQ_QUEUE_TIMEOUT=0", "VQ_REAL_VITEST=" + context.fake,
                                     "BENCH_RECORD=" + record,
                                     std::string("BENCH_SLEEP_MS=") + (i == 0 ? "400" : "5")})));
      while (i == 0 && read_records(record).empty()) {
        timespec pause{0, 1'000'000};
        nanosleep(&pause, nullptr);
      }
    }
    for (pid_t pid : pids) wait_for(pid);
    gaps = gaps_of(record);
    local.samples.insert(local.samples.end(), gaps.begin(), gaps.end());
  }
  char note[300];
  std::snprintf(note, sizeof note,
                "cluster handoff over local handoff: p50 %.2fx (%.2f vs %.2f ms), p99 %.2fx "
                "(%.2f vs %.2f ms); Redis commands per admission: %.1f sent by clients, %.1f "
                "with those inside the scripts",
                median(cluster.samples) / median(local.samples), median(cluster.samples),
                median(local.samples),
                percentile(cluster.samples, 99) / percentile(local.samples, 99),
                percentile(cluster.samples, 99), percentile(local.samples, 99),
                static_cast<double>(commands.sent) / admissions,
                static_cast<double>(commands.all) / admissions);
  report.notes.push_back(note);
  report.figures.push_back(std::move(cluster));
  report.figures.push_back(std::move(local));
  overhead_figures(context, url, report);
}

}  // namespace vq::bench
