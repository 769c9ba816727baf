// The options every command that runs the pipeline shares: inputs,
// --threads, --fields, --max-line-bytes, --batch-bytes.
#pragma once

#include <vector>

#include "cli/args.h"
#include "pipeline/pipeline.h"

namespace airlock::cli {

// Option specs to add to a command's own.
std::vector<OptionSpec> pipeline_option_specs();

// Fills `options` from parsed arguments: the inputs are the positionals,
// or `default_inputs` when there are none (an error if that is empty too).
Status read_pipeline_options(const ParsedArgs& args, pipeline::Options& options,
                             const std::vector<std::string>& default_inputs = {});

// Refuses an output `path` that is one of the inputs (same file, by device
// and inode): writing it would replace the data being read.
Status check_not_an_input(const std::string& path, const std::vector<io::InputInfo>& inputs);

}  // namespace airlock::cli
