// Sanitizer builds switch fiber stacks through Boost.Context's ucontext backend (so ASan can follow
// them, BOOST_USE_ASAN). Debian's libboost_context is built for the fcontext backend and lacks
// this one symbol of the ucontext backend: the per-thread "current activation record", which
// starts at a per-thread record for the thread's own (main) context.
#if defined(BOOST_USE_UCONTEXT)
#include <boost/context/fiber_ucontext.hpp>

namespace boost::context::detail {

fiber_activation_record*& fiber_activation_record::current() noexcept {
    thread_local fiber_activation_record main_record;
    thread_local fiber_activation_record* current_record = &main_record;
    return current_record;
}

}  // namespace boost::context::detail
#endif
