// `midilib prune`: delete the contents that no path has held for a while.

#include "tools/cli/commands.hpp"

#include "db/session.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <charconv>
#include <memory>
#include <stdexcept>
#include <string>

namespace midilib {

namespace {

struct prune_cli
{
    std::string older_than = "30d";
    bool dry_run = false;
};

/// Seconds in "90s", "15m", "12h", "30d" (a bare number is days). \throws std::invalid_argument
std::int64_t parse_age(std::string const &text)
{
    std::int64_t n = 0;
    auto const *end = text.data() + text.size();
    auto const [rest, ec] = std::from_chars(text.data(), end, n);
    std::string_view const unit{rest, static_cast<std::size_t>(end - rest)};
    if (ec != std::errc{} || n < 0 || unit.size() > 1) {
        throw std::invalid_argument{fmt::format("--older-than {}: give a number and s, m, h or d (30d)", text)};
    }
    switch (unit.empty() ? 'd' : unit.front()) {
    case 's': return n;
    case 'm': return n * 60;
    case 'h': return n * 3600;
    case 'd': return n * 86400;
    default: throw std::invalid_argument{fmt::format("--older-than {}: the unit is s, m, h or d (30d)", text)};
    }
}

int run(global_options const &g, prune_cli const &o)
{
    auto const p = session{open_database(g), "midilib.prune"}.prune(parse_age(o.older_than), o.dry_run);
    fmt::print("{}{} contents missing for {} or longer deleted ({:.1f} MB), with their analysis\n",
               o.dry_run ? "dry run, nothing changed: " : "", p.contents, o.older_than,
               static_cast<double>(p.bytes) / 1e6);
    return 0;
}

} // namespace

command add_prune_command(CLI::App &app)
{
    auto o = std::make_shared<prune_cli>();
    auto *prune = app.add_subcommand("prune", "delete the contents no path has held for a while");
    prune->add_option("--older-than", o->older_than, "how long missing (s, m, h, d)")->capture_default_str();
    prune->add_flag("--dry-run", o->dry_run, "count what would be deleted, change nothing");
    return {prune, [o](global_options const &g) { return run(g, *o); }};
}

} // namespace midilib
