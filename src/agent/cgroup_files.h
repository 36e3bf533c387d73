// Reading and writing the control files of a cgroup (v1 and v2 alike).
#pragma once

#include <string>

namespace suanwang {

// The whole file, "" when it cannot be read.
std::string ReadCgroupFile(const std::string& path);
// Writes `value` (one write, the file opened close-on-exec). False with `why` set on failure.
bool WriteCgroupFile(const std::string& path, const std::string& value, std::string* why);
// Whether `events` (memory.events in v2, memory.oom_control in v1: "key value" lines) counts an
// OOM kill.
bool CountsOomKill(const std::string& events);

}  // namespace suanwang
