#include "tests/common/midilib_cli.hpp"

#include "tests/common/pg_test_db.hpp"

namespace midilib::testing {

std::vector<std::string> midilib_command(std::string const &conninfo, std::vector<std::string> const &args, verbosity v)
{
    std::vector<std::string> all{midilib_binary().string()};
    if (v == verbosity::quiet) {
        all.emplace_back("-q");
    }
    all.insert(all.end(), {"--db", conninfo});
    all.insert(all.end(), args.begin(), args.end());
    return all;
}

std::vector<std::string> midilib_data_dir_command(std::filesystem::path const &data_dir,
                                                  std::vector<std::string> const &args)
{
    std::vector<std::string> all{midilib_binary().string(), "-q", "--data-dir", data_dir.string()};
    all.insert(all.end(), args.begin(), args.end());
    return all;
}

std::pair<int, std::string> run_midilib(std::string const &conninfo, std::vector<std::string> const &args, verbosity v)
{
    return run(midilib_command(conninfo, args, v));
}

child spawn_midilib(std::string const &conninfo, std::vector<std::string> const &args)
{
    return spawn(midilib_command(conninfo, args));
}

} // namespace midilib::testing
