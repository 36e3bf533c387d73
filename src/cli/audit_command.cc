#include "cli/audit_command.h"

#include <cstdio>
#include <cstdlib>

#include "cli/cli_util.h"
#include "store/store.h"

namespace suanwang {

int RunAuditVerify(const std::string& store_flag, const std::string& home_flag) {
  std::string url = store_flag;
  if (url.empty()) {
    std::string home = !home_flag.empty()               ? home_flag
                       : std::getenv("SUANWANG_HOME") ? std::getenv("SUANWANG_HOME")
                                                      : ".suanwang";
    url = "sqlite://" + home + "/suanwang.db";
  }
  auto store = OpenStore(url);
  if (!store) return Fail(store.error());
  auto tx = (*store)->Begin();
  if (!tx) return Fail(tx.error());
  std::string prev(64, '0');
  uint64_t after = 0, count = 0;
  while (true) {
    auto page = (*tx)->ReadAudit(after, 10000);
    if (!page) return Fail(page.error());
    if (page->empty()) break;
    if (auto ok = VerifyAuditChain(*page, prev); !ok) {
      std::fprintf(stderr, "error: %s\n", ok.error().message.c_str());
      return 1;
    }
    if (page->front().seq != after + 1) {
      std::fprintf(stderr, "error: audit entry %llu is missing (next is %llu)\n",
                   static_cast<unsigned long long>(after + 1), static_cast<unsigned long long>(page->front().seq));
      return 1;
    }
    prev = page->back().hash;
    after = page->back().seq;
    count += page->size();
  }
  std::printf("audit log: %llu entries, hash chain intact (head %s)\n", static_cast<unsigned long long>(count),
              prev.c_str());
  return 0;
}

}  // namespace suanwang
