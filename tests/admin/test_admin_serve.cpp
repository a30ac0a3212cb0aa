// `vq-admin serve`: the real binary over real sockets, against real shim holders and waiters;
// `vq-admin status` and the event log are the independent observers of what a control did.
#include <signal.h>
#include <sys/wait.h>

#include <memory>
#include <optional>
#include <regex>

#include "admin_harness.h"
#include "history_store.h"
#include "http_client.h"

namespace vq::mp {
namespace {

class AdminServeTest : public AdminTest {
 protected:
  // Starts `vq-admin serve ARGS` and reads the port and token from the URL it prints.
  void serve(std::vector<std::string> args = {}, const Env& overrides = {}) {
    args.insert(args.begin(), "serve");
    m_server.emplace(admin_launch(args, overrides));
    std::smatch match;
    const std::regex url("Open: http://127\\.0\\.0\\.1:([0-9]+)/\\?token=([0-9a-f]{32})");
    ASSERT_TRUE(eventually([&] {
      m_out = m_server->stdout_text();
      return std::regex_search(m_out, match, url);
    })) << m_server->stdout_text()
        << m_server->stderr_text();
    m_port = std::stoi(match[1]);
    m_token = match[2];
  }

  HttpReply get(const std::string& target, bool with_token = true) {
    return http_exchange(m_port, http_request_text("GET", target, token_header(with_token)));
  }
  HttpReply post(const std::string& control, const std::string& body = "", bool with_token = true) {
    return http_exchange(m_port, http_request_text("POST", "/api/control/" + control,
                                                   token_header(with_token), body));
  }
  std::map<std::string, std::string> token_header(bool with_token) const {
    if (!with_token) return {};
    return {{"X-VQ-Token", m_token}};
  }
  std::unique_ptr<HttpConnection> open_stream(const std::string& last_event_id = "") {
    auto stream = std::make_unique<HttpConnection>(m_port);
    std::map<std::string, std::string> headers;
    if (!last_event_id.empty()) headers["Last-Event-ID"] = last_event_id;
    stream->send(http_request_text("GET", "/api/events?token=" + m_token, headers));
    return stream;
  }
  std::string log_text() const { return read_file(queue_dir() + "/vitest-queue.log"); }

