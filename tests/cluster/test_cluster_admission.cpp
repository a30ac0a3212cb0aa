// Admission across processes: first come, first served by the server's tickets, never more
// holders than the limit, and a bounded number of commands per admission (no polling).
#include <fcntl.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "cluster_test_support.h"
#include "temp_dir.h"

using namespace vq;
using namespace vq::test;
using namespace std::chrono_literals;

namespace {

// The observer's record: one line per admission ("+ i") and release ("- i"), appended by the
// runs themselves as they start and end, read afterwards without asking the server.
void append_record(const std::string& path, const std::string& line) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  write_line(fd, line);
  ::close(fd);
}

// A run: joins, tells the test its ticket, waits for its permit, holds it a little, releases.
int run_once(const cluster::ClusterSettings& settings, int index, int report_fd,
             const std::string& record) {
  auto queue = cluster::ClusterQueue::connect(settings);
  if (!queue) return 10;
  auto ticket = queue->join(member_named("run-" + std::to_string(index)));
  if (!ticket) return 11;
  write_line(report_fd, std::to_string(*ticket));
  auto permit = wait_for_permit(*queue, *ticket, 30s);
  if (!permit) return 12;
  append_record(record, "+ " + std::to_string(index));
  std::this_thread::sleep_for(100ms);
  append_record(record, "- " + std::to_string(index));
  return queue->release(*permit) ? 0 : 13;
}

}  // namespace

int most_at_once(const std::string& path, std::vector<int>& admitted) {
  std::ifstream record(path);
  std::string sign;
  int index = 0, running = 0, most = 0;
  while (record >> sign >> index) {
    running += sign == "+" ? 1 : -1;
    most = std::max(most, running);
    if (sign == "+") admitted.push_back(index);
  }
  return most;
}

TEST(ClusterAdmission, AdmitsInArrivalOrderAcrossProcesses) {
  if (!RedisServer::available()) GTEST_SKIP() << "redis-server is not installed";
  auto server = start_server();
  ASSERT_TRUE(server);
  TempDir dir;
  // Limit 1: each admission is observed apart from the others, so their order is the record's.
  auto settings = settings_for(*server, 1, 1);
  settings.queue = "fifo";
  constexpr int k_runs = 6;
  std::vector<pid_t> runs;
  std::vector<std::uint64_t> tickets;
  for (int i = 0; i < k_runs; ++i) {
    int report[2];
    ASSERT_EQ(::pipe2(report, O_CLOEXEC), 0);
    runs.push_back(spawn([&] { return run_once(settings, i, report[1], dir / "record"); }));
    ::close(report[1]);
    // The next run is started only once this one has its ticket: arrival order is known.
    std::string ticket = read_line(report[0]);
    ::close(report[0]);
    ASSERT_FALSE(ticket.empty()) << "run " << i << " did not join";
    tickets.push_back(std::stoull(ticket));
  }
  for (pid_t run : runs) EXPECT_EQ(exit_status_of(run), 0);
  for (int i = 1; i < k_runs; ++i) EXPECT_LT(tickets[i - 1], tickets[i]);

  std::vector<int> admitted;
  EXPECT_EQ(most_at_once(dir / "record", admitted), 1) << "never more than the cluster limit";
  std::vector<int> arrival(k_runs);
  for (int i = 0; i < k_runs; ++i) arrival[i] = i;
  EXPECT_EQ(admitted, arrival) << "admitted in arrival order";
}

TEST(ClusterAdmission, ManyAtOnceNeverPastTheLimitAndAllRun) {
  if (!RedisServer::available()) GTEST_SKIP() << "redis-server is not installed";
  auto server = start_server();
  ASSERT_TRUE(server);
  TempDir dir;
  auto settings = settings_for(*server, 1, 3);
  constexpr int k_runs = 9;
  int report[2];
  ASSERT_EQ(::pipe2(report, O_CLOEXEC), 0);
  std::vector<pid_t> runs;
  for (int i = 0; i < k_runs; ++i) {
    runs.push_back(spawn([&] { return run_once(settings, i, report[1], dir / "record"); }));
  }
  ::close(report[1]);
  for (pid_t run : runs) EXPECT_EQ(exit_status_of(run), 0);
  ::close(report[0]);
  std::vector<int> admitted;
  EXPECT_EQ(most_at_once(dir / "record", admitted), 3) << "the limit, used and never passed";
  std::sort(admitted.begin(), admitted.end());
  std::vector<int> all(k_runs);
  for (int i = 0; i < k_runs; ++i) all[i] = i;
  EXPECT_EQ(admitted, all) << "every run was admitted once";
}

