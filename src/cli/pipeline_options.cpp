#include "cli/pipeline_options.h"

#include <sys/stat.h>

#include <thread>

namespace airlock::cli {

std::vector<OptionSpec> pipeline_option_specs() {
  return {
      {"--threads", "-j", true}, {"--fields", "", true}, {"--max-line-bytes", "", true}, {"--batch-bytes", "", true}};
}

Status read_pipeline_options(const ParsedArgs& a, pipeline::Options& options,
                             const std::vector<std::string>& default_inputs) {
  options.inputs = a.positionals().empty() ? default_inputs : a.positionals();
  if (options.inputs.empty()) return usage_error("no INPUT given (a file, or - for standard input)");
  options.fields = a.value("--fields", "auto");
  options.threads = std::max(1u, std::thread::hardware_concurrency());
  if (a.has("--threads")) {
    Result<uint64_t> n = parse_number(a.value("--threads"), "--threads", 1, 256);
    if (!n.ok()) return n.error();
    options.threads = static_cast<unsigned>(n.value());
  }
  // --batch-bytes is for tests and tuning: small batches put records across batch edges.
  for (auto [name, target] :
       {std::pair{"--max-line-bytes", &options.max_line_bytes}, std::pair{"--batch-bytes", &options.batch_bytes}}) {
    if (!a.has(name)) continue;
    Result<uint64_t> n = parse_size(a.value(name), name);
    if (!n.ok()) return n.error();
    if (n.value() < 1 || n.value() > (uint64_t{1} << 30)) {
      return usage_error(std::string(name) + ": must be between 1 and 1G");
    }
    *target = n.value();
  }
  return ok_status();
}

Status check_not_an_input(const std::string& path, const std::vector<io::InputInfo>& inputs) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return ok_status();
  for (const io::InputInfo& input : inputs) {
    if (input.inode != 0 && input.device == st.st_dev && input.inode == st.st_ino) {
      return usage_error(path + ": is also an input (" + input.display_name + "); refusing to overwrite it");
    }
  }
  return ok_status();
}

}  // namespace airlock::cli
