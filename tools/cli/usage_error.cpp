#include "tools/cli/usage_error.hpp"

#include "smf/text.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <string_view>

namespace midilib {

namespace {

/// Edits (insert, delete, replace, swap of neighbours) from @p a to @p b.
std::size_t edit_distance(std::string_view a, std::string_view b)
{
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) {
        d[i][0] = i;
    }
    for (std::size_t j = 0; j <= b.size(); ++j) {
        d[0][j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        for (std::size_t j = 1; j <= b.size(); ++j) {
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
            }
        }
    }
    return d[a.size()][b.size()];
}

/// The long and short option names of @p app ("--json", "-v").
std::vector<std::string> option_names(CLI::App const &app)
{
    std::vector<std::string> names;
    for (auto const *opt : app.get_options()) {
        for (auto const &l : opt->get_lnames()) {
            names.push_back("--" + l);
        }
        for (auto const &s : opt->get_snames()) {
            names.push_back("-" + s);
        }
    }
    return names;
}

/// The sentence for a misspelt command or option in @p argv, or "" when every word is known.
/// Walks the words as CLI11 does: options (with their values) of the app or of the subcommand named.
std::string unknown_word(CLI::App const &app, int argc, char const *const *argv)
{
    CLI::App const *sub = nullptr;
    for (int i = 1; i < argc; ++i) {
        std::string const arg = argv[i];
        if (arg == "--") {
            return "";
        }
        if (arg.size() > 1 && arg[0] == '-' && std::isdigit(static_cast<unsigned char>(arg[1])) == 0) {
            auto const name = arg.substr(0, arg.find('='));
            if (name.size() > 2 && name[1] != '-') {
                continue; // -vv and other short flags run together
            }
            CLI::Option const *opt = sub != nullptr ? sub->get_option_no_throw(name) : nullptr;
            opt = opt != nullptr ? opt : app.get_option_no_throw(name);
            if (opt == nullptr) {
                auto names = option_names(app);
                if (sub != nullptr) {
                    auto const more = option_names(*sub);
                    names.insert(names.end(), more.begin(), more.end());
                }
                auto const meant = did_you_mean(name, names);
                return fmt::format("no option {} for `midilib{}`{}", terminal_safe(name),
                                   sub != nullptr ? " " + sub->get_name() : "",
                                   meant ? fmt::format("; did you mean '{}'?", *meant) : "");
            }
            if (name == arg && opt->get_items_expected_max() > 0) {
                ++i; // its value
            }
            continue;
        }
        if (sub != nullptr) {
            continue; // an argument of the subcommand
        }
        std::vector<std::string> commands;
        for (auto const *c : app.get_subcommands([](CLI::App const *) { return true; })) {
            commands.push_back(c->get_name());
        }
        if (std::find(commands.begin(), commands.end(), arg) == commands.end()) {
            auto const meant = did_you_mean(arg, commands);
            return fmt::format("'{}' is not a midilib command{}", terminal_safe(arg),
                               meant ? fmt::format("; did you mean '{}'?", *meant) : " (`midilib --help` lists them)");
        }
        sub = app.get_subcommand(arg);
    }
    return "";
}

} // namespace

std::optional<std::string> did_you_mean(std::string const &word, std::vector<std::string> const &names)
{
    std::optional<std::string> best;
    std::size_t best_distance = 3; // more than two edits: a different word
    for (auto const &n : names) {
        bool const prefix = word.size() >= 2 && n.starts_with(word);
        auto const d = prefix ? 0 : edit_distance(word, n);
        if (d < best_distance) {
            best = n;
            best_distance = d;
        }
    }
    return best;
}

int report_usage_error(CLI::App const &app, CLI::ParseError const &e, int argc, char const *const *argv)
{
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
        return app.exit(e); // --help, --version
    }
    auto line = unknown_word(app, argc, argv);
    if (line.empty()) {
        line = terminal_safe(e.what());
        if (!line.empty() && line[0] != '-') {
            line[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(line[0])));
        }
    }
    fmt::print(stderr, "error: {}\n", line);
    fmt::print(stderr, "run `midilib --help` or `midilib COMMAND --help` for the usage\n");
    return USAGE_ERROR;
}

} // namespace midilib
