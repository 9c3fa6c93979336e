// cxx.cc — a plug-in written in C++17: what the headers promise C++ authors.
#include <stackrace/plugin.h>

namespace {

struct counter {
    sr_word count;
};

void bump(void *arg)
{
    auto *c = static_cast<counter *>(arg);
    sr_store(&c->count, sr_load(&c->count) + 1);
}

void setup(void *state, const void *, const sr_scenario *)
{
    sr_spawn("A", 0, bump, state);
    sr_spawn("B", 0, bump, state);
}

const sr_func funcs[] = {{"cxx.main", 16, nullptr}};

sr_target make_target()
{
    sr_target t{};
    t.name = "cxx@counter";
    t.description = "two actors bump a counter, from C++";
    t.funcs = funcs;
    t.nfuncs = 1;
    t.state_size = sizeof(counter);
    t.setup = setup;
    return t;
}

const sr_target counter_target = make_target();

} // namespace

SR_PLUGIN("cxx", &counter_target)
