#include "request_router.h"

#include <gtest/gtest.h>

namespace vq::dashboard {
namespace {

const std::string k_secret = "0123456789abcdef0123456789abcdef";

struct Fixture {
  std::vector<std::string> calls;
  RequestRouter router(bool read_only) {
    std::vector<Control> controls{
        {"pause",
         "Pause",
         Control::Target::queue,
         {},
         [this](const std::map<std::string, long>&, const Actor& actor) -> Result<std::string> {
           calls.push_back("pause " + actor.describe());
           return std::string("paused");
         }},
        {"limit",
         "Set limit",
         Control::Target::queue,
         {"limit"},
         [this](const std::map<std::string, long>& args, const Actor&) -> Result<std::string> {
           if (args.at("limit") > 64) return Error::of_kind(ErrorKind::bad_config, "too high");
           calls.push_back("limit " + std::to_string(args.at("limit")));
           return std::string("ok");
         }},
    };
    DataSources sources;
    sources.status = [] { return Result<std::string>(std::string("{\"schema_version\":2}\n")); };
    return RequestRouter(AccessToken(k_secret, "abcd1234"), read_only, controls, sources);
  }
};

Request request(http::verb verb, const std::string& target, const std::string& token_header = "",
                const std::string& body = "") {
  Request out{verb, target, 11};
  if (!token_header.empty()) out.set("X-VQ-Token", token_header);
  out.body() = body;
  out.prepare_payload();
  return out;
}

TEST(RequestRouter, ThePageNeedsNoTokenTheApiDoes) {
  Fixture f;
  auto router = f.router(false);
  EXPECT_EQ(router.route(request(http::verb::get, "/"), {}).response.result(), http::status::ok);
  EXPECT_EQ(router.route(request(http::verb::get, "/api/status"), {}).response.result(),
            http::status::forbidden);
  EXPECT_EQ(router.route(request(http::verb::get, "/api/status?token=wrong"), {}).response.result(),
            http::status::forbidden);
  auto status = router.route(request(http::verb::get, "/api/status?token=" + k_secret), {});
  EXPECT_EQ(status.response.result(), http::status::ok);
  EXPECT_EQ(status.response.body(), "{\"schema_version\":2}\n");
  Request bearer{http::verb::get, "/api/status", 11};
  bearer.set(http::field::authorization, "Bearer " + k_secret);
  EXPECT_EQ(router.route(bearer, {}).response.result(), http::status::ok);
}

TEST(RequestRouter, AControlNeedsTheTokenInAHeaderNotTheAddress) {
  Fixture f;
  auto router = f.router(false);
  EXPECT_EQ(router.route(request(http::verb::post, "/api/control/pause"), {}).response.result(),
            http::status::forbidden);
  EXPECT_EQ(router.route(request(http::verb::post, "/api/control/pause?token=" + k_secret), {})
                .response.result(),
            http::status::forbidden);
  EXPECT_TRUE(f.calls.empty());
  auto done = router.route(request(http::verb::post, "/api/control/pause", k_secret),
                           {"127.0.0.1:5", std::nullopt});
  EXPECT_EQ(done.response.result(), http::status::ok);
  ASSERT_EQ(f.calls.size(), 1u);
  EXPECT_NE(f.calls[0].find("token=abcd1234 peer=127.0.0.1:5"), std::string::npos) << f.calls[0];
}

TEST(RequestRouter, ReadOnlyRefusesEveryControl) {
  Fixture f;
  auto router = f.router(true);
  auto refused = router.route(request(http::verb::post, "/api/control/pause", k_secret), {});
  EXPECT_EQ(refused.response.result(), http::status::forbidden);
  EXPECT_NE(refused.response.body().find("read-only"), std::string::npos);
  EXPECT_TRUE(f.calls.empty());
}

TEST(RequestRouter, ControlParametersAreCheckedBeforeTheAction) {
  Fixture f;
  auto router = f.router(false);
  for (const char* body : {"", "{", "{\"limit\":\"2\"}", "[2]", "{\"other\":2}"}) {
    EXPECT_EQ(router.route(request(http::verb::post, "/api/control/limit", k_secret, body), {})
                  .response.result(),
              http::status::bad_request)
        << body;
  }
  EXPECT_TRUE(f.calls.empty());
  EXPECT_EQ(
      router.route(request(http::verb::post, "/api/control/limit", k_secret, "{\"limit\":99}"), {})
          .response.result(),
      http::status::bad_request)
      << "the action's bad_config error";
  EXPECT_EQ(
      router.route(request(http::verb::post, "/api/control/limit", k_secret, "{\"limit\":3}"), {})
          .response.result(),
      http::status::ok);
  EXPECT_EQ(f.calls, std::vector<std::string>{"limit 3"});
}

TEST(RequestRouter, UnknownPathsMethodsAndMissingSourcesAnswer4xxOr501) {
  Fixture f;
  auto router = f.router(false);
  auto get = [&](const std::string& target) {
    return router.route(request(http::verb::get, target), {}).response.result();
  };
  EXPECT_EQ(get("/nowhere?token=" + k_secret), http::status::not_found);
  EXPECT_EQ(get("/api/history?token=" + k_secret), http::status::not_implemented);
  EXPECT_EQ(get("/metrics?token=" + k_secret), http::status::not_implemented);
  EXPECT_EQ(router.route(request(http::verb::post, "/api/control/nothing", k_secret), {})
                .response.result(),
            http::status::not_found);
  EXPECT_EQ(
      router.route(request(http::verb::delete_, "/api/status", k_secret), {}).response.result(),
      http::status::method_not_allowed);
  EXPECT_EQ(
      router.route(request(http::verb::get, "/api/control/pause", k_secret), {}).response.result(),
      http::status::method_not_allowed);
}

TEST(RequestRouter, TheEventStreamIsOpenedOnlyWithTheToken) {
  Fixture f;
  auto router = f.router(false);
  EXPECT_FALSE(router.route(request(http::verb::get, "/api/events"), {}).opens_stream);
  EXPECT_TRUE(
      router.route(request(http::verb::get, "/api/events?token=" + k_secret), {}).opens_stream);
}

TEST(RequestRouter, TargetQueryDecodesPercentAndPlus) {
  auto query = target_query("/x?a=1%2F2&b=c+d&flag&token=t%3");
  EXPECT_EQ(query["a"], "1/2");
  EXPECT_EQ(query["b"], "c d");
  EXPECT_EQ(query["token"], "t%3");
  EXPECT_EQ(query.count("flag"), 0u);
  EXPECT_EQ(target_path("/x?a=1"), "/x");
}

}  // namespace
}  // namespace vq::dashboard
