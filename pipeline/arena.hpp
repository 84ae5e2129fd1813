#pragma once
/// Runs a flow graph on a task arena of its own size.

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>

#include <cstddef>
#include <utility>

namespace midilib {

/// Runs @p f in an arena of @p threads threads, with oneTBB's parallelism capped at that meanwhile.
template <typename F>
void run_in_arena(std::size_t threads, F &&f)
{
    tbb::global_control parallelism{tbb::global_control::max_allowed_parallelism, threads};
    tbb::task_arena arena{static_cast<int>(threads)};
    arena.execute(std::forward<F>(f));
}

} // namespace midilib