  std::optional<Process> m_server;
  std::string m_out;
  int m_port = 0;
  std::string m_token;
};

// The last `id:` of a stream so far.
std::string last_event_id(const std::string& stream) {
  std::size_t at = stream.rfind("\nid: ");
  if (at == std::string::npos) return "";
  std::size_t end = stream.find('\n', at + 5);
  return stream.substr(at + 5, end - at - 5);
}

TEST_F(AdminServeTest, ControlWithoutTheTokenIsForbiddenAndChangesNothing) {
  Process holder = start_holder("holder", {{"FAKE_SLEEP_MS", "30000"}});
  serve();
  EXPECT_EQ(post("pause", "", false).status, 403);
  EXPECT_EQ(http_exchange(m_port, http_request_text("POST", "/api/control/pause",
                                                    {{"X-VQ-Token", std::string(32, '0')}}))
                .status,
            403);
  EXPECT_EQ(http_exchange(m_port, http_request_text("POST", "/api/control/pause?token=" + m_token))
                .status,
            403)
      << "a control's token goes in a header, never the address";
  EXPECT_EQ(get("/api/status", false).status, 403);
  EXPECT_EQ(status_json()["paused"], false);

  HttpReply paused = post("pause");
  EXPECT_EQ(paused.status, 200) << paused.body;
  EXPECT_EQ(status_json()["paused"], true);
  std::smatch id;
  ASSERT_TRUE(std::regex_search(m_out, id, std::regex("token id ([0-9a-f]{8})"))) << m_out;
  EXPECT_NE(log_text().find("event=paused by=dashboard uid=" + std::to_string(::getuid()) +
                            " token=" + id[1].str()),
            std::string::npos)
      << log_text();
}

TEST_F(AdminServeTest, ReadOnlyRefusesEveryControlButShowsTheQueue) {
  Process holder = start_holder("holder", {{"FAKE_SLEEP_MS", "30000"}});
  serve({"--read-only"});
  for (const auto& [control, body] : std::vector<std::pair<std::string, std::string>>{
           {"pause", ""}, {"resume", ""}, {"limit", "{\"limit\":1}"}, {"cancel", "{\"pid\":1}"}}) {
    HttpReply refused = post(control, body);
    EXPECT_EQ(refused.status, 403) << control;
    EXPECT_NE(refused.body.find("read-only"), std::string::npos) << refused.body;
  }
  EXPECT_EQ(status_json()["paused"], false);
  EXPECT_EQ(get("/api/status").status, 200);
}

TEST_F(AdminServeTest, TwentyStreamsAgainstACapOfEightGet503BeyondItWhileStatusAnswers) {
  serve();
  std::vector<std::unique_ptr<HttpConnection>> streams;
  for (int i = 0; i < 20; ++i) streams.push_back(open_stream());
  int open = 0, refused = 0;
  for (auto& stream : streams) {
    HttpReply reply = parse_reply(stream->read_until("\r\n\r\n", 5s));
    if (reply.status == 200) ++open;
    if (reply.status == 503) ++refused;
  }
  EXPECT_EQ(open, 8);
  EXPECT_EQ(refused, 12);
  HttpReply status = get("/api/status");
  ASSERT_EQ(status.status, 200);
  EXPECT_EQ(nlohmann::json::parse(status.body), status_json()) << "the same as status --json";
  streams.resize(2);  // six leave: their places are free again
  ASSERT_TRUE(eventually(
      [&] {
        auto late = open_stream();
        return parse_reply(late->read_until("\r\n\r\n", 2s)).status == 200;
      },
      5s));
}

TEST_F(AdminServeTest, ShutdownWithOpenStreamsTakesUnderASecondAndEndsThem) {
  serve();
  std::vector<std::unique_ptr<HttpConnection>> streams;
  for (int i = 0; i < 8; ++i) {
    streams.push_back(open_stream());
    ASSERT_NE(streams.back()->read_until("event: status", 5s).find("event: status"),
              std::string::npos);
  }
  const auto before = monotonic_ns();
  m_server->send(SIGTERM);
  auto status = m_server->wait(5s);
  const double stop_ms = (monotonic_ns() - before) / 1e6;
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(0));
  std::printf("[   INFO   ] stopped with 8 open streams in %.1f ms\n", stop_ms);
  EXPECT_LT(stop_ms, 1000.0);
  for (auto& stream : streams) EXPECT_TRUE(stream->closed_within(1s));
}

TEST_F(AdminServeTest, MalformedAndOversizedRequestsGet4xxAndTheServerGoesOn) {
  serve();
  EXPECT_EQ(http_exchange(m_port, "HELLO THERE\r\n\r\n").status, 400);
  EXPECT_EQ(http_exchange(m_port, "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n").status,
            400);
  EXPECT_EQ(http_exchange(m_port, http_request_text("GET", "/api/status",
                                                    {{"X-Big", std::string(20000, 'a')}}))
                .status,
            431);
  EXPECT_EQ(
      http_exchange(m_port, http_request_text("POST", "/api/control/limit",
                                              {{"X-VQ-Token", m_token}}, std::string(100000, '{')))
          .status,
      413);
  EXPECT_EQ(post("limit", "{\"limit\":").status, 400);
  EXPECT_EQ(post("limit", "{\"limit\":0}").status, 400);
  EXPECT_EQ(get("/api/nothing").status, 404);
  // Half a request, then gone.
  {
    HttpConnection half(m_port);
    half.send("GET /api/status HTTP/1.1\r\nHo");
  }
  EXPECT_EQ(get("/api/status").status, 200);
  EXPECT_FALSE(m_server->has_exited());
}

TEST_F(AdminServeTest, TheStreamSendsASnapshotThenAHolderWithinASecond) {
  serve();
  auto stream = open_stream();
  ASSERT_NE(stream->read_until("\n\n", 5s).find("event: status"), std::string::npos);
  Process holder = start_holder("holder", {{"FAKE_SLEEP_MS", "30000"}});
  const auto started = monotonic_ns();
  const std::string pid = "\"pid\":" + std::to_string(holder.pid());
  ASSERT_NE(stream->read_until(pid, 5s).find(pid), std::string::npos) << stream->received();
  const double seen_ms = (monotonic_ns() - started) / 1e6;
  std::printf("[   INFO   ] holder in the stream %.1f ms after it started\n", seen_ms);
  EXPECT_LT(seen_ms, 1000.0);
}

// No holders, so no live figures: the only events are the snapshot and the pause.
TEST_F(AdminServeTest, AReconnectWithTheLatestIdGetsNoRepeatAnOlderOneCatchesUp) {
  serve();
  auto stream = open_stream();
  ASSERT_NE(stream->read_until("\n\n", 5s).find("event: status"), std::string::npos);
  const std::string first_id = last_event_id(stream->received());
  ASSERT_EQ(admin({"pause"}).status, 0);
  ASSERT_NE(stream->read_until("\"paused\":true", 5s).find("\"paused\":true"), std::string::npos)
      << stream->received();
  const std::string latest = last_event_id(stream->received());
  EXPECT_NE(latest, first_id);

  auto resumed = open_stream(latest);
  EXPECT_NE(resumed->read_until(": up to date", 5s).find(": up to date"), std::string::npos)
      << resumed->received();
  EXPECT_EQ(resumed->received().find("event: status"), std::string::npos) << "no repeat";
  auto behind = open_stream(first_id);
  EXPECT_NE(behind->read_until("\"paused\":true", 5s).find("\"paused\":true"), std::string::npos)
      << "caught up: " << behind->received();
}

TEST_F(AdminServeTest, CancelSendsAWaiterOnItsWayAndIsLoggedWithWho) {
  Process holder = start_holder("holder", {{"VQ_MAX_PROCESSES", "1"}, {"FAKE_SLEEP_MS", "30000"}});
  Process waiter = start_waiter("waiter", {{"FAKE_SLEEP_MS", "10"}});
  serve();
  HttpReply not_a_waiter = post("cancel", "{\"pid\":" + std::to_string(holder.pid()) + "}");
  EXPECT_EQ(not_a_waiter.status, 404) << not_a_waiter.body;
  HttpReply cancelled = post("cancel", "{\"pid\":" + std::to_string(waiter.pid()) + "}");
  EXPECT_EQ(cancelled.status, 200) << cancelled.body;
  auto status = waiter.wait(10s);
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), killed_by(SIGTERM));
  EXPECT_FALSE(has_started("waiter"));
  EXPECT_FALSE(holder.has_exited());
  EXPECT_NE(
      log_text().find("event=cancelled waiter=" + std::to_string(waiter.pid()) + " by=dashboard"),
      std::string::npos)
      << log_text();
}