namespace {

// Commands clients sent, from INFO commandstats: the scripts' own redis.call()s are counted
// there too, under their own names, so only what a client sends is summed (INFO left out).
std::map<std::string, long long> client_commands(cluster::ClusterSettings settings) {
  std::map<std::string, long long> calls;
  std::string line;
  std::ostringstream out;
  FILE* info = ::popen(
      ("redis-cli -p " + std::to_string(settings.port) + " INFO commandstats 2>/dev/null").c_str(),
      "r");
  char buffer[512];
  while (info != nullptr && std::fgets(buffer, sizeof buffer, info) != nullptr) out << buffer;
  if (info != nullptr) ::pclose(info);
  std::istringstream text(out.str());
  while (std::getline(text, line)) {
    for (std::string name : {"evalsha", "eval", "blpop", "auth", "select", "script"}) {
      std::string field = "cmdstat_" + name + ":calls=";
      if (line.starts_with(field)) calls[name] = std::stoll(line.substr(field.size()));
    }
  }
  return calls;
}

long long total_since(const std::map<std::string, long long>& before,
                      const std::map<std::string, long long>& after) {
  long long total = 0;
  for (const auto& [name, calls] : after) {
    auto was = before.find(name);
    total += calls - (was == before.end() ? 0 : was->second);
  }
  return total;
}

}  // namespace

