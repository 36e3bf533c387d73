#include "server/request_head.h"

#include <gtest/gtest.h>

namespace suanwang {
namespace {

TEST(RequestHeadTest, NamesAreLowerCasedAndRepeatableFieldsJoined) {
  auto r = RequestFromHead("POST", "/v1/jobs?x=1", {{"Authorization", "Bearer t"}, {"Accept", "a"}, {"ACCEPT", "b"},
                                                    {"X-Note", "tab\there"}});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->method, "POST");
  EXPECT_EQ(r->target, "/v1/jobs?x=1");
  EXPECT_EQ(r->Header("authorization"), "Bearer t");
  EXPECT_EQ(r->Header("accept"), "a, b");
  EXPECT_EQ(r->Header("x-note"), "tab\there");
  EXPECT_TRUE(r->body.empty());
}

TEST(RequestHeadTest, FieldsThatMeanOneThingMayAppearOnce) {
  for (const char* name : {"Authorization", "idempotency-key", "Host", "Content-Type"}) {
    auto r = RequestFromHead("GET", "/", {{name, "a"}, {name, "b"}});
    ASSERT_FALSE(r) << name;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(r.error().message, std::string("header field ") + name + " is repeated; send it once");
  }
  // Two spellings of one name are one field.
  auto r = RequestFromHead("GET", "/", {{"Authorization", "a"}, {"AUTHORIZATION", "b"}});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("AUTHORIZATION is repeated"), std::string::npos) << r.error().message;
}

TEST(RequestHeadTest, TargetsAndValuesMustBeText) {
  auto target = RequestFromHead("GET", "/v1/jobs/\xff\xfe", {});
  ASSERT_FALSE(target);
  EXPECT_EQ(target.error().message, "request target: invalid UTF-8 at byte 9");
  auto control = RequestFromHead("GET", "/v1/\x01", {});
  ASSERT_FALSE(control);
  EXPECT_NE(control.error().message.find("request target: control character 0x01"), std::string::npos)
      << control.error().message;
  auto value = RequestFromHead("POST", "/v1/jobs", {{"Idempotency-Key", "k\xc3\x28"}});
  ASSERT_FALSE(value);
  EXPECT_EQ(value.error().message.rfind("header field Idempotency-Key: invalid UTF-8 at byte 1", 0), 0u)
      << value.error().message;
  auto nul = RequestFromHead("GET", "/", {{"X-A", std::string_view("a\0b", 3)}});
  ASSERT_FALSE(nul);
  EXPECT_NE(nul.error().message.find("control character 0x00"), std::string::npos) << nul.error().message;
  // UTF-8 text beyond ASCII is fine.
  EXPECT_TRUE(RequestFromHead("GET", "/v1/sites/\xe4\xb8\xad", {{"X-Name", "\xe7\xae\x97\xe7\xbd\x91"}}));
}

}  // namespace
}  // namespace suanwang
