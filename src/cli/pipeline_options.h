// The options every command that runs the pipeline shares: inputs,
// --threads, --fields, --max-line-bytes, --batch-bytes.
#pragma once

#include <vector>

#include "cli/args.h"
#include "pipeline/pipeline.h"

namespace airlock::cli {

// Option specs to add to a command's own.
std::vector<OptionSpec> pipeline_option_specs();

// Fills `options` from parsed arguments (inputs are the positionals).
Status read_pipeline_options(const ParsedArgs& args, pipeline::Options& options);

}  // namespace airlock::cli
