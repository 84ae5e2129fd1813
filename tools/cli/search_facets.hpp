#pragma once
/// The facet options that `search` and `similar` share: added to a subcommand, checked, turned
/// into the facets of a search_request; and a hit as the JSON both print.

#include "db/library_search.hpp"
#include "db/search_request.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace CLI {
class App;
}

namespace midilib {

/// The facet options as typed on the command line.
struct facet_options
{
    std::string bpm, key, ts, duration, tracks, instrument, folder;
    bool drums = false;
    bool no_drums = false;
};

/// Adds --bpm, --key, --ts, --duration, --tracks, --instrument, --folder, --drums and --no-drums to @p app.
void add_facet_options(CLI::App &app, facet_options &o);

/** Sets the facets of @p r that @p o names. \throws std::invalid_argument naming the option that is wrong. */
void apply_facets(facet_options const &o, search_request &r);

/// @p h as `search --json` prints it, typed: id, path, tempo_bpm, key, time_signature, duration_seconds, tracks, drums.
nlohmann::json hit_json(search_hit const &h);

} // namespace midilib
