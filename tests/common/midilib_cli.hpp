#pragma once
/// Command lines that run the built midilib binary against a test database or an embedded cluster.

#include "tests/common/process.hpp"

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace midilib::testing {

/// What midilib prints besides its results: errors only (-q), or its default progress and summary lines.
enum class verbosity { quiet, normal };

/// `midilib [-q] --db <conninfo> <args...>`.
std::vector<std::string> midilib_command(std::string const &conninfo, std::vector<std::string> const &args,
                                         verbosity v = verbosity::quiet);

/// `midilib -q --data-dir <data_dir> <args...>`: the embedded cluster kept in @p data_dir.
std::vector<std::string> midilib_data_dir_command(std::filesystem::path const &data_dir,
                                                  std::vector<std::string> const &args);

/// Runs midilib_command() to completion; returns {exit code, stdout}.
std::pair<int, std::string> run_midilib(std::string const &conninfo, std::vector<std::string> const &args,
                                        verbosity v = verbosity::quiet);

/// Starts midilib_command() (stdout to a temp file, stderr inherited).
child spawn_midilib(std::string const &conninfo, std::vector<std::string> const &args);

} // namespace midilib::testing
