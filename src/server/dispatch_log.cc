#include "server/dispatch_log.h"

#include "api/site_protocol.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace suanwang {
std::string RunPayload(uint64_t job, size_t task, size_t tasks, uint64_t attempt, const std::string& tenant,
                       const std::string& node, const Placement& placement, const TaskShape& shape,
                       const std::vector<std::string>& argv) {
  RunCommand run;
  run.job = job;
  run.task = static_cast<int>(task);
  run.tasks = static_cast<int>(tasks);
  run.attempt = attempt;
  run.tenant = tenant;
  run.node = node;
  for (int8_t g : placement.gpus.view()) run.gpus.push_back(g);
  run.cpu_milli = shape.cpu_milli;
  run.memory_mib = shape.memory_mib;
  run.gpu_milli = shape.UsesGpu() ? shape.gpu_milli : 0;
  run.argv = argv;
  return FormatSiteCommand(run);
}

std::string KillPayload(uint64_t job, int64_t notice_s) { return FormatSiteCommand(KillCommand{job, notice_s}); }

Result<StoredDispatch> AppendDispatch(Transaction& tx, const DispatchSigner& signer, const std::string& site,
                                      uint64_t job, const std::string& payload, Timestamp now) {
  SW_TRY(last, tx.LastDispatchSeq(site));
  const SignedCommand signed_command = signer.Sign(site, last + 1, payload);
  StoredDispatch dispatch{site, last + 1, job, payload, signed_command.signature, now};
  SW_CHECK(tx.InsertDispatch(dispatch));
  return dispatch;
}

std::string DispatchListJson(const std::vector<StoredDispatch>& dispatches, uint64_t after_seq) {
  nlohmann::json list = nlohmann::json::array();
  for (const StoredDispatch& d : dispatches) {
    list.push_back({{"site", d.site},
                    {"seq", d.seq},
                    {"job", d.job_id},
                    {"payload", d.payload},
                    {"signature", d.signature},
                    {"created_ms", d.created_ms}});
  }
  const uint64_t next = dispatches.empty() ? after_seq : dispatches.back().seq;
  return nlohmann::json{{"dispatches", list}, {"next_after", next}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace suanwang