TEST(ClusterAdmission, AHandoffToABlockedWaiterCostsAFewCommandsAndNoPolling) {
  if (!RedisServer::available()) GTEST_SKIP() << "redis-server is not installed";
  if (::system("command -v redis-cli >/dev/null") != 0) GTEST_SKIP() << "no redis-cli";
  auto server = start_server();
  ASSERT_TRUE(server);
  // A long TTL: the waiter's heartbeats are 3.3 s apart, so in the second measured below a
  // polling client would show up and this one must not.
  auto settings = settings_for(*server, 10, 1);
  // A fresh queue admits nobody for one TTL of its first client (the re-registration grace):
  // a 1 s client starts it.
  auto starter = cluster::ClusterQueue::connect(settings_for(*server, 1, 1));
  ASSERT_TRUE(starter && starter->snapshot());
  auto holder = cluster::ClusterQueue::connect(settings);
  ASSERT_TRUE(holder) << holder.error().message;
  auto first = holder->join(member_named("holder"));
  ASSERT_TRUE(first);
  auto permit = wait_for_permit(*holder, *first, 5s);
  ASSERT_TRUE(permit);

  int report[2], command[2];
  ASSERT_EQ(::pipe2(report, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(command, O_CLOEXEC), 0);
  pid_t waiter = spawn([&] {
    auto queue = cluster::ClusterQueue::connect(settings);
    if (!queue) return 10;
    auto ticket = queue->join(member_named("waiter"));
    if (!ticket || !queue->wait_turn(*ticket, 0ms)) return 11;
    write_line(report[1], "joined");
    auto got = wait_for_permit(*queue, *ticket, 20s);
    write_line(report[1], got ? "admitted" : "timeout");
    read_line(command[0]);  // released only after the count
    return got && queue->release(*got) ? 0 : 12;
  });
  ::close(report[1]);
  ::close(command[0]);
  ASSERT_EQ(read_line(report[0]), "joined");
  std::this_thread::sleep_for(300ms);  // into its BLPOP
  auto idle_start = client_commands(settings);
  std::this_thread::sleep_for(1s);
  auto idle_end = client_commands(settings);
  EXPECT_EQ(total_since(idle_start, idle_end), 0) << "a blocked waiter sends nothing";

  ASSERT_TRUE(holder->release(*permit));
  EXPECT_EQ(read_line(report[0]), "admitted");
  auto after = client_commands(settings);
  long long handoff = total_since(idle_end, after);
  write_line(command[1], "release");
  std::cout << "client commands for one handoff (release → waiter admitted): " << handoff << "\n";
  // The release script and the waiter's BLPOP returning (a heartbeat is 3.3 s away).
  EXPECT_EQ(handoff, 2);
  EXPECT_EQ(exit_status_of(waiter), 0);
  ::close(report[0]);
  ::close(command[1]);
}

TEST(ClusterAdmission, LevelsAndTheAgeBonusOrderTheLineAsLocally) {
  if (!RedisServer::available()) GTEST_SKIP() << "redis-server is not installed";
  auto server = start_server();
  ASSERT_TRUE(server);
  auto settings = settings_for(*server, 2, 1);
  auto holder = cluster::ClusterQueue::connect(settings);
  ASSERT_TRUE(holder);
  auto held = holder->join(member_named("holder"));
  ASSERT_TRUE(held);
  auto permit = wait_for_permit(*holder, *held, 5s);
  ASSERT_TRUE(permit);
  // Arrival: a low waiter whose age bound is 1 s, then a normal one, then a high one.
  auto waiter = [&](const std::string& agent, int level, std::uint64_t bound_ms) {
    auto queue = cluster::ClusterQueue::connect(settings);
    auto member = member_named(agent);
    member.priority = level;
    member.age_bound_ms = bound_ms;
    auto ticket = queue->join(member);
    return std::make_pair(std::move(*queue), *ticket);
  };
  auto low = waiter("low", 0, 1000);
  auto normal = waiter("normal", 1, 0);
  auto high = waiter("high", 2, 0);
  auto order = [&] {
    std::vector<std::string> agents;
    auto snapshot = holder->snapshot();
    for (const auto& w : snapshot->waiters) agents.push_back(w.member.agent);
    return agents;
  };
  EXPECT_EQ(order(), (std::vector<std::string>{"high", "normal", "low"}));
  // Half the bound: low has gained one level, level with normal, and arrived first.
  std::this_thread::sleep_for(550ms);
  EXPECT_EQ(order(), (std::vector<std::string>{"high", "low", "normal"}));
  std::this_thread::sleep_for(500ms);  // the whole bound: at high, before the later high
  EXPECT_EQ(order(), (std::vector<std::string>{"low", "high", "normal"}));
  ASSERT_TRUE(holder->release(*permit));
  auto turn = low.first.wait_turn(low.second, 0ms);
  ASSERT_TRUE(turn);
  EXPECT_TRUE(turn->permit) << "the head of the line's order was admitted";
}

TEST(ClusterAdmission, APerAgentCapHoldsAcrossHostsAndTheNextInLineGoes) {
  if (!RedisServer::available()) GTEST_SKIP() << "redis-server is not installed";
  auto server = start_server();
  ASSERT_TRUE(server);
  auto settings = settings_for(*server, 2, 3);
  // Past the fresh queue's grace first, so that nobody waits long enough to need heartbeats.
  auto starter = cluster::ClusterQueue::connect(settings_for(*server, 1, 3));
  ASSERT_TRUE(starter && starter->snapshot());
  std::this_thread::sleep_for(1100ms);
  auto run = [&](const std::string& agent, const std::string& host) {
    auto queue = cluster::ClusterQueue::connect(settings);
    auto member = member_named(agent);
    member.host = host;
    member.per_agent = 1;
    auto ticket = queue->join(member);
    return std::make_pair(std::move(*queue), *ticket);
  };
  auto x_on_a = run("x", "host-a");
  auto x_on_b = run("x", "host-b");
  auto y_on_b = run("y", "host-b");
  auto first = wait_for_permit(x_on_a.first, x_on_a.second, 5s);
  ASSERT_TRUE(first);
  EXPECT_TRUE(wait_for_permit(y_on_b.first, y_on_b.second, 1s)) << "passed the capped x";
  auto capped = x_on_b.first.wait_turn(x_on_b.second, 0ms);
  ASSERT_TRUE(capped);
  EXPECT_FALSE(capped->permit) << "x already runs on host-a: room left, but x is at its cap";
  ASSERT_TRUE(x_on_a.first.release(*first));
  EXPECT_TRUE(wait_for_permit(x_on_b.first, x_on_b.second, 1s));
}