TEST_F(AdminServeTest, LimitFromTheDashboardAdmitsAWaiter) {
  Process holder = start_holder("holder", {{"VQ_MAX_PROCESSES", "1"}, {"FAKE_SLEEP_MS", "30000"}});
  Process waiter = start_waiter("waiter", {{"FAKE_SLEEP_MS", "30000"}});
  serve();
  HttpReply raised = post("limit", "{\"limit\":2}");
  EXPECT_EQ(raised.status, 200) << raised.body;
  EXPECT_TRUE(eventually([&] { return has_started("waiter"); }, 10s));
  EXPECT_EQ(status_json()["limit"], 2);
  EXPECT_NE(log_text().find("event=limit-changed from=1 to=2 by=dashboard"), std::string::npos)
      << log_text();
}

TEST_F(AdminServeTest, PriorityAndUrgentFromTheDashboardReorderTheLineAndAreLoggedWithWho) {
  Process holder = start_holder("holder", {{"VQ_MAX_PROCESSES", "1"}, {"FAKE_SLEEP_MS", "30000"}});
  Process first = start_waiter("first", {{"FAKE_SLEEP_MS", "30000"}});
  Process second = start_waiter("second", {{"FAKE_SLEEP_MS", "30000"}});
  serve();
  HttpReply out_of_range =
      post("priority", "{\"pid\":" + std::to_string(second.pid()) + ",\"level\":7}");
  EXPECT_EQ(out_of_range.status / 100, 4) << out_of_range.body;
  HttpReply raised = post("priority", "{\"pid\":" + std::to_string(second.pid()) + ",\"level\":2}");
  EXPECT_EQ(raised.status, 200) << raised.body;
  auto line = status_json()["waiting"];
  ASSERT_EQ(line.size(), 2u);
  EXPECT_EQ(line[0]["pid"], second.pid());
  EXPECT_EQ(line[0]["priority"], "high");
  HttpReply urgent = post("urgent", "{\"pid\":" + std::to_string(first.pid()) + "}");
  EXPECT_EQ(urgent.status, 200) << urgent.body;
  line = status_json()["waiting"];
  ASSERT_EQ(line.size(), 2u);
  EXPECT_EQ(line[0]["pid"], first.pid());
  EXPECT_EQ(line[0]["priority"], "urgent");
  EXPECT_NE(log_text().find("event=priority-changed"), std::string::npos) << log_text();
  EXPECT_NE(log_text().find("to=high position=1 by=dashboard"), std::string::npos) << log_text();
  EXPECT_FALSE(holder.has_exited());
}

