#include "pipeline/import_graph.hpp"

#include "db/library_writer.hpp"

#include <malloc.h>

#include <vector>

namespace midilib {

namespace flow = tbb::flow;

import_graph::import_graph(import_context ctx, std::size_t readers)
: m_ctx(ctx), m_source(m_graph, [this](tbb::flow_control &fc) { return m_ctx.source(fc); }),
  m_limiter(m_graph, files_in_flight(ctx.pool.size())),
  m_route(m_graph, flow::unlimited,
          [](file_item *item, route_node_type::output_ports_type &out) {
              if (item->stored.size >= HEAVY_FILE_BYTES) {
                  std::get<1>(out).try_put(item); // not read yet: its bytes wait for the serial node
              } else {
                  std::get<0>(out).try_put(item);
              }
          }),
  m_read(m_graph, readers, [this](file_item *item) { return read(item); }), m_hash(m_graph, flow::unlimited,
                                                                                   [this](file_item *item) {
                                                                                       hash_stage(*item, m_ctx.hashes);
                                                                                       return item;
                                                                                   }),
  m_parse(m_graph, flow::unlimited, [this](file_item *item) { return parse(item); }),
  m_heavy(m_graph, flow::serial,
          [this](file_item *item) {
              read(item);
              hash_stage(*item, m_ctx.hashes);
              return parse(item);
          }),
  m_batch(m_graph, flow::serial,
          [this](file_item *item, batch_node_type::output_ports_type &out) {
              if (auto full = m_ctx.batches.add(item)) {
                  std::get<0>(out).try_put(*full);
              }
          }),
  m_write(m_graph, m_ctx.pool.size(), [this](file_batch const &batch) { return write(batch); })
{
    flow::make_edge(m_source, m_limiter);
    flow::make_edge(m_limiter, m_route);
    flow::make_edge(flow::output_port<0>(m_route), m_read);
    flow::make_edge(m_read, m_hash);
    flow::make_edge(m_hash, m_parse);
    flow::make_edge(m_parse, m_batch);
    flow::make_edge(flow::output_port<1>(m_route), m_heavy);
    flow::make_edge(m_heavy, m_batch);
    flow::make_edge(flow::output_port<0>(m_batch), m_write);
    flow::make_edge(m_write, m_limiter.decrementer());
}

void import_graph::run()
{
    m_source.activate();
    m_graph.wait_for_all();
    // The graph idles with a partial batch held by the batcher (at the end, or when the
    // limiter is full of unbatched files): write it, which also lets the source go on.
    while (auto rest = m_ctx.batches.flush()) {
        m_write.try_put(*rest);
        m_graph.wait_for_all();
    }
}

file_item *import_graph::read(file_item *item)
{
    if (m_ctx.stop) {
        item->stored.state = file_state::stopped; // Ctrl-C: finish what is read, read nothing more
    }
    read_stage(*item);
    return item;
}

file_item *import_graph::parse(file_item *item)
{
    parse_stage(*item, m_ctx.analyze);
    if (item->budgeted > 0) { // the bytes are gone: the source may decompress more
        m_ctx.archive_bytes.release(item->budgeted);
        item->budgeted = 0;
    }
    return item;
}

std::size_t import_graph::write(file_batch const &batch)
{
    std::vector<stored_file const *> rows; // the db's part of each item, written where it is
    rows.reserve(batch->size());
    for (auto const *item : *batch) {
        rows.push_back(&item->stored);
    }
    batch_result result;
    {
        auto cx = m_ctx.pool.acquire();
        result = write_batch(*cx, rows);
        for (auto *item : *batch) {
            auto const state = item->stored.state;
            if (item->archive &&
                item->archive->member_done(state != file_state::stopped, state == file_state::failed)) {
                auto const &a = *item->archive;
                auto const f = record_archive(*cx, a.file, a.members(), a.read_since_us, a.failed_under_limit());
                m_ctx.stats.removed += f.paths + f.errors;
            }
        }
    }
    m_ctx.hashes.add_committed(*batch);
    m_ctx.stats.imported += result.imported;
    m_ctx.stats.duplicates += result.duplicates;
    m_ctx.stats.failed += result.failed;
    ++m_ctx.stats.batches;
    for (auto *item : *batch) {
        if (item->stored.state == file_state::stopped) {
            ++m_ctx.stats.stopped;
        } else {
            m_ctx.stats.bytes_read += item->stored.size;
        }
        m_ctx.items.release(item);
    }
    // The batch's items are reset: give the pages they freed back to the system now (glibc keeps
    // free chunks inside the heap otherwise, and the process grew with the length of the run).
    // Once per batch, a fraction of a millisecond.
    ::malloc_trim(0);
    return batch->size();
}

} // namespace midilib
