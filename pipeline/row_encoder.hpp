#pragma once
/// Turns a file's facts and analysis into the library's rows, in COPY text.

#include "pipeline/file_item.hpp"

namespace midilib {

/**
 * Encodes @p item's rows: stored.file_row from its facts when it is parsed (the fields of
 * FILE_COLUMNS, db/library_columns.hpp), stored.analysis_row from its analysis when it is analyzed
 * (hash, then the fields of ANALYSIS_COLUMNS); then frees the facts and the analysis. Called by
 * whoever produced them (the import's parse stage, a worker's job), so that the writer sends the
 * rows as they are.
 */
void encode_rows(file_item &item);

} // namespace midilib