TEST_F(AdminServeTest, AnAddressBeyondLoopbackIsServedOnlyWhenAskedAndWarns) {
  m_server.emplace(admin_launch({"serve", "--listen", "0.0.0.0:0"}));
  ASSERT_TRUE(eventually([&] {
    return m_server->stdout_text().find("Open: ") != std::string::npos;
  })) << m_server->stderr_text();
  EXPECT_NE(m_server->stderr_text().find("vq: warning: serving on 0.0.0.0:"), std::string::npos)
      << m_server->stderr_text();
  AdminResult bad = admin({"serve", "--listen", "localhost:80"});
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("numeric"), std::string::npos) << bad.err;
}

TEST_F(AdminServeTest, AUnixSocketServesTheApiAndLogsThePeersUid) {
  const std::string socket = tmp() + "/dash.sock";
  m_server.emplace(admin_launch({"serve", "--socket", socket}));
  std::smatch match;
  ASSERT_TRUE(eventually([&] {
    m_out = m_server->stdout_text();
    return std::regex_search(m_out, match, std::regex("X-VQ-Token: ([0-9a-f]{32})"));
  })) << m_server->stderr_text();
  HttpConnection connection(socket);
  connection.send(http_request_text("POST", "/api/control/pause", {{"X-VQ-Token", match[1]}}));
  connection.closed_within(5s);
  EXPECT_EQ(parse_reply(connection.received()).status, 200) << connection.received();
  EXPECT_NE(log_text().find("peer_uid=" + std::to_string(::getuid())), std::string::npos)
      << log_text();
}

TEST_F(AdminServeTest, HistoryAndMetricsAreWhatTheVerbsPrint) {
  const Env with_db{{"VQ_HISTORY", tmp() + "/history.sqlite"}};
  {
    auto store = history::HistoryStore::open(tmp() + "/history.sqlite");
    ASSERT_TRUE(store.ok()) << store.error().message;
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    for (int i = 0; i < 3; ++i) {
      history::RunRecord run;
      run.queue_dir = queue_dir();
      run.agent = "agent-" + std::to_string(i);
      run.project = "/p" + std::to_string(i % 2);
      run.queued_at_ms = now - 5000 - i * 1000;
      run.admitted_at_ms = now - 3000 - i * 1000;
      run.ended_at_ms = now - i * 1000;
      run.peak_memory_bytes = (100 + i) << 20;
      run.end = history::RunEnd::exited;
      ASSERT_TRUE(store->append(run).ok());
    }
  }
  serve({}, with_db);
  HttpReply history = get("/api/history?limit=2");
  ASSERT_EQ(history.status, 200) << history.body;
  const AdminResult printed = admin({"history", "--json", "--limit", "2"}, with_db);
  ASSERT_EQ(printed.status, 0) << printed.err;
  EXPECT_EQ(nlohmann::json::parse(history.body), nlohmann::json::parse(printed.out));
  EXPECT_EQ(nlohmann::json::parse(history.body)["runs"].size(), 2u);
  EXPECT_EQ(get("/api/history?limit=0").status, 400);
  EXPECT_EQ(get("/api/history?since=yesterday").status, 400);

  HttpReply metrics = get("/metrics");
  ASSERT_EQ(metrics.status, 200) << metrics.body;
  EXPECT_NE(metrics.head.find("Content-Type: text/plain; version=0.0.4"), std::string::npos);
  EXPECT_EQ(metrics.body, admin({"metrics"}, with_db).out);
  EXPECT_EQ(get("/metrics", false).status, 403);
}

}  // namespace
}  // namespace vq::mp
