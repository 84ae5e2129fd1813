#pragma once
/// Fingerprints of a library's rows without ids and times, so that two databases that hold the
/// same library give the same text.

#include "tests/common/pg_test_db.hpp"

#include <map>
#include <string>

namespace midilib::testing {

/// md5 of every stored (path, hash), sorted by path: what a user can find in the library.
std::string paths_fingerprint(temp_database const &db);

/// md5 of every content row with its facts (midi_files without id and import time), sorted by hash.
std::string contents_fingerprint(temp_database const &db);

/// md5 of every analysis row without its time, sorted by hash: equal for equal analyses of equal contents.
std::string analysis_fingerprint(temp_database const &db);

/// md5 of every import error (path, stage, reason), sorted by path.
std::string errors_fingerprint(temp_database const &db);

/**
 * Per table of the library (files, paths, analyses, errors, search documents, archives, jobs):
 * "<rows> rows, md5 <md5 of the sorted row texts>", each row as JSON without surrogate ids and
 * timestamps (contents named by their hash). Reads the database at @p conninfo.
 */
std::map<std::string, std::string> library_rows(std::string const &conninfo);

/// Expects library_rows() of @p got to equal those of @p want table by table (a failure names the table).
void expect_same_library(std::string const &got, std::string const &want);

} // namespace midilib::testing
