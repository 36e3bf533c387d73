#include "agent/slurm_batch.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/task_claim.h"

namespace suanwang {
namespace {

// 'text' quoted for a POSIX shell.
std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// "1m2.500000s" (dash) or "1m2.500s" (bash) in seconds; 0 when unreadable.
double ParseShellTime(const std::string& text) {
  const auto m = text.find('m');
  if (m == std::string::npos || text.empty() || text.back() != 's') return 0;
  return std::atof(text.substr(0, m).c_str()) * 60 + std::atof(text.substr(m + 1).c_str());
}

Timestamp ModifiedMs(const std::string& path) {
  std::error_code ec;
  const auto t = std::filesystem::last_write_time(path, ec);
  if (ec) return 0;
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

Result<void> WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) return MakeError(ErrorCode::kUnavailable, path + ": cannot write");
  return {};
}

}  // namespace

std::optional<SlurmExitRecord> ReadSlurmExitRecord(const std::string& workdir) {
  const std::string path = workdir + "/" + kSlurmExitFile;
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  // The shell's `times` (its own user and system time, then its children's: the program's),
  // then "exited CODE" and a newline, written last: without it the record is not complete.
  const std::string record = text.str();
  if (record.empty() || record.back() != '\n') return std::nullopt;
  std::vector<std::string> words;
  std::istringstream in_words(record);
  for (std::string word; in_words >> word;) words.push_back(word);
  if (words.size() < 2 || words[words.size() - 2] != "exited") return std::nullopt;
  const std::string& code = words.back();
  if (code.empty() || code.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  SlurmExitRecord result;
  result.exit_code = std::atoi(code.c_str());
  if (words.size() == 6) result.cpu_seconds = ParseShellTime(words[2]) + ParseShellTime(words[3]);
  const Timestamp claimed = ModifiedMs(workdir + "/" + kClaimFile), ended = ModifiedMs(path);
  if (claimed != 0 && ended >= claimed) result.elapsed_ms = ended - claimed;
  return result;
}

Timestamp SlurmHeartbeatMs(const std::string& workdir) { return ModifiedMs(workdir + "/" + kSlurmHeartbeatFile); }

Result<void> WriteTaskScript(const TaskSpec& spec, const std::string& workdir, const std::string& job_name,
                             int array_index, const std::optional<TenantUser>& user) {
  std::ostringstream script;
  script << "#!/bin/sh\n# written by the suanwang agent for task " << spec.task_id << "\n";
  // Only shell builtins besides the program and the heartbeat's sleep: on a busy node every
  // process counts. The claim (noclobber: an exclusive create) names the id suanwang knows the
  // job by: JOBID, or ARRAYID_INDEX in an array.
  script << "owner=${SLURM_ARRAY_JOB_ID:+${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}}\nset -C\n"
         << "if ! { echo \"${owner:-${SLURM_JOB_ID:-0}}\" >" << kClaimFile << "; } 2>/dev/null; then\n"
         << "  echo 'suanwang: not run: its agent gave this attempt up' >&2\n  exit 0\nfi\nset +C\n";
  script << "exec >>stdout 2>>stderr\n";
  script << "export SUANWANG_TASK_ID=" << ShellQuote(spec.task_id) << "\n";
  for (const auto& [key, value] : spec.env) {
    if (key == "CUDA_VISIBLE_DEVICES") continue;  // Slurm binds the GPUs it allocates
    script << "export " << key << "=" << ShellQuote(value) << "\n";
  }
  // The heartbeat: a subshell that rewrites the file while this shell ($$) lives; stopped (its
  // sleep with it) when the program ends, and reaped before `times` counts the children.
  script << "( trap 'kill $s 2>/dev/null; exit 0' TERM\n  while kill -0 $$ 2>/dev/null; do : >" << kSlurmHeartbeatFile
         << "; sleep " << kSlurmHeartbeatS << " & s=$!; wait $s; done ) &\nbeat=$!\n";
  std::string program;
  for (const std::string& arg : spec.argv) program += ShellQuote(arg) + " ";
  if (user) {
    // A subshell that becomes the program (exec): `times` below still counts it as a child.
    script << "export HOME=\"$PWD/work\"\n( cd work && exec setpriv --reuid=" << user->uid << " --regid=" << user->gid
           << " --clear-groups --no-new-privs -- " << program << ")";
  } else {
    script << program;
  }
  script << "\ncode=$?\nkill $beat 2>/dev/null; wait $beat 2>/dev/null\n";
  script << "{ times; echo \"exited $code\"; } >" << kSlurmExitFile << "\nexit $code\n";
  SW_CHECK(WriteFile(workdir + "/run.sh", script.str()));
  return WriteFile(workdir + "/" + kSlurmJobNameFile,
                   job_name + (array_index >= 0 ? " " + std::to_string(array_index) : "") + "\n");
}

namespace {

// A script that runs the run.sh on line (INDEX + 1) of LIST, in that directory (builtins only).
std::string DispatchScript(const std::string& list, const std::string& index_variable) {
  return "#!/bin/sh\n# written by the suanwang agent: $" + index_variable + " picks the task (a line of " + list +
         ")\ni=0\nwhile IFS= read -r dir; do [ \"$i\" = \"$" + index_variable +
         "\" ] && break; i=$((i + 1)); done <" + ShellQuote(list) + "\ncd \"$dir\" && . ./run.sh\n";
}

}  // namespace

Result<std::string> WriteArrayScript(const std::vector<std::string>& workdirs) {
  const std::string& first = workdirs.at(0);
  std::string list;
  for (const std::string& dir : workdirs) list += dir + "\n";
  SW_CHECK(WriteFile(first + "/array.tasks", list));
  const std::string path = first + "/array.sh";
  SW_CHECK(WriteFile(path, DispatchScript(first + "/array.tasks", "SLURM_ARRAY_TASK_ID")));
  return path;
}

Result<std::string> WriteGangScript(const std::vector<std::string>& workdirs) {
  const std::string& first = workdirs.at(0);
  std::string list;
  for (const std::string& dir : workdirs) list += dir + "\n";
  SW_CHECK(WriteFile(first + "/gang.tasks", list));
  SW_CHECK(WriteFile(first + "/gang-task.sh", DispatchScript(first + "/gang.tasks", "SLURM_PROCID")));
  // --kill-on-bad-exit=0: each task ends as its program does; suanwang fails the gang and
  // cancels the job when one fails.
  const std::string path = first + "/gang.sh";
  SW_CHECK(WriteFile(path, "#!/bin/sh\n# written by the suanwang agent: one step, one rank per task of the gang\n"
                           "exec srun --kill-on-bad-exit=0 sh " + ShellQuote(first + "/gang-task.sh") + "\n"));
  return path;
}

std::vector<std::string> SbatchCommand(const SbatchRequest& r) {
  const int64_t cpus = std::max<int64_t>(1, (r.shape->cpu_milli + 999) / 1000);
  std::vector<std::string> argv = {"sbatch", "--parsable", "--no-requeue", "--job-name=" + r.job_name,
                                   "--chdir=" + r.workdir};
  if (r.array > 0) {
    argv.insert(argv.end(), {"--array=0-" + std::to_string(r.array - 1), "--output=" + r.workdir + "/array-%a.out",
                             "--ntasks=1"});
  } else if (r.tasks == 1) {
    argv.insert(argv.end(), {"--output=" + r.workdir + "/stdout", "--error=" + r.workdir + "/stderr", "--ntasks=1"});
  } else {
    argv.insert(argv.end(), {"--output=" + r.workdir + "/gang.out", "--ntasks=" + std::to_string(r.tasks)});
  }
  argv.push_back("--cpus-per-task=" + std::to_string(cpus));
  if (r.shape->memory_mib > 0) {
    argv.push_back(r.tasks == 1 ? "--mem=" + std::to_string(r.shape->memory_mib)
                                : "--mem-per-cpu=" + std::to_string((r.shape->memory_mib + cpus - 1) / cpus));
  }
  if (r.shape->gpus > 0) {
    argv.push_back(r.tasks == 1 ? "--gres=gpu:" + std::to_string(r.shape->gpus)
                                : "--gpus-per-task=" + std::to_string(r.shape->gpus));
  }
  if (!r.partition.empty()) argv.push_back("--partition=" + r.partition);
  argv.push_back(r.script);
  return argv;
}

}  // namespace suanwang
