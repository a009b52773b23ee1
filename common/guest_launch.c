/* The last init stage: hand the machine to the guest. */
#include <common/backend.h>
#include <platform/cpu.h>
#include <platform/init.h>
#include <platform/log.h>

static int guest_launch(void)
{
    log_info("veneer", "ready: backend %s chosen", active_backend->name);
    log_warn("veneer", "this build cannot run a guest yet; halting");
    cpu_halt_forever();
}
INIT_FUNC(late, 99, guest_launch);
