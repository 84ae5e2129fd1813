#pragma once
/// What `midilib` says when its command line is wrong: exit code 2, a line that starts with
/// "error:", and for a misspelt command or option the one meant.

#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
class ParseError;
} // namespace CLI

namespace midilib {

/// The exit code of a wrong command line (as grep, diff and most Unix tools).
constexpr int USAGE_ERROR = 2;

/// The name in @p names that @p word most likely misspells: within two edits, or one that @p word
/// begins; nothing when none is close.
std::optional<std::string> did_you_mean(std::string const &word, std::vector<std::string> const &names);

/// Reports @p e from parsing @p argv with @p app on stderr. \returns the exit code: 0 for --help and
/// --version (printed by CLI11), else USAGE_ERROR.
int report_usage_error(CLI::App const &app, CLI::ParseError const &e, int argc, char const *const *argv);

} // namespace midilib
